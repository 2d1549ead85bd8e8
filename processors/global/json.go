package global

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends d as json.Marshal encodes it, without reflection:
// the restaurant, user and lifecycle processors emit one delta per message.
func (d *Delta) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 256)
	}
	b = append(b, `{"seq":`...)
	b = d.Seq.AppendJSON(b)
	b = appendNonZero(b, `,"orders":`, d.Orders)
	b = appendNonZero(b, `,"revenue_cents":`, d.RevenueCents)
	b = appendNonZero(b, `,"items":`, d.Items)
	b = appendNonZero(b, `,"new_restaurants":`, d.NewRestaurants)
	b = appendNonZero(b, `,"new_users":`, d.NewUsers)
	var err error
	if r := d.Restaurant; r != nil {
		b = append(b, `,"restaurant":{"restaurant_id":`...)
		if b, err = jsoncodec.AppendString(b, r.RestaurantID); err != nil {
			return nil, err
		}
		b = append(b, `,"revenue_cents":`...)
		b = jsoncodec.AppendInt(b, r.RevenueCents)
		b = append(b, `,"orders":`...)
		b = jsoncodec.AppendInt(b, r.Orders)
		b = append(b, '}')
	}
	if !d.PlacedAt.IsZero() {
		b = append(b, `,"placed_at":`...)
		if b, err = jsoncodec.AppendTime(b, d.PlacedAt); err != nil {
			return nil, err
		}
	}
	b = appendNonZero(b, `,"accepted":`, d.Accepted)
	b = appendNonZero(b, `,"rejected":`, d.Rejected)
	b = appendNonZero(b, `,"cancelled":`, d.Cancelled)
	b = appendNonZero(b, `,"delivered":`, d.Delivered)
	b = appendNonZero(b, `,"open":`, d.Open)
	return append(b, '}'), nil
}

// appendNonZero appends the field named by key, with n, unless n is zero
// (omitempty).
func appendNonZero(b []byte, key string, n int64) []byte {
	if n == 0 {
		return b
	}
	return jsoncodec.AppendInt(append(b, key...), n)
}

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
