package streams_test

import (
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func at(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

// change is the change of o-1 (r-1, u-1) to s at sec, made at seq.
func change(s order.Status, sec int, reason string, seq exactly.Pos) streams.Change {
	return streams.Change{OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: s, At: at(sec), Reason: reason, Seq: seq}
}

// TestGolden pins the wire format of every stream between the processors:
// order-status and notifications are read by any service that cares, the
// others by the processors, the views and verify.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"request_placed", streams.RequestCodec{}, &streams.Request{
			OrderID: "o-1", Status: order.StatusPlaced, At: t0, RestaurantID: "r-1", UserID: "u-1", TotalCents: 2500,
		}},
		{"request_cancel", streams.RequestCodec{}, &streams.Request{
			OrderID: "o-1", Status: order.StatusCancelled, At: at(5), Reason: "changed my mind",
		}},
		{"change", streams.ChangeCodec{}, &streams.Change{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: order.StatusRejected, At: at(1),
			Reason: "restaurant at capacity: 10 open orders", Seq: pos(2, 41),
		}},
		{"change_no_reason", streams.ChangeCodec{}, &streams.Change{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: order.StatusAccepted, At: at(1), Seq: pos(2, 41),
		}},
		{"update_ready", streams.UpdateCodec{}, &streams.Update{
			Change: change(order.StatusReady, 31, "", pos(1, 7)), From: order.StatusAccepted, PrepMs: 30_000,
		}},
		{"update_dropped", streams.UpdateCodec{}, &streams.Update{
			Change: change(order.StatusAccepted, 3, "order already cancelled", pos(1, 8)), From: order.StatusCancelled, Dropped: true,
		}},
		{"notification", streams.NotificationCodec{}, &streams.Notification{
			UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusRejected,
			Message: "Trattoria Roma cannot take your order o-1: restaurant at capacity: 10 open orders.",
			At:      t0, Seq: pos(1, 17),
		}},
		{"delta", streams.DeltaCodec{}, &streams.Delta{
			Seq: pos(2, 77), Orders: 1, RevenueCents: 3450, Items: 4, NewRestaurants: 1,
			Restaurant: &streams.Ranked{RestaurantID: "r-1", RevenueCents: 10250, Orders: 3},
		}},
		{"delta_placed", streams.DeltaCodec{}, &streams.Delta{
			Seq: pos(2, 78), Orders: 1, RevenueCents: 300, Items: 1,
			Restaurant: &streams.Ranked{RestaurantID: "r-1", RevenueCents: 10550, Orders: 4},
			PlacedAt:   time.Date(2025, 3, 14, 12, 30, 5, 0, time.UTC),
		}},
		// A status delta: an accepted order finished.
		{"delta_status", streams.DeltaCodec{}, &streams.Delta{Seq: pos(1, 12), Delivered: 1, Open: -1}},
		// A user delta: the zero fields are left out.
		{"delta_user", streams.DeltaCodec{}, &streams.Delta{Seq: pos(0, 5), NewUsers: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.GoldenCodec(t, tc.name, tc.codec, tc.value)
		})
	}
}
