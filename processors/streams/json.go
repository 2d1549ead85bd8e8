package streams

import (
	"bytes"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
)

// The AppendJSON methods write the bytes of jsoncodec's Marshal (the
// golden files and the MatchesMarshal tests hold them to it) without
// reflection: every order makes several of these records. Strings and
// times outside the common shape are encoded by Marshal. The DecodeJSON
// methods read what AppendJSON writes and report false for anything else
// (the codec then unmarshals it).

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

// AppendJSON appends the JSON encoding of n to b.
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

// AppendJSON appends d as Marshal encodes it, without reflection: the
// restaurant and user processors emit one delta per message.
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
	d.scanJSON(&s)
	return s.Done()
}

// scanJSON scans a delta as DecodeJSON takes it.
func (d *Delta) scanJSON(s *jsoncodec.Scanner) {
	s.Lit(`{"seq":`)
	d.Seq.ScanJSON(s)
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
}

// AppendJSON appends b as Marshal encodes it.
func (b *DeltaBatch) AppendJSON(dst []byte) ([]byte, error) {
	if b.Deltas == nil {
		return append(dst, `{"deltas":null}`...), nil
	}
	if dst == nil {
		dst = make([]byte, 0, 64+200*len(b.Deltas))
	}
	dst = append(dst, `{"deltas":[`...)
	for i := range b.Deltas {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = b.Deltas[i].AppendJSON(dst); err != nil {
			return nil, err
		}
	}
	return append(dst, "]}"...), nil
}

// DecodeJSON decodes data as AppendJSON writes a batch of deltas that
// Delta.DecodeJSON takes, reporting false for anything else.
func (b *DeltaBatch) DecodeJSON(data []byte) bool {
	s := jsoncodec.NewScanner(data)
	if s.Maybe(`{"deltas":null}`) {
		return s.Done()
	}
	s.Lit(`{"deltas":[`)
	b.Deltas = []Delta{}
	for i := 0; s.OK() && !s.Peek(']'); i++ {
		if i > 0 {
			s.Lit(",")
		}
		b.Deltas = append(b.Deltas, Delta{})
		b.Deltas[i].scanJSON(&s)
	}
	s.Lit("]}")
	return s.Done()
}

// DeltaBatchCodec encodes *DeltaBatch. It decodes a single Delta too, as
// a batch of one: the records a version that sent one delta per record
// left on global-deltas are read after an upgrade.
type DeltaBatchCodec struct{ jsoncodec.Codec[DeltaBatch] }

// Decode decodes a DeltaBatch, or a Delta as a batch of one.
func (c DeltaBatchCodec) Decode(data []byte) (any, error) {
	if bytes.HasPrefix(data, []byte(`{"seq":`)) {
		d, err := DeltaCodec{}.Decode(data)
		if err != nil {
			return nil, err
		}
		return &DeltaBatch{Deltas: []Delta{*d.(*Delta)}}, nil
	}
	return c.Codec.Decode(data)
}
