package global

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// DecodeJSON decodes data as Marshal writes a delta of plain strings and
// a UTC time, reporting false for anything else (the codec then
// unmarshals it). The global processor decodes one per message.
func (d *Delta) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"seq":`)
	d.Seq.ScanJSON(&s)
	if s.Maybe(`,"orders":`) {
		d.Orders = s.Int()
	}
	if s.Maybe(`,"revenue_cents":`) {
		d.RevenueCents = s.Int()
	}
	if s.Maybe(`,"items":`) {
		d.Items = s.Int()
	}
	if s.Maybe(`,"new_restaurants":`) {
		d.NewRestaurants = s.Int()
	}
	if s.Maybe(`,"new_users":`) {
		d.NewUsers = s.Int()
	}
	if s.Maybe(`,"restaurant":{"restaurant_id":`) {
		r := new(Ranked)
		r.RestaurantID = s.String()
		s.Lit(`,"revenue_cents":`)
		r.RevenueCents = s.Int()
		s.Lit(`,"orders":`)
		r.Orders = s.Int()
		s.Lit("}")
		d.Restaurant = r
	}
	if s.Maybe(`,"placed_at":`) {
		d.PlacedAt = s.Time()
	}
	if s.Maybe(`,"accepted":`) {
		d.Accepted = s.Int()
	}
	if s.Maybe(`,"rejected":`) {
		d.Rejected = s.Int()
	}
	if s.Maybe(`,"cancelled":`) {
		d.Cancelled = s.Int()
	}
	if s.Maybe(`,"delivered":`) {
		d.Delivered = s.Int()
	}
	if s.Maybe(`,"open":`) {
		d.Open = s.Int()
	}
	s.Lit("}")
	return s.Done()
}
