package lifecycle_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func placedReq(id string) *streams.Request {
	return &streams.Request{OrderID: id, Status: order.StatusPlaced, At: t0, RestaurantID: "r-1", UserID: "u-1", TotalCents: 2500}
}

func req(id string, s order.Status, sec int, reason string) *streams.Request {
	return &streams.Request{OrderID: id, Status: s, At: at(sec), Reason: reason}
}

// change is the change of o-1 (r-1, u-1) to s at sec, made at seq.
func change(s order.Status, sec int, reason string, seq exactly.Pos) streams.Change {
	return streams.Change{OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: s, At: at(sec), Reason: reason, Seq: seq}
}

func TestProcess(t *testing.T) {
	type step struct {
		r       *streams.Request
		at      exactly.Pos
		verdict lifecycle.Verdict
		update  *streams.Update
	}
	tests := []struct {
		name    string
		steps   []step
		status  order.Status
		history []lifecycle.Entry // of the order stored after the last step
	}{
		{
			name: "the happy path, with durations",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusAccepted, 1, ""), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusAccepted, 1, "", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusReady, 31, ""), pos(0, 5), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusReady, 31, "", pos(0, 5)), From: order.StatusAccepted, PrepMs: 30_000}},
				{req("o-1", order.StatusDelivered, 91, ""), pos(0, 6), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusDelivered, 91, "", pos(0, 6)), From: order.StatusReady, DeliveryMs: 60_000}},
			},
			status: order.StatusDelivered,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusAccepted, At: at(1), Seq: pos(0, 1)},
				{Status: order.StatusReady, At: at(31), Seq: pos(0, 5)},
				{Status: order.StatusDelivered, At: at(91), Seq: pos(0, 6)},
			},
		},
		{
			name: "rejected, with the reason; later requests refused",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusRejected, 1, "at capacity"), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusRejected, 1, "at capacity", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusCancelled, 2, ""), pos(0, 2), lifecycle.Invalid, nil},
				{req("o-1", order.StatusReady, 3, ""), pos(0, 3), lifecycle.Invalid, nil},
			},
			status: order.StatusRejected,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusRejected, At: at(1), Reason: "at capacity", Seq: pos(0, 1)},
			},
		},
		{
			name: "cancelled before acceptance: the acceptance is refused with a notice",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusCancelled, 1, "changed my mind"), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusCancelled, 1, "changed my mind", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusAccepted, 2, ""), pos(0, 2), lifecycle.Invalid,
					&streams.Update{Change: change(order.StatusAccepted, 2, "order already cancelled", pos(0, 2)), From: order.StatusCancelled, Dropped: true}},
			},
			status: order.StatusCancelled,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusCancelled, At: at(1), Reason: "changed my mind", Seq: pos(0, 1)},
			},
		},
		{
			name: "the kitchen marks ready as the user cancels: the first to arrive wins",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusAccepted, 1, ""), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusAccepted, 1, "", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusReady, 9, ""), pos(0, 2), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusReady, 9, "", pos(0, 2)), From: order.StatusAccepted, PrepMs: 8000}},
				{req("o-1", order.StatusCancelled, 9, ""), pos(0, 3), lifecycle.Invalid, nil},
			},
			status: order.StatusReady,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusAccepted, At: at(1), Seq: pos(0, 1)},
				{Status: order.StatusReady, At: at(9), Seq: pos(0, 2)},
			},
		},
		{
			name: "repeats are refused without a notice, an accepted order stays open",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{placedReq("o-1"), pos(0, 1), lifecycle.Repeated, nil},
				{req("o-1", order.StatusAccepted, 1, ""), pos(0, 2), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusAccepted, 1, "", pos(0, 2)), From: order.StatusPlaced}},
				{req("o-1", order.StatusAccepted, 2, ""), pos(0, 3), lifecycle.Repeated, nil},
				{req("o-1", order.StatusRejected, 2, ""), pos(0, 4), lifecycle.Invalid, nil},
			},
			status: order.StatusAccepted,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusAccepted, At: at(1), Seq: pos(0, 2)},
			},
		},
		{
			name: "a clock behind the last step is moved up to it",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusAccepted, 10, ""), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusAccepted, 10, "", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusReady, 5, ""), pos(0, 2), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusReady, 10, "", pos(0, 2)), From: order.StatusAccepted}},
			},
			status: order.StatusReady,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusAccepted, At: at(10), Seq: pos(0, 1)},
				{Status: order.StatusReady, At: at(10), Seq: pos(0, 2)},
			},
		},
		{
			name: "redeliveries replay what the first attempt published",
			steps: []step{
				{placedReq("o-1"), pos(0, 0), lifecycle.Moved, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusCancelled, 1, ""), pos(0, 1), lifecycle.Moved,
					&streams.Update{Change: change(order.StatusCancelled, 1, "", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusAccepted, 2, ""), pos(0, 2), lifecycle.Invalid,
					&streams.Update{Change: change(order.StatusAccepted, 2, "order already cancelled", pos(0, 2)), From: order.StatusCancelled, Dropped: true}},
				{req("o-1", order.StatusReady, 3, ""), pos(0, 3), lifecycle.Invalid, nil},
				// The crash: the partition is replayed from the placed request.
				{placedReq("o-1"), pos(0, 0), lifecycle.Redelivered, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(0, 0))}},
				{req("o-1", order.StatusCancelled, 1, ""), pos(0, 1), lifecycle.Redelivered,
					&streams.Update{Change: change(order.StatusCancelled, 1, "", pos(0, 1)), From: order.StatusPlaced}},
				{req("o-1", order.StatusAccepted, 2, ""), pos(0, 2), lifecycle.Redelivered,
					&streams.Update{Change: change(order.StatusAccepted, 2, "order already cancelled", pos(0, 2)), From: order.StatusCancelled, Dropped: true}},
				{req("o-1", order.StatusReady, 3, ""), pos(0, 3), lifecycle.Redelivered, nil},
			},
			status: order.StatusCancelled,
			history: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusCancelled, At: at(1), Seq: pos(0, 1)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var o *lifecycle.Order
			for i, s := range tc.steps {
				next, out := lifecycle.Process(o, s.r, s.at)
				if out.Verdict != s.verdict {
					t.Errorf("step %d (%s at %v): verdict %v, want %v", i, s.r.Status, s.at, out.Verdict, s.verdict)
				}
				if !reflect.DeepEqual(out.Update, s.update) {
					t.Errorf("step %d (%s at %v): update\n%+v\nwant\n%+v", i, s.r.Status, s.at, out.Update, s.update)
				}
				if next == nil {
					t.Fatalf("step %d: nothing to store", i)
				}
				o = next
			}
			if o.Status != tc.status || !reflect.DeepEqual(o.History, tc.history) {
				t.Errorf("order %s, history\n%+v\nwant %s,\n%+v", o.Status, o.History, tc.status, tc.history)
			}
		})
	}
}

func TestProcessUnknown(t *testing.T) {
	tests := []struct {
		name string
		r    *streams.Request
	}{
		{"a request before the order", req("o-9", order.StatusAccepted, 1, "")},
		{"a cancel of an order retired", req("o-9", order.StatusCancelled, 1, "")},
		{"a placed request without parties", &streams.Request{OrderID: "o-9", Status: order.StatusPlaced, At: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next, out := lifecycle.Process(nil, tc.r, pos(0, 1))
			if next != nil || out.Verdict != lifecycle.Unknown || out.Update != nil {
				t.Errorf("Process() = %+v, %+v; want nil, unknown and no update", next, out)
			}
		})
	}
}

func TestVerdict(t *testing.T) {
	tests := []struct {
		v       lifecycle.Verdict
		name    string
		refused bool
	}{
		{lifecycle.Moved, "moved", false},
		{lifecycle.Redelivered, "redelivered", false},
		{lifecycle.Repeated, "repeated", true},
		{lifecycle.Invalid, "invalid", true},
		{lifecycle.Unknown, "unknown", true},
		{lifecycle.Verdict(99), "verdict(?)", false},
	}
	for _, tc := range tests {
		if got := tc.v.String(); got != tc.name {
			t.Errorf("String() = %q, want %q", got, tc.name)
		}
		if got := tc.v.Refused(); got != tc.refused {
			t.Errorf("%s.Refused() = %v, want %v", tc.name, got, tc.refused)
		}
	}
}

// ids names every restaurant by its id.
func ids(id string) string { return id }
