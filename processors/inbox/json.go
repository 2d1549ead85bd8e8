package inbox

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends the JSON encoding of in to b: the bytes jsoncodec's
// Marshal writes (the golden file and TestAppendJSONMatchesMarshal hold
// it to them), without reflection. The inbox encodes its whole value for
// every notification, and reflection was most of that cost. Strings and
// times outside the common shape (plain printable ASCII; UTC times of
// years 0–9999) are encoded by Marshal.
func (in *Inbox) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		n := 64 + 16*len(in.Applied)
		for i := range in.Notifications {
			e := &in.Notifications[i]
			n += 120 + len(e.OrderID) + len(e.RestaurantID) + len(e.Status) + len(e.Message)
		}
		b = make([]byte, 0, n)
	}
	var err error
	b = append(b, `{"user_id":`...)
	if b, err = jsoncodec.AppendString(b, in.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"notifications":`...)
	if in.Notifications == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		cached := len(in.enc) == len(in.Notifications)
		for i := range in.Notifications {
			if i > 0 {
				b = append(b, ',')
			}
			if e := &in.Notifications[i]; cached && in.enc[i].json != "" && in.enc[i].entry == *e {
				b = append(b, in.enc[i].json...)
			} else if b, err = e.appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"applied":`...)
	b = in.Applied.AppendJSON(b)
	return append(b, '}'), nil
}

func (e *Entry) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = jsoncodec.AppendString(b, e.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = jsoncodec.AppendString(b, e.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if b, err = jsoncodec.AppendString(b, string(e.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"message":`...)
	if b, err = jsoncodec.AppendString(b, e.Message); err != nil {
		return nil, err
	}
	b = append(b, `,"at":`...)
	if b, err = jsoncodec.AppendTime(b, e.At); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}
