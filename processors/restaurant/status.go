package restaurant

import (
	"fmt"
	"slices"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/streams"
)

// tracker applies the lifecycle's updates to a restaurant and decides on
// each order placed with it.
type tracker struct {
	table    *cache.Table[Stats]
	deltas   *cache.Outbox[streams.Delta]
	capacity int
}

func (tr tracker) track(ctx goka.Context, msg any) {
	u := msg.(*streams.Update)
	var r *streams.Request
	d := StatusDelta(u)
	tr.table.Update(ctx, func(s *Stats) *Stats {
		if s == nil {
			s = &Stats{RestaurantID: ctx.Key()}
		}
		// A redelivered update is not applied again, but its writes are
		// repeated, decision included: the first attempt may have died
		// before they landed.
		if p := u.Placed(); p != nil {
			s.Apply(p)
			d = s.Delta(p)
		}
		s.Track(u, tr.capacity)
		r = s.Decision(u, tr.capacity)
		return s
	})
	if r != nil {
		// The answer is given when the lifecycle published the order,
		// not when it was placed: an order placed days ago (a replay, a
		// late producer) is accepted now, and its kitchen and release
		// timers run from now. The record's time is the same on a
		// redelivery.
		if ts := ctx.Timestamp(); ts.After(r.At) {
			r.At = ts.UTC()
		}
		ctx.Emit(streams.Requests, r.OrderID, r)
	}
	// Every delta of this partition, placed orders' and status changes',
	// is identified by the lifecycle position of its update, which
	// arrive in order from each lifecycle partition: one shard
	// deduplicates them all.
	if d != nil {
		tr.deltas.Add(ctx, *d)
	}
}

// Track applies u to s unless it was applied already, and reports whether
// s changed. A placed order is accepted, and becomes open, while the
// restaurant has fewer than capacity open orders. An order stops being
// open when it is delivered or cancelled, or when the lifecycle refused
// the acceptance (the user cancelled first).
func (s *Stats) Track(u *streams.Update, capacity int) bool {
	if s.StatusApplied.Seen(u.Seq) {
		return false
	}
	s.StatusApplied = s.StatusApplied.Mark(u.Seq)
	switch {
	case u.Dropped:
		s.close(u.OrderID)
	case u.Status == order.StatusPlaced:
		if len(s.OpenOrders) < capacity {
			s.open(u.OrderID)
		}
	case u.Status == order.StatusAccepted:
		s.Accepted++
	case u.Status == order.StatusRejected:
		s.Rejected++
	case u.Status == order.StatusReady:
		s.Ready++
		s.PrepMsTotal += u.PrepMs
		s.AvgPrepMs = s.PrepMsTotal / s.Ready
	case u.Status == order.StatusDelivered:
		s.Delivered++
		s.DeliveryMsTotal += u.DeliveryMs
		s.AvgDeliveryMs = s.DeliveryMsTotal / s.Delivered
		s.close(u.OrderID)
	case u.Status == order.StatusCancelled:
		s.Cancelled++
		s.close(u.OrderID)
	}
	s.Open = int64(len(s.OpenOrders))
	return true
}

// Decision is the restaurant's answer to the placed order of u (nil for
// other updates): accepted if Track made it open, else rejected. It
// depends on s only through whether the order is open, which later
// updates change only once the lifecycle is past placed, so a redelivery
// repeats the first answer or one the lifecycle refuses.
func (s *Stats) Decision(u *streams.Update, capacity int) *streams.Request {
	if u.Dropped || u.Status != order.StatusPlaced {
		return nil
	}
	r := &streams.Request{OrderID: u.OrderID, Status: order.StatusAccepted, At: u.At}
	if !s.isOpen(u.OrderID) {
		r.Status = order.StatusRejected
		r.Reason = fmt.Sprintf("restaurant at capacity: %d open orders", capacity)
	}
	return r
}

// StatusDelta is u's contribution to the global status counts, nil if
// none. It depends on u alone, so a redelivery sends the same.
func StatusDelta(u *streams.Update) *streams.Delta {
	d := &streams.Delta{Seq: u.Seq}
	switch {
	case u.Dropped:
		return nil
	case u.Status == order.StatusAccepted:
		d.Accepted, d.Open = 1, 1
	case u.Status == order.StatusRejected:
		d.Rejected = 1
	case u.Status == order.StatusDelivered:
		d.Delivered, d.Open = 1, -1
	case u.Status == order.StatusCancelled:
		d.Cancelled = 1
		if u.From == order.StatusAccepted {
			d.Open = -1
		}
	default:
		return nil
	}
	return d
}

func (s *Stats) isOpen(id string) bool {
	_, found := slices.BinarySearch(s.OpenOrders, id)
	return found
}

func (s *Stats) open(id string) {
	if i, found := slices.BinarySearch(s.OpenOrders, id); !found {
		s.OpenOrders = slices.Insert(s.OpenOrders, i, id)
	}
}

func (s *Stats) close(id string) {
	if i, found := slices.BinarySearch(s.OpenOrders, id); found {
		s.OpenOrders = slices.Delete(s.OpenOrders, i, i+1)
	}
}
