package notifier_test

import (
	"cmp"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/notifier"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func change(s order.Status, restaurant, reason string, off int64) *lifecycle.Change {
	return &lifecycle.Change{OrderID: "o-1", RestaurantID: restaurant, UserID: "u-1", Status: s, At: t0, Reason: reason,
		Seq: exactly.Pos{Partition: 1, Offset: off}}
}

func TestMessage(t *testing.T) {
	tests := []struct {
		c    *lifecycle.Change
		want string
	}{
		{change(order.StatusPlaced, "r-1", "", 0), "Your order o-1 at Roma was placed."},
		{change(order.StatusAccepted, "r-1", "", 0), "Roma accepted your order o-1 and is preparing it."},
		{change(order.StatusRejected, "r-1", "restaurant at capacity: 10 open orders", 0),
			"Roma cannot take your order o-1: restaurant at capacity: 10 open orders."},
		{change(order.StatusRejected, "r-1", "", 0), "Roma cannot take your order o-1."},
		{change(order.StatusReady, "r-1", "", 0), "Your order o-1 is ready at Roma; a courier is on the way."},
		{change(order.StatusDelivered, "r-1", "", 0), "Your order o-1 from Roma was delivered. Enjoy!"},
		{change(order.StatusCancelled, "r-1", "", 0), "Your order o-1 at Roma was cancelled."},
		{change(order.StatusCancelled, "r-1", "changed my mind", 0), "Your order o-1 at Roma was cancelled: changed my mind."},
		{change("lost", "r-1", "", 0), "Your order o-1 at Roma is now lost."},
	}
	for _, tc := range tests {
		if got := notifier.Message(tc.c, "Roma"); got != tc.want {
			t.Errorf("Message(%s) = %q, want %q", tc.c.Status, got, tc.want)
		}
	}
}

// TestNotify: every change becomes a notification keyed by user, with the
// restaurant's name from the catalog, or its id when the catalog lacks it.
func TestNotify(t *testing.T) {
	tt := tester.New(t)
	names := map[string]string{"r-1": "Trattoria Roma"}
	testutil.StartProcessor(t, tt, notifier.Define(func(id string) string { return cmp.Or(names[id], id) }))
	out := tt.NewQueueTracker(string(notifier.Output))

	tt.Consume(string(lifecycle.Changes), "o-1", change(order.StatusAccepted, "r-1", "", 4))
	tt.Consume(string(lifecycle.Changes), "o-1", change(order.StatusReady, "r-9", "", 5))
	tt.Consume(string(lifecycle.Changes), "o-1", change(order.StatusReady, "r-9", "", 5)) // redelivered
	ready := notifier.Notification{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-9", Status: order.StatusReady,
		Message: "Your order o-1 is ready at r-9; a courier is on the way.", At: t0, Seq: exactly.Pos{Partition: 1, Offset: 5}}
	want := []notifier.Notification{
		{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusAccepted,
			Message: "Trattoria Roma accepted your order o-1 and is preparing it.", At: t0, Seq: exactly.Pos{Partition: 1, Offset: 4}},
		ready, ready,
	}
	if got := testutil.Drain[notifier.Notification](t, out, "u-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("notifications =\n%+v\nwant\n%+v", got, want)
	}
}

func TestGolden(t *testing.T) {
	testutil.GoldenCodec(t, "notification", notifier.NotificationCodec{},
		notifier.New(change(order.StatusRejected, "r-1", "restaurant at capacity: 10 open orders", 17), "Trattoria Roma"))
}
