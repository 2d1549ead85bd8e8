package lifecycle_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// TestGolden pins the format of the lifecycle's table (its changelog is
// read by the views and verify); processors/streams pins its streams'.
func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
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
