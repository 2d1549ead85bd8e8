package lifecycle_test

import (
	"cmp"
	"reflect"
	"testing"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// noteOf is a change of o-1 (u-1) at restaurant to s, made at offset off
// of partition 1.
func noteOf(s order.Status, restaurant, reason string, off int64) *streams.Change {
	return &streams.Change{OrderID: "o-1", RestaurantID: restaurant, UserID: "u-1", Status: s, At: t0, Reason: reason,
		Seq: exactly.Pos{Partition: 1, Offset: off}}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		c    *streams.Change
		want string
	}{
		{noteOf(order.StatusPlaced, "r-1", "", 0), "Your order o-1 at Roma was placed."},
		{noteOf(order.StatusAccepted, "r-1", "", 0), "Roma accepted your order o-1 and is preparing it."},
		{noteOf(order.StatusRejected, "r-1", "restaurant at capacity: 10 open orders", 0),
			"Roma cannot take your order o-1: restaurant at capacity: 10 open orders."},
		{noteOf(order.StatusRejected, "r-1", "", 0), "Roma cannot take your order o-1."},
		{noteOf(order.StatusReady, "r-1", "", 0), "Your order o-1 is ready at Roma; a courier is on the way."},
		{noteOf(order.StatusDelivered, "r-1", "", 0), "Your order o-1 from Roma was delivered. Enjoy!"},
		{noteOf(order.StatusCancelled, "r-1", "", 0), "Your order o-1 at Roma was cancelled."},
		{noteOf(order.StatusCancelled, "r-1", "changed my mind", 0), "Your order o-1 at Roma was cancelled: changed my mind."},
		{noteOf("lost", "r-1", "", 0), "Your order o-1 at Roma is now lost."},
	}
	for _, tc := range tests {
		if got := lifecycle.Message(tc.c, "Roma"); got != tc.want {
			t.Errorf("Message(%s) = %q, want %q", tc.c.Status, got, tc.want)
		}
	}
}

// TestNotify: the lifecycle makes a notification of every change it
// publishes, keyed by user, with the restaurant's name from the catalog,
// or its id when the catalog lacks it; a redelivered request repeats it.
func TestNotify(t *testing.T) {
	tt := tester.New(t)
	names := map[string]string{"r-1": "Trattoria Roma"}
	testutil.StartProcessor(t, tt, lifecycle.Define(lifecycle.Hooks{}, func(id string) string { return cmp.Or(names[id], id) }).GroupGraph)
	out := tt.NewQueueTracker(string(streams.Notifications))

	o := &order.Order{OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Items: []order.Item{{SKU: "s", Qty: 1, PriceCents: 2500}}, TotalCents: 2500, PlacedAt: t0}
	tt.Consume(string(streams.Requests), "o-1", streams.PlacedRequest(o, exactly.Pos{Offset: 7}))
	tt.Consume(string(streams.Requests), "o-1", req("o-1", order.StatusAccepted, 2, ""))
	tt.Consume(string(streams.Requests), "o-1", req("o-1", order.StatusDelivered, 3, "")) // refused: no notification
	want := []streams.Notification{
		{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusPlaced,
			Message: "Your order o-1 at Trattoria Roma was placed.", At: t0, Seq: exactly.Pos{Offset: 0}},
		{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusAccepted,
			Message: "Trattoria Roma accepted your order o-1 and is preparing it.", At: at(2), Seq: exactly.Pos{Offset: 1}},
	}
	if got := testutil.Drain[streams.Notification](t, out, "u-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("notifications =\n%+v\nwant\n%+v", got, want)
	}
}
