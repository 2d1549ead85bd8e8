package verify

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// audit is the lifecycle recomputed from its input, status-requests, with
// its own Process: whatever the restaurants, the kitchens, the couriers
// and the users asked for, the lifecycle's decisions are a function of
// that log, read partition by partition in order as goka does. Nothing is
// retired here, so every order keeps its full history.
type audit struct {
	// orders is every order the lifecycle knows, by order id.
	orders map[string]*lifecycle.Order
	// updates is what the lifecycle sent to the restaurants, each change
	// and refused acceptance once, in the order of each partition.
	updates []*streams.Update
	// changes is what it published on order-status, by Seq.
	changes map[exactly.Pos]*streams.Change
	// accepted holds the orders whose restaurant accepted them: the
	// lifecycle moved them to accepted or dropped the acceptance.
	accepted map[string]bool
}

// replayRequests recomputes the lifecycle from status-requests and checks
// that every request is on the partition goka looks in for its key (the
// placed requests, which ingest writes, are checked by checkIngest).
func replayRequests(ctx context.Context, base []kgo.Opt, snap *snapshot, c counted, r *Report) (*audit, error) {
	a := &audit{orders: map[string]*lifecycle.Order{}, changes: map[exactly.Pos]*streams.Change{}, accepted: map[string]bool{}}
	topic := string(streams.Requests)
	partition := gokaPartitions(snap, topic)
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(rec *kgo.Record) error {
		at := exactly.Pos{Partition: rec.Partition, Offset: rec.Offset}
		var req streams.Request
		if err := json.Unmarshal(rec.Value, &req); err != nil {
			r.differ(topic, at.String(), "undecodable request: %v", err)
			return nil
		}
		if want := partition([]byte(req.OrderID)); string(rec.Key) != req.OrderID || want != rec.Partition {
			r.differ(topic, at.String(), "request for order %s under key %q on partition %d, want its id on partition %d", req.OrderID, rec.Key, rec.Partition, want)
		}
		next, out := lifecycle.Process(a.orders[req.OrderID], &req, at)
		if next != nil {
			a.orders[req.OrderID] = next
		}
		if u := out.Update; u != nil {
			a.updates = append(a.updates, u)
			a.accepted[u.OrderID] = a.accepted[u.OrderID] || u.Status == order.StatusAccepted
			if !u.Dropped {
				a.changes[u.Seq] = &u.Change
			}
		}
		return nil
	})
	return a, err
}

// checkHistories checks every recomputed order against the counted one
// and the state machine: each counted order reached the lifecycle, which
// started its history with the one placed step, with the counted parties,
// total and time; every later step is a move order.CanMove allows, no
// status comes twice, times never decrease, the status is the last
// step's; and no order is left placed, since its restaurant always
// answers the lifecycle's placed update.
func checkHistories(a *audit, c counted, r *Report) {
	topic := string(lifecycle.Table)
	for _, id := range slices.Sorted(maps.Keys(c)) {
		if _, ok := a.orders[id]; !ok {
			r.differ(topic, id, "order never reached the lifecycle")
		}
	}
	for _, id := range slices.Sorted(maps.Keys(a.orders)) {
		o := a.orders[id]
		if s, ok := c[id]; ok {
			checkHistory(topic, o, s.order, r)
			if o.Source != s.pos {
				r.differ(topic, id, "counts the copy of orders %v, not the first placed, %v", o.Source, s.pos)
			}
		}
	}
}

// checkHistory checks the history of o, an order counted as want.
func checkHistory(topic string, o *lifecycle.Order, want *order.Order, r *Report) {
	h := o.History
	first := h[0]
	if o.RestaurantID != want.RestaurantID || o.UserID != want.UserID || o.TotalCents != want.TotalCents || !first.At.Equal(want.PlacedAt) {
		r.differ(topic, o.OrderID, "order %s/%s/%d placed at %v, counted %s/%s/%d placed at %v",
			o.RestaurantID, o.UserID, o.TotalCents, first.At, want.RestaurantID, want.UserID, want.TotalCents, want.PlacedAt)
	}
	if first.Status != order.StatusPlaced {
		r.differ(topic, o.OrderID, "history starts %s, not placed", first.Status)
	}
	seen := map[order.Status]bool{first.Status: true}
	for i, e := range h[1:] {
		prev := h[i]
		switch {
		case seen[e.Status]:
			r.differ(topic, o.OrderID, "status %s twice in the history", e.Status)
		case !order.CanMove(prev.Status, e.Status):
			r.differ(topic, o.OrderID, "history moves from %s to %s", prev.Status, e.Status)
		case e.At.Before(prev.At):
			r.differ(topic, o.OrderID, "%s at %v, before %s at %v", e.Status, e.At, prev.Status, prev.At)
		}
		seen[e.Status] = true
	}
	switch last := h[len(h)-1].Status; {
	case o.Status != last:
		r.differ(topic, o.OrderID, "status %s, last step %s", o.Status, last)
	case last == order.StatusPlaced:
		r.differ(topic, o.OrderID, "still placed: no answer of restaurant %s reached the lifecycle", o.RestaurantID)
	}
}

// checkLifecycle compares the lifecycle table with the recomputation. A
// finished order may be retired: the retention sweep kept only
// lifecycle.Retire of it, and order-status, checked against the same
// recomputation, shows that it finished. An unfinished order is never
// retired, and no order is ever deleted.
func checkLifecycle(ctx context.Context, base []kgo.Opt, snap *snapshot, a *audit, r *Report) error {
	topic := string(lifecycle.Table)
	got, err := table[lifecycle.Order](ctx, base, snap, topic, r)
	if err != nil {
		return err
	}
	want := map[string]*lifecycle.Order{}
	for id, o := range a.orders {
		if g, ok := got[id]; ok && g.Retired && o.Status.Final() {
			// What the retention sweep leaves: the history is gone.
			r.Retired++
			want[id] = lifecycle.Retire(o)
			continue
		}
		want[id] = o
	}
	compareKeyed(r, topic, got, want, auditOf, auditOf)
	return nil
}

// auditOf is o with its times in UTC.
func auditOf(o *lifecycle.Order) lifecycle.Order {
	c := *o
	c.History = slices.Clone(o.History)
	for i := range c.History {
		c.History[i].At = c.History[i].At.UTC()
	}
	return c
}
