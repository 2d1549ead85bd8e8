package lifecycle

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
)

// AppendJSON appends the JSON encoding of o to b: the bytes of jsoncodec's
// Marshal (the golden file and TestAppendJSONMatchesMarshal hold it to
// them) without reflection, as the lifecycle writes its stored order for
// every request. Strings and times outside the common shape are encoded
// by Marshal.
func (o *Order) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		n := 160 + len(o.OrderID) + len(o.RestaurantID) + len(o.UserID) + 16*len(o.Applied)
		for i := range o.History {
			n += 112 + len(o.History[i].Reason)
		}
		b = make([]byte, 0, n)
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
	b = append(b, `,"total_cents":`...)
	b = jsoncodec.AppendInt(b, o.TotalCents)
	b = append(b, `,"status":`...)
	if b, err = jsoncodec.AppendString(b, string(o.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"history":`...)
	if o.History == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range o.History {
			e := &o.History[i]
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"status":`...)
			if b, err = jsoncodec.AppendString(b, string(e.Status)); err != nil {
				return nil, err
			}
			b = append(b, `,"at":`...)
			if b, err = jsoncodec.AppendTime(b, e.At); err != nil {
				return nil, err
			}
			if e.Reason != "" { // omitempty
				b = append(b, `,"reason":`...)
				if b, err = jsoncodec.AppendString(b, e.Reason); err != nil {
					return nil, err
				}
			}
			b = append(b, `,"seq":`...)
			b = e.Seq.AppendJSON(b)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"applied":`...)
	b = o.Applied.AppendJSON(b)
	b = append(b, `,"source":`...)
	b = o.Source.AppendJSON(b)
	if o.Digest != "" { // omitempty
		b = append(b, `,"digest":`...)
		if b, err = jsoncodec.AppendString(b, o.Digest); err != nil {
			return nil, err
		}
	}
	if o.Retired {
		b = append(b, `,"retired":true`...)
	}
	return append(b, '}'), nil
}

// DecodeJSON decodes data as AppendJSON writes an order of plain strings
// and UTC times, reporting false for anything else (the codec then
// unmarshals it). The lifecycle reads an order's stored value for every
// request.
func (o *Order) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order_id":`)
	o.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	o.RestaurantID = s.String()
	s.Lit(`,"user_id":`)
	o.UserID = s.String()
	s.Lit(`,"total_cents":`)
	o.TotalCents = s.Int()
	s.Lit(`,"status":`)
	o.Status = order.Status(s.String())
	s.Lit(`,"history":`)
	if !s.Maybe("null") {
		s.Lit("[")
		o.History = []Entry{}
		for i := 0; s.OK() && !s.Peek(']'); i++ {
			if i > 0 {
				s.Lit(",")
			}
			var e Entry
			s.Lit(`{"status":`)
			e.Status = order.Status(s.String())
			s.Lit(`,"at":`)
			e.At = s.Time()
			if s.Maybe(`,"reason":`) {
				e.Reason = s.String()
			}
			s.Lit(`,"seq":`)
			e.Seq.ScanJSON(&s)
			s.Lit("}")
			o.History = append(o.History, e)
		}
		s.Lit("]")
	}
	s.Lit(`,"applied":`)
	o.Applied.ScanJSON(&s)
	s.Lit(`,"source":`)
	o.Source.ScanJSON(&s)
	if s.Maybe(`,"digest":`) {
		o.Digest = s.String()
	}
	if s.Maybe(`,"retired":`) {
		o.Retired = s.Bool()
	}
	s.Lit("}")
	return s.Done()
}
