package ingest

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
)

// AppendJSON appends p as Marshal encodes it, without reflection: ingest
// writes a placement for every valid order.
func (p *Placement) AppendJSON(b []byte) ([]byte, error) {
	return AppendOrderAt(b, &p.Order, "source", p.Source)
}

// DecodeJSON decodes data as Marshal writes a placement of plain strings
// and a UTC time, reporting false for anything else (the codec then
// unmarshals it). The registry decodes one for every order.
func (p *Placement) DecodeJSON(data []byte) bool {
	return DecodeOrderAt(data, &p.Order, "source", &p.Source)
}

// AppendOrderAt appends {"order":o,"name":at} as Marshal encodes a struct
// of an order.Order and an exactly.Pos with those JSON names: a placement,
// and the registry's placed order.
func AppendOrderAt(b []byte, o *order.Order, name string, at exactly.Pos) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 224+48*len(o.Items))
	}
	b = append(b, `{"order":`...)
	b, err := o.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	b = append(append(append(b, `,"`...), name...), `":`...)
	return append(at.AppendJSON(b), '}'), nil
}

// DecodeOrderAt reads what AppendOrderAt writes for an order of plain
// strings and a UTC time into o and at, reporting false for anything else.
func DecodeOrderAt(data []byte, o *order.Order, name string, at *exactly.Pos) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order":`)
	o.ScanJSON(&s)
	s.Lit(`,"`)
	s.Lit(name)
	s.Lit(`":`)
	at.ScanJSON(&s)
	s.Lit("}")
	return s.Done()
}
