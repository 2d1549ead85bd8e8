package lifecycle

import (
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// Verdict is what the lifecycle does with a request.
type Verdict int

// The verdicts.
const (
	// Moved: the order moved to the requested status.
	Moved Verdict = iota
	// Redelivered: this very request was processed before a crash; its
	// writes are repeated, since some may have been lost.
	Redelivered
	// Repeated: the order went through the requested status already (a
	// retried request, or a placed order announced again).
	Repeated
	// Invalid: the state machine does not allow the move from the
	// order's status, e.g. ready after cancelled.
	Invalid
	// Unknown: no such order (never placed, or retired).
	Unknown
	// Duplicate: a placed request for a known order id from another
	// record of "orders" (a producer retry, a client retry of POST
	// /api/orders, or another order under a used id: see Conflicts).
	Duplicate
)

var verdictNames = [...]string{"moved", "redelivered", "repeated", "invalid", "unknown", "duplicate"}

// String names the verdict, as metrics label it.
func (v Verdict) String() string {
	if v < 0 || int(v) >= len(verdictNames) {
		return "verdict(?)"
	}
	return verdictNames[v]
}

// Refused reports whether the request was dropped.
func (v Verdict) Refused() bool {
	return v == Repeated || v == Invalid || v == Unknown || v == Duplicate
}

// Outcome is what Process decided: the verdict and the update to publish
// (nil when there is none).
type Outcome struct {
	Verdict Verdict
	Update  *streams.Update
}

// Process applies the request r, at position at of Requests, to the order
// o (nil if the table has none) and returns the order to store (nil: store
// nothing) and the outcome. It may modify o.
//
// Every request processed is marked applied, refused ones included, so a
// redelivery is recognised and replays exactly what the first attempt
// published: the change it made, found in the history by its position, or
// the refusal of an acceptance. Anything else would depend on requests
// applied since.
func Process(o *Order, r *streams.Request, at exactly.Pos) (*Order, Outcome) {
	switch {
	case o == nil:
		if r.Status != order.StatusPlaced || r.RestaurantID == "" || r.UserID == "" {
			return nil, Outcome{Verdict: Unknown}
		}
		o = &Order{
			OrderID:      r.OrderID,
			RestaurantID: r.RestaurantID,
			UserID:       r.UserID,
			TotalCents:   r.TotalCents,
			Status:       order.StatusPlaced,
			History:      []Entry{{Status: order.StatusPlaced, At: r.At, Reason: r.Reason, Seq: at}},
			Applied:      exactly.Applied{}.Mark(at),
		}
		if r.Source != nil {
			o.Source = *r.Source
		}
		if r.Order != nil {
			o.Digest = r.Order.Digest()
		}
		return o, Outcome{Verdict: Moved, Update: o.placed(r, 0)}
	case o.Applied.Seen(at):
		return o, Outcome{Verdict: Redelivered, Update: o.replay(r, at)}
	}
	o.Applied = o.Applied.Mark(at)
	switch {
	case r.Status == order.StatusPlaced && r.Source != nil && *r.Source != o.Source:
		return o, Outcome{Verdict: Duplicate}
	case o.step(r.Status) >= 0:
		return o, Outcome{Verdict: Repeated}
	case !order.CanMove(o.Status, r.Status):
		return o, Outcome{Verdict: Invalid, Update: o.refusal(r, at)}
	}
	e := Entry{Status: r.Status, At: r.At, Reason: r.Reason, Seq: at}
	// Actors' clocks differ: a step never goes back in time, so that the
	// history is in time order and durations are never negative.
	if last := o.History[len(o.History)-1].At; e.At.Before(last) {
		e.At = last
	}
	o.History = append(o.History, e)
	o.Status = r.Status
	return o, Outcome{Verdict: Moved, Update: o.update(len(o.History) - 1)}
}

// replay is the update the request at position at published, if any.
func (o *Order) replay(r *streams.Request, at exactly.Pos) *streams.Update {
	for i, e := range o.History {
		if e.Seq == at {
			return o.placed(r, i)
		}
	}
	return o.refusal(r, at)
}

// refusal is the notice to the restaurant of an acceptance that cannot be
// applied: the order was never accepted and now never will be. Other
// refusals publish nothing.
func (o *Order) refusal(r *streams.Request, at exactly.Pos) *streams.Update {
	if r.Status != order.StatusAccepted || o.step(order.StatusAccepted) >= 0 {
		return nil
	}
	return &streams.Update{
		Change: streams.Change{
			OrderID:      o.OrderID,
			RestaurantID: o.RestaurantID,
			UserID:       o.UserID,
			Status:       order.StatusAccepted,
			At:           r.At,
			Reason:       "order already " + string(o.Status),
			Seq:          at,
		},
		From:    o.Status,
		Dropped: true,
	}
}

// placed is the publication of the i-th step of the history, made by r:
// the placed step carries r's order.
func (o *Order) placed(r *streams.Request, i int) *streams.Update {
	u := o.update(i)
	if u.Status == order.StatusPlaced {
		u.Order = r.Order
	}
	return u
}

// update is the publication of the i-th step of the history.
func (o *Order) update(i int) *streams.Update {
	e := o.History[i]
	u := &streams.Update{Change: streams.Change{
		OrderID:      o.OrderID,
		RestaurantID: o.RestaurantID,
		UserID:       o.UserID,
		Status:       e.Status,
		At:           e.At,
		Reason:       e.Reason,
		Seq:          e.Seq,
	}}
	if i > 0 {
		u.From = o.History[i-1].Status
	}
	switch e.Status {
	case order.StatusReady:
		u.PrepMs = o.since(order.StatusAccepted, e)
	case order.StatusDelivered:
		u.DeliveryMs = o.since(order.StatusReady, e)
	}
	return u
}

// since is the time in milliseconds from the step to status s until e.
func (o *Order) since(s order.Status, e Entry) int64 {
	i := o.step(s)
	if i < 0 {
		return 0
	}
	return e.At.Sub(o.History[i].At).Milliseconds()
}

// step is the index of the history entry with status s, or -1.
func (o *Order) step(s order.Status) int {
	for i, e := range o.History {
		if e.Status == s {
			return i
		}
	}
	return -1
}
