package registry

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
)

// DecodeJSON decodes data as Marshal writes a placed order of plain
// strings and a UTC time, reporting false for anything else (the codec
// then unmarshals it). The restaurant and user processors decode one for
// every order.
func (p *Placed) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	o := &p.Order
	s.Lit(`{"order":{"order_id":`)
	o.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	o.RestaurantID = s.String()
	s.Lit(`,"user_id":`)
	o.UserID = s.String()
	s.Lit(`,"items":`)
	if !s.Maybe("null") {
		s.Lit("[")
		o.Items = []order.Item{}
		for i := 0; s.OK() && !s.Peek(']'); i++ {
			if i > 0 {
				s.Lit(",")
			}
			var it order.Item
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
	s.Lit(`},"seq":`)
	p.Seq.ScanJSON(&s)
	s.Lit("}")
	return s.Done()
}
