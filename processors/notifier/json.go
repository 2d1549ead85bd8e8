package notifier

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// AppendJSON appends the JSON encoding of n to b: the bytes of
// jsoncodec's Marshal (the golden file and TestAppendJSONMatchesMarshal
// hold it to them) without reflection. Strings and times outside the
// common shape are encoded by Marshal.
func (n *Notification) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 192+len(n.UserID)+len(n.OrderID)+len(n.RestaurantID)+len(n.Message))
	}
	var err error
	b = append(b, `{"user_id":`...)
	if b, err = jsoncodec.AppendString(b, n.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"order_id":`...)
	if b, err = jsoncodec.AppendString(b, n.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = jsoncodec.AppendString(b, n.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if b, err = jsoncodec.AppendString(b, string(n.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"message":`...)
	if b, err = jsoncodec.AppendString(b, n.Message); err != nil {
		return nil, err
	}
	b = append(b, `,"at":`...)
	if b, err = jsoncodec.AppendTime(b, n.At); err != nil {
		return nil, err
	}
	b = append(b, `,"seq":`...)
	b = n.Seq.AppendJSON(b)
	return append(b, '}'), nil
}
