package user

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends the JSON encoding of s to b: the bytes jsoncodec's
// Marshal writes (the golden file and TestAppendJSONMatchesMarshal hold
// it to them), without reflection. Strings and times outside the common
// shape are encoded by Marshal.
func (s *Stats) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		n := 256 + len(s.UserID) + len(s.FavouriteRestaurant) + 16*len(s.Applied)
		for k := range s.Restaurants {
			n += 24 + len(k)
		}
		b = make([]byte, 0, n)
	}
	var err error
	b = append(b, `{"user_id":`...)
	if b, err = jsoncodec.AppendString(b, s.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"orders":`...)
	b = jsoncodec.AppendInt(b, s.Orders)
	b = append(b, `,"spent_cents":`...)
	b = jsoncodec.AppendInt(b, s.SpentCents)
	b = append(b, `,"favourite_restaurant":`...)
	if b, err = jsoncodec.AppendString(b, s.FavouriteRestaurant); err != nil {
		return nil, err
	}
	b = append(b, `,"last_order_at":`...)
	if b, err = jsoncodec.AppendTime(b, s.LastOrderAt); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurants":`...)
	if b, err = jsoncodec.AppendIntMap(b, s.Restaurants); err != nil {
		return nil, err
	}
	b = append(b, `,"first":`...)
	b = s.First.AppendJSON(b)
	b = append(b, `,"applied":`...)
	b = s.Applied.AppendJSON(b)
	return append(b, '}'), nil
}
