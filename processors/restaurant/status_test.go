package restaurant_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
)

// update is the lifecycle's update of order id of r-1 to s, made at seq.
func update(id string, s order.Status, seq exactly.Pos) *streams.Update {
	return &streams.Update{Change: streams.Change{
		OrderID: id, RestaurantID: "r-1", UserID: "u-1", Status: s, At: t0.Add(time.Duration(seq.Offset) * time.Second), Seq: seq,
	}}
}

func with(u *streams.Update, f func(*streams.Update)) *streams.Update {
	f(u)
	return u
}

func accept(id string, sec int) *streams.Request {
	return &streams.Request{OrderID: id, Status: order.StatusAccepted, At: t0.Add(time.Duration(sec) * time.Second)}
}

func reject(id string, sec int) *streams.Request {
	return &streams.Request{OrderID: id, Status: order.StatusRejected, At: t0.Add(time.Duration(sec) * time.Second),
		Reason: "restaurant at capacity: 2 open orders"}
}

// TestTrack runs a restaurant of capacity 2 through the lifecycle's
// updates: decisions, counts, open orders and global deltas, redeliveries
// included.
func TestTrack(t *testing.T) {
	steps := []struct {
		name    string
		u       *streams.Update
		request *streams.Request
		delta   *streams.Delta
	}{
		{"o-1 placed: accepted", update("o-1", order.StatusPlaced, pos(0, 0)), accept("o-1", 0), nil},
		{"o-2 placed: accepted", update("o-2", order.StatusPlaced, pos(1, 0)), accept("o-2", 0), nil},
		{"o-3 placed: at capacity", update("o-3", order.StatusPlaced, pos(0, 1)), reject("o-3", 1), nil},
		{"o-1 accepted", with(update("o-1", order.StatusAccepted, pos(0, 2)), func(u *streams.Update) { u.From = order.StatusPlaced }),
			nil, &streams.Delta{Seq: pos(0, 2), Accepted: 1, Open: 1}},
		{"o-3 rejected", with(update("o-3", order.StatusRejected, pos(0, 3)), func(u *streams.Update) { u.From = order.StatusPlaced }),
			nil, &streams.Delta{Seq: pos(0, 3), Rejected: 1}},
		{"o-2 cancelled before its acceptance", with(update("o-2", order.StatusCancelled, pos(1, 1)), func(u *streams.Update) { u.From = order.StatusPlaced }),
			nil, &streams.Delta{Seq: pos(1, 1), Cancelled: 1}},
		{"o-2's acceptance refused", with(update("o-2", order.StatusAccepted, pos(1, 2)), func(u *streams.Update) { u.Dropped = true }), nil, nil},
		{"o-4 placed: room again", update("o-4", order.StatusPlaced, pos(1, 3)), accept("o-4", 3), nil},
		{"o-1 ready", with(update("o-1", order.StatusReady, pos(0, 4)), func(u *streams.Update) { u.PrepMs = 30_000 }), nil, nil},
		{"o-1 delivered", with(update("o-1", order.StatusDelivered, pos(0, 5)), func(u *streams.Update) { u.DeliveryMs = 60_001 }),
			nil, &streams.Delta{Seq: pos(0, 5), Delivered: 1, Open: -1}},
		{"o-4 accepted, then cancelled", with(update("o-4", order.StatusAccepted, pos(1, 4)), func(u *streams.Update) { u.From = order.StatusPlaced }),
			nil, &streams.Delta{Seq: pos(1, 4), Accepted: 1, Open: 1}},
		{"o-4 cancelled", with(update("o-4", order.StatusCancelled, pos(1, 5)), func(u *streams.Update) { u.From = order.StatusAccepted }),
			nil, &streams.Delta{Seq: pos(1, 5), Cancelled: 1, Open: -1}},
		{"o-5 placed", update("o-5", order.StatusPlaced, pos(0, 6)), accept("o-5", 6), nil},
		// Redeliveries: nothing counted again, the same writes.
		{"o-5 placed, redelivered", update("o-5", order.StatusPlaced, pos(0, 6)), accept("o-5", 6), nil},
		{"o-1 delivered, redelivered", with(update("o-1", order.StatusDelivered, pos(0, 5)), func(u *streams.Update) { u.DeliveryMs = 60_001 }),
			nil, &streams.Delta{Seq: pos(0, 5), Delivered: 1, Open: -1}},
		// o-1 is no longer open: the answer is one the lifecycle refuses.
		{"o-1 placed, redelivered late", update("o-1", order.StatusPlaced, pos(0, 0)), reject("o-1", 0), nil},
	}
	tt := tester.New(t)
	testutil.StartProcessor(t, tt, restaurant.Define(restaurant.Config{Capacity: 2}).GroupGraph)
	requests := tt.NewQueueTracker(string(streams.Requests))
	deltas := tt.NewQueueTracker(string(streams.Deltas))
	for _, s := range steps {
		tt.Consume(string(streams.ByRestaurant), "r-1", s.u)
		var wantReq []streams.Request
		if s.request != nil {
			wantReq = []streams.Request{*s.request}
		}
		if got := testutil.Drain[streams.Request](t, requests, s.u.OrderID); !reflect.DeepEqual(got, wantReq) {
			t.Errorf("%s: requests = %+v, want %+v", s.name, got, wantReq)
		}
		var wantDelta []streams.Delta
		if s.delta != nil {
			wantDelta = []streams.Delta{*s.delta}
		}
		if got := testutil.DrainDeltas(t, deltas, "restaurant/0"); !reflect.DeepEqual(got, wantDelta) {
			t.Errorf("%s: deltas = %+v, want %+v", s.name, got, wantDelta)
		}
	}
	testutil.CheckTable(t, tt, restaurant.Table, map[string]*restaurant.Stats{"r-1": {
		RestaurantID: "r-1",
		Accepted:     2, Rejected: 1, Cancelled: 2, Ready: 1, Delivered: 1, Open: 1,
		PrepMsTotal: 30_000, AvgPrepMs: 30_000, DeliveryMsTotal: 60_001, AvgDeliveryMs: 60_001,
		OpenOrders:    []string{"o-5"},
		StatusApplied: exactly.Applied{0: 6, 1: 5},
	}})
}

func TestStatusDelta(t *testing.T) {
	from := func(s, f order.Status) *streams.Update {
		return with(update("o-1", s, pos(2, 9)), func(u *streams.Update) { u.From = f })
	}
	tests := []struct {
		name string
		u    *streams.Update
		want *streams.Delta
	}{
		{"placed", from(order.StatusPlaced, ""), nil},
		{"accepted", from(order.StatusAccepted, order.StatusPlaced), &streams.Delta{Seq: pos(2, 9), Accepted: 1, Open: 1}},
		{"rejected", from(order.StatusRejected, order.StatusPlaced), &streams.Delta{Seq: pos(2, 9), Rejected: 1}},
		{"ready", from(order.StatusReady, order.StatusAccepted), nil},
		{"delivered", from(order.StatusDelivered, order.StatusReady), &streams.Delta{Seq: pos(2, 9), Delivered: 1, Open: -1}},
		{"cancelled when placed", from(order.StatusCancelled, order.StatusPlaced), &streams.Delta{Seq: pos(2, 9), Cancelled: 1}},
		{"cancelled when accepted", from(order.StatusCancelled, order.StatusAccepted), &streams.Delta{Seq: pos(2, 9), Cancelled: 1, Open: -1}},
		{"acceptance refused", with(from(order.StatusAccepted, order.StatusCancelled), func(u *streams.Update) { u.Dropped = true }), nil},
	}
	for _, tc := range tests {
		if got := restaurant.StatusDelta(tc.u); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: StatusDelta() = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		capacity int
		ok       bool
	}{{0, true}, {1, true}, {500, true}, {-1, false}} {
		if err := (restaurant.Config{Capacity: tc.capacity}).Validate(); (err == nil) != tc.ok {
			t.Errorf("Config{Capacity: %d}.Validate() = %v, want ok %v", tc.capacity, err, tc.ok)
		}
	}
}
