package lifecycle

import (
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
)

// The AppendJSON methods write the bytes of jsoncodec's Marshal (the
// golden files and TestAppendJSONMatchesMarshal hold them to it) without
// reflection: the lifecycle encodes its stored Order and emits a Change
// and an Update for every request. Strings and times outside the common
// shape are encoded by Marshal.

// AppendJSON appends the JSON encoding of o to b.
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

// AppendJSON appends the JSON encoding of c to b.
func (c *Change) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 192+len(c.OrderID)+len(c.RestaurantID)+len(c.UserID)+len(c.Reason))
	}
	b, err := c.appendFields(b)
	if err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendFields appends c's object but for the closing brace.
func (c *Change) appendFields(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = jsoncodec.AppendString(b, c.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = jsoncodec.AppendString(b, c.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"user_id":`...)
	if b, err = jsoncodec.AppendString(b, c.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if b, err = jsoncodec.AppendString(b, string(c.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"at":`...)
	if b, err = jsoncodec.AppendTime(b, c.At); err != nil {
		return nil, err
	}
	b = append(b, `,"reason":`...)
	if b, err = jsoncodec.AppendString(b, c.Reason); err != nil {
		return nil, err
	}
	b = append(b, `,"seq":`...)
	return c.Seq.AppendJSON(b), nil
}

// AppendJSON appends the JSON encoding of u to b.
func (u *Update) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 256+len(u.OrderID)+len(u.RestaurantID)+len(u.UserID)+len(u.Reason))
	}
	b, err := u.Change.appendFields(b)
	if err != nil {
		return nil, err
	}
	if u.From != "" { // omitempty
		b = append(b, `,"from":`...)
		if b, err = jsoncodec.AppendString(b, string(u.From)); err != nil {
			return nil, err
		}
	}
	if u.PrepMs != 0 {
		b = append(b, `,"prep_ms":`...)
		b = jsoncodec.AppendInt(b, u.PrepMs)
	}
	if u.DeliveryMs != 0 {
		b = append(b, `,"delivery_ms":`...)
		b = jsoncodec.AppendInt(b, u.DeliveryMs)
	}
	if u.Dropped {
		b = append(b, `,"dropped":true`...)
	}
	if u.Order != nil {
		b = append(b, `,"order":`...)
		if b, err = u.Order.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// DecodeJSON decodes data as AppendJSON writes a change of plain strings
// and a UTC time, reporting false for anything else (the codec then
// unmarshals it).
func (c *Change) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	c.scanFields(&s)
	s.Lit("}")
	return s.Done()
}

func (c *Change) scanFields(s *jsoncodec.Scanner) {
	s.Lit(`{"order_id":`)
	c.OrderID = s.String()
	s.Lit(`,"restaurant_id":`)
	c.RestaurantID = s.String()
	s.Lit(`,"user_id":`)
	c.UserID = s.String()
	s.Lit(`,"status":`)
	c.Status = order.Status(s.String())
	s.Lit(`,"at":`)
	c.At = s.Time()
	s.Lit(`,"reason":`)
	c.Reason = s.String()
	s.Lit(`,"seq":`)
	c.Seq.ScanJSON(s)
}

// DecodeJSON decodes data as AppendJSON writes an update of plain
// strings and a UTC time, reporting false for anything else (the codec
// then unmarshals it).
func (u *Update) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	u.Change.scanFields(&s)
	if s.Maybe(`,"from":`) {
		u.From = order.Status(s.String())
	}
	if s.Maybe(`,"prep_ms":`) {
		u.PrepMs = s.Int()
	}
	if s.Maybe(`,"delivery_ms":`) {
		u.DeliveryMs = s.Int()
	}
	if s.Maybe(`,"dropped":`) {
		u.Dropped = s.Bool()
	}
	if s.Maybe(`,"order":`) {
		u.Order = new(order.Order)
		u.Order.ScanJSON(&s)
	}
	s.Lit("}")
	return s.Done()
}

// AppendJSON appends r as Marshal encodes it, without reflection: the
// ingest and the restaurant processor emit requests for every order.
func (r *Request) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 160+len(r.OrderID)+len(r.Reason)+len(r.RestaurantID)+len(r.UserID))
	}
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = jsoncodec.AppendString(b, r.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if b, err = jsoncodec.AppendString(b, string(r.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"at":`...)
	if b, err = jsoncodec.AppendTime(b, r.At); err != nil {
		return nil, err
	}
	for _, f := range [...]struct{ key, value string }{
		{`,"reason":`, r.Reason},
		{`,"restaurant_id":`, r.RestaurantID},
		{`,"user_id":`, r.UserID},
	} {
		if f.value == "" { // omitempty
			continue
		}
		b = append(b, f.key...)
		if b, err = jsoncodec.AppendString(b, f.value); err != nil {
			return nil, err
		}
	}
	if r.TotalCents != 0 {
		b = append(b, `,"total_cents":`...)
		b = jsoncodec.AppendInt(b, r.TotalCents)
	}
	if r.Order != nil {
		b = append(b, `,"order":`...)
		if b, err = r.Order.AppendJSON(b); err != nil {
			return nil, err
		}
	}
	if r.Source != nil {
		b = append(b, `,"source":`...)
		b = r.Source.AppendJSON(b)
	}
	return append(b, '}'), nil
}

// DecodeJSON decodes data as Marshal writes a request of plain strings
// and a UTC time, reporting false for anything else (the codec then
// unmarshals it).
func (r *Request) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order_id":`)
	r.OrderID = s.String()
	s.Lit(`,"status":`)
	r.Status = order.Status(s.String())
	s.Lit(`,"at":`)
	r.At = s.Time()
	if s.Maybe(`,"reason":`) {
		r.Reason = s.String()
	}
	if s.Maybe(`,"restaurant_id":`) {
		r.RestaurantID = s.String()
	}
	if s.Maybe(`,"user_id":`) {
		r.UserID = s.String()
	}
	if s.Maybe(`,"total_cents":`) {
		r.TotalCents = s.Int()
	}
	if s.Maybe(`,"order":`) {
		r.Order = new(order.Order)
		r.Order.ScanJSON(&s)
	}
	if s.Maybe(`,"source":`) {
		r.Source = new(exactly.Pos)
		r.Source.ScanJSON(&s)
	}
	s.Lit("}")
	return s.Done()
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

// AppendJSON appends p as Marshal encodes it, without reflection: the
// lifecycle emits one for every new order.
func (p *Placed) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, 224+48*len(p.Order.Items))
	}
	b = append(b, `{"order":`...)
	b, err := p.Order.AppendJSON(b)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"seq":`...)
	return append(p.Seq.AppendJSON(b), '}'), nil
}

// DecodeJSON decodes data as Marshal writes a placed order of plain
// strings and a UTC time, reporting false for anything else (the codec
// then unmarshals it). The user processor decodes one for every order.
func (p *Placed) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	s.Lit(`{"order":`)
	p.Order.ScanJSON(&s)
	s.Lit(`,"seq":`)
	p.Seq.ScanJSON(&s)
	s.Lit("}")
	return s.Done()
}
