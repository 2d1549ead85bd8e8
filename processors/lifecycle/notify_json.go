package lifecycle

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
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

// DecodeJSON decodes data as AppendJSON writes a notification of plain
// strings and a UTC time, reporting false for anything else (the codec
// then unmarshals it).
func (n *Notification) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"user_id":`)
	n.UserID = s.String()
	s.Lit(`,"order_id":`)
	n.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	n.RestaurantID = s.String()
	s.Lit(`,"status":`)
	n.Status = order.Status(s.String())
	s.Lit(`,"message":`)
	n.Message = s.String()
	s.Lit(`,"at":`)
	n.At = s.Time()
	s.Lit(`,"seq":`)
	n.Seq.ScanJSON(&s)
	s.Lit("}")
	return s.Done()
}
