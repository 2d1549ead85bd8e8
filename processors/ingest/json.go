package ingest

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends p as Marshal encodes it, without reflection: ingest
// writes a placement for every valid order.
func (p *Placement) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 224+48*len(p.Order.Items))
	}
	b = append(b, `{"order":`...)
	b, err := p.Order.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"source":`...)
	return append(p.Source.AppendJSON(b), '}'), nil
}

// DecodeJSON decodes data as Marshal writes a placement of plain strings
// and a UTC time, reporting false for anything else (the codec then
// unmarshals it). The registry decodes one for every order.
func (p *Placement) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order":`)
	p.Order.ScanJSON(&s)
	s.Lit(`,"source":`)
	p.Source.ScanJSON(&s)
	s.Lit("}")
	return s.Done()
}
