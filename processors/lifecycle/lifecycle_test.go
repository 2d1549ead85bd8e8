package lifecycle_test

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// refusals is a fake Hooks.Refused.
type refusals struct {
	mu  sync.Mutex
	got []string
}

func (r *refusals) record(req *streams.Request, current order.Status, v lifecycle.Verdict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, req.OrderID+" "+string(current)+"→"+string(req.Status)+" "+v.String())
}

func (r *refusals) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// TestLifecycle follows two orders through the processor: one delivered,
// one whose cancel wins over the restaurant's acceptance.
func TestLifecycle(t *testing.T) {
	tt := tester.New(t)
	ref := new(refusals)
	testutil.StartProcessor(t, tt, lifecycle.Define(lifecycle.Hooks{Refused: ref.record}, ids).GroupGraph)
	changes := tt.NewQueueTracker(string(streams.Changes))
	byRest := tt.NewQueueTracker(string(streams.ByRestaurant))

	o2 := placedReq("o-2")
	o2.UserID = "u-2"
	for _, r := range []*streams.Request{
		placedReq("o-1"), // 0
		o2,               // 1
		req("o-2", order.StatusCancelled, 1, "bye"), // 2
		req("o-1", order.StatusAccepted, 2, ""),     // 3
		req("o-2", order.StatusAccepted, 2, ""),     // 4: too late
		req("o-1", order.StatusReady, 12, ""),       // 5
		req("o-1", order.StatusReady, 13, ""),       // 6: kitchen retried
		req("o-1", order.StatusDelivered, 42, ""),   // 7
		req("o-3", order.StatusCancelled, 42, ""),   // 8: never placed
	} {
		tt.Consume(string(streams.Requests), r.OrderID, r)
	}

	c2 := func(s order.Status, sec int, reason string, off int64) streams.Change {
		return streams.Change{OrderID: "o-2", RestaurantID: "r-1", UserID: "u-2", Status: s, At: at(sec), Reason: reason, Seq: pos(0, off)}
	}
	wantChanges := []struct {
		key    string
		change streams.Change
	}{
		{"o-1", change(order.StatusPlaced, 0, "", pos(0, 0))},
		{"o-2", c2(order.StatusPlaced, 0, "", 1)},
		{"o-2", c2(order.StatusCancelled, 1, "bye", 2)},
		{"o-1", change(order.StatusAccepted, 2, "", pos(0, 3))},
		{"o-1", change(order.StatusReady, 12, "", pos(0, 5))},
		{"o-1", change(order.StatusDelivered, 42, "", pos(0, 7))},
	}
	for i, w := range wantChanges {
		key, v, ok := changes.Next()
		if !ok || key != w.key || !reflect.DeepEqual(v, &w.change) {
			t.Errorf("order-status[%d] = %s %+v, want %s %+v", i, key, v, w.key, w.change)
		}
	}
	if key, v, ok := changes.Next(); ok {
		t.Errorf("order-status: extra %s %+v", key, v)
	}

	wantUpdates := []streams.Update{
		{Change: change(order.StatusPlaced, 0, "", pos(0, 0))},
		{Change: c2(order.StatusPlaced, 0, "", 1)},
		{Change: c2(order.StatusCancelled, 1, "bye", 2), From: order.StatusPlaced},
		{Change: change(order.StatusAccepted, 2, "", pos(0, 3)), From: order.StatusPlaced},
		{Change: c2(order.StatusAccepted, 2, "order already cancelled", 4), From: order.StatusCancelled, Dropped: true},
		{Change: change(order.StatusReady, 12, "", pos(0, 5)), From: order.StatusAccepted, PrepMs: 10_000},
		{Change: change(order.StatusDelivered, 42, "", pos(0, 7)), From: order.StatusReady, DeliveryMs: 30_000},
	}
	if got := testutil.Drain[streams.Update](t, byRest, "r-1"); !reflect.DeepEqual(got, wantUpdates) {
		t.Errorf("status-by-restaurant =\n%+v\nwant\n%+v", got, wantUpdates)
	}

	wantRefused := []string{"o-2 cancelled→accepted invalid", "o-1 ready→ready repeated", "o-3 →cancelled unknown"}
	if got := ref.all(); !slices.Equal(got, wantRefused) {
		t.Errorf("refused = %q, want %q", got, wantRefused)
	}
	testutil.CheckTable(t, tt, lifecycle.Table, map[string]*lifecycle.Order{
		"o-1": {
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2500, Status: order.StatusDelivered,
			History: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 0)},
				{Status: order.StatusAccepted, At: at(2), Seq: pos(0, 3)},
				{Status: order.StatusReady, At: at(12), Seq: pos(0, 5)},
				{Status: order.StatusDelivered, At: at(42), Seq: pos(0, 7)},
			},
			Applied: map[int32]int64{0: 7},
		},
		"o-2": {
			OrderID: "o-2", RestaurantID: "r-1", UserID: "u-2", TotalCents: 2500, Status: order.StatusCancelled,
			History: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(0, 1)},
				{Status: order.StatusCancelled, At: at(1), Reason: "bye", Seq: pos(0, 2)},
			},
			Applied: map[int32]int64{0: 4},
		},
	})
}

// TestRetire sweeps the table as the process command does: finished orders
// older than the cutoff lose their history, others stay whole; a later
// copy of a retired order's id is still a duplicate.
func TestRetire(t *testing.T) {
	tt := tester.New(t)
	p := testutil.StartProcessor(t, tt, lifecycle.Define(lifecycle.Hooks{}, ids).GroupGraph)

	for _, r := range []*streams.Request{
		placedReq("old-delivered"), req("old-delivered", order.StatusAccepted, 1, ""),
		req("old-delivered", order.StatusReady, 2, ""), req("old-delivered", order.StatusDelivered, 3, ""),
		placedReq("old-open"), req("old-open", order.StatusAccepted, 1, ""),
		placedReq("old-rejected"), req("old-rejected", order.StatusRejected, 1, ""),
		placedReq("new-cancelled"), req("new-cancelled", order.StatusCancelled, 600, ""),
	} {
		tt.Consume(string(streams.Requests), r.OrderID, r)
	}
	if err := p.VisitAll(context.Background(), lifecycle.VisitRetire, at(300)); err != nil {
		t.Fatalf("VisitAll: %v", err)
	}
	tt.Catchup()
	var retired, whole []string
	for _, k := range tt.GetTableKeys(lifecycle.Table) {
		o := tt.TableValue(lifecycle.Table, k).(*lifecycle.Order)
		switch {
		case o.Retired && o.History == nil && o.Status.Final() && o.RestaurantID == "r-1":
			retired = append(retired, k)
		case !o.Retired && len(o.History) > 0:
			whole = append(whole, k)
		default:
			t.Errorf("after the sweep, %s = %+v", k, o)
		}
	}
	slices.Sort(retired)
	slices.Sort(whole)
	if want := []string{"old-delivered", "old-rejected"}; !slices.Equal(retired, want) {
		t.Errorf("retired = %v, want %v", retired, want)
	}
	if want := []string{"new-cancelled", "old-open"}; !slices.Equal(whole, want) {
		t.Errorf("kept whole = %v, want %v", whole, want)
	}

	// Another record of "orders" with a retired order's id.
	var dup lifecycle.Verdict = -1
	o, _ := tt.TableValue(lifecycle.Table, "old-delivered").(*lifecycle.Order)
	again := &order.Order{OrderID: "old-delivered", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2500, PlacedAt: t0}
	if _, out := lifecycle.Process(o, streams.PlacedRequest(again, exactly.Pos{Partition: 2, Offset: 9}), exactly.Pos{Offset: 99}); out.Update == nil {
		dup = out.Verdict
	}
	if dup != lifecycle.Duplicate {
		t.Errorf("a copy of a retired order's id: verdict %v, want duplicate", dup)
	}
}

func TestExpired(t *testing.T) {
	finished := func(s order.Status, sec int) *lifecycle.Order {
		return &lifecycle.Order{Status: s, History: []lifecycle.Entry{{Status: order.StatusPlaced, At: t0}, {Status: s, At: at(sec)}}}
	}
	tests := []struct {
		name string
		o    *lifecycle.Order
		want bool
	}{
		{"delivered before the cutoff", finished(order.StatusDelivered, 10), true},
		{"rejected before the cutoff", finished(order.StatusRejected, 10), true},
		{"cancelled before the cutoff", finished(order.StatusCancelled, 10), true},
		{"finished at the cutoff", finished(order.StatusDelivered, 60), false},
		{"finished after the cutoff", finished(order.StatusDelivered, 61), false},
		{"ready, long ago", finished(order.StatusReady, 1), false},
		{"no history", &lifecycle.Order{Status: order.StatusDelivered}, false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := lifecycle.Expired(tc.o, at(60)); got != tc.want {
			t.Errorf("%s: Expired() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRetireInterval(t *testing.T) {
	tests := []struct{ retention, want time.Duration }{
		{time.Hour, 5 * time.Minute},
		{10 * time.Minute, time.Minute},
		{5 * time.Second, time.Second},
		{0, time.Second},
		{24 * time.Hour, 5 * time.Minute},
	}
	for _, tc := range tests {
		if got := lifecycle.RetireInterval(tc.retention); got != tc.want {
			t.Errorf("RetireInterval(%v) = %v, want %v", tc.retention, got, tc.want)
		}
	}
	if got := lifecycle.Cutoff(time.Hour)(at(3600)); got != t0 {
		t.Errorf("Cutoff(1h)(t0+1h) = %v, want %v", got, t0)
	}
}
