package lifecycle_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// TestGolden pins the wire formats of the lifecycle: order-status is read
// by any service that cares, the others by the processors and the views.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"request_placed", lifecycle.RequestCodec{}, placedReq("o-1")},
		{"request_cancel", lifecycle.RequestCodec{}, req("o-1", order.StatusCancelled, 5, "changed my mind")},
		{"change", lifecycle.ChangeCodec{}, &lifecycle.Change{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: order.StatusRejected, At: at(1),
			Reason: "restaurant at capacity: 10 open orders", Seq: pos(2, 41),
		}},
		{"change_no_reason", lifecycle.ChangeCodec{}, &lifecycle.Change{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: order.StatusAccepted, At: at(1), Seq: pos(2, 41),
		}},
		{"update_ready", lifecycle.UpdateCodec{}, &lifecycle.Update{
			Change: change(order.StatusReady, 31, "", pos(1, 7)), From: order.StatusAccepted, PrepMs: 30_000,
		}},
		{"update_dropped", lifecycle.UpdateCodec{}, &lifecycle.Update{
			Change: change(order.StatusAccepted, 3, "order already cancelled", pos(1, 8)), From: order.StatusCancelled, Dropped: true,
		}},
		{"order", lifecycle.OrderCodec{}, &lifecycle.Order{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2500, Status: order.StatusCancelled,
			History: []lifecycle.Entry{
				{Status: order.StatusPlaced, At: t0, Seq: pos(1, 0)},
				{Status: order.StatusCancelled, At: at(2), Reason: "changed my mind", Seq: pos(1, 3)},
			},
			Applied: exactly.Applied{1: 4},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.GoldenCodec(t, tc.name, tc.codec, tc.value)
		})
	}
}
