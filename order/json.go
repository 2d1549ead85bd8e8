package order

import "github.com/orderstream/orderstream/internal/jsoncodec"

// AppendJSON appends o as Marshal encodes it, without reflection: every
// order is encoded by an emitter, by ingest in its placed request, and by
// the lifecycle in the placed update and the new order it announces.
func (o *Order) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 160+48*len(o.Items))
	}
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = jsoncodec.AppendString(b, o.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = jsoncodec.AppendString(b, o.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"user_id":`...)
	if b, err = jsoncodec.AppendString(b, o.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"items":`...)
	if o.Items == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, it := range o.Items {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"sku":`...)
			if b, err = jsoncodec.AppendString(b, it.SKU); err != nil {
				return nil, err
			}
			b = append(b, `,"qty":`...)
			b = jsoncodec.AppendInt(b, it.Qty)
			b = append(b, `,"price_cents":`...)
			b = jsoncodec.AppendInt(b, it.PriceCents)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"total_cents":`...)
	b = jsoncodec.AppendInt(b, o.TotalCents)
	b = append(b, `,"placed_at":`...)
	if b, err = jsoncodec.AppendTime(b, o.PlacedAt); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// ScanJSON reads o as AppendJSON writes it for plain strings and a UTC
// time; anything else fails s (see jsoncodec.Scanner).
func (o *Order) ScanJSON(s *jsoncodec.Scanner) {
	s.Lit(`{"order_id":`)
	o.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	o.RestaurantID = s.String()
	s.Lit(`,"user_id":`)
	o.UserID = s.String()
	s.Lit(`,"items":`)
	if !s.Maybe("null") {
		s.Lit("[")
		o.Items = []Item{}
		for i := 0; s.OK() && !s.Peek(']'); i++ {
			if i > 0 {
				s.Lit(",")
			}
			var it Item
			s.Lit(`{"sku":`)
			it.SKU = s.String()
			s.Lit(`,"qty":`)
			it.Qty = s.Int()
			s.Lit(`,"price_cents":`)
			it.PriceCents = s.Int()
			s.Lit("}")
			o.Items = append(o.Items, it)
		}
		s.Lit("]")
	}
	s.Lit(`,"total_cents":`)
	o.TotalCents = s.Int()
	s.Lit(`,"placed_at":`)
	o.PlacedAt = s.Time()
	s.Lit("}")
}

// DecodeJSON decodes data as AppendJSON writes an order of plain strings
// and a UTC time, reporting false for anything else (the caller then
// unmarshals it): the form every emitter of this module writes.
func (o *Order) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	o.ScanJSON(&s)
	return s.Done()
}
