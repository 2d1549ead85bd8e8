package registry

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/ingest"
)

// AppendJSON appends p as Marshal encodes it, without reflection: the
// registry emits every placed order twice.
func (p *Placed) AppendJSON(b []byte) ([]byte, error) {
	return ingest.AppendOrderAt(b, &p.Order, "seq", p.Seq)
}

// DecodeJSON decodes data as Marshal writes a placed order of plain
// strings and a UTC time, reporting false for anything else (the codec
// then unmarshals it). The restaurant and user processors decode one for
// every order.
func (p *Placed) DecodeJSON(data []byte) bool {
	return ingest.DecodeOrderAt(data, &p.Order, "seq", &p.Seq)
}

// AppendJSON appends e as Marshal encodes it, without reflection: the
// registry writes one entry per order.
func (e *Entry) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 224)
	}
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = jsoncodec.AppendString(b, e.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = jsoncodec.AppendString(b, e.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"user_id":`...)
	if b, err = jsoncodec.AppendString(b, e.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"total_cents":`...)
	b = jsoncodec.AppendInt(b, e.TotalCents)
	b = append(b, `,"placed_at":`...)
	if b, err = jsoncodec.AppendTime(b, e.PlacedAt); err != nil {
		return nil, err
	}
	b = append(b, `,"source":`...)
	b = e.Source.AppendJSON(b)
	b = append(b, `,"at":`...)
	b = e.At.AppendJSON(b)
	if e.Digest != "" {
		b = append(b, `,"digest":`...)
		if b, err = jsoncodec.AppendString(b, e.Digest); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// DecodeJSON decodes data as Marshal writes an entry of plain strings and
// a UTC time, reporting false for anything else (the codec then
// unmarshals it).
func (e *Entry) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order_id":`)
	e.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	e.RestaurantID = s.String()
	s.Lit(`,"user_id":`)
	e.UserID = s.String()
	s.Lit(`,"total_cents":`)
	e.TotalCents = s.Int()
	s.Lit(`,"placed_at":`)
	e.PlacedAt = s.Time()
	s.Lit(`,"source":`)
	e.Source.ScanJSON(&s)
	s.Lit(`,"at":`)
	e.At.ScanJSON(&s)
	if s.Maybe(`,"digest":`) {
		e.Digest = s.String()
	}
	s.Lit("}")
	return s.Done()
}
