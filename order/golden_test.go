package order_test

import (
	"testing"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
)

// TestGoldenOrder pins the JSON of the public "orders" topic: other services
// write it, so a renamed field or a changed time format must fail here.
func TestGoldenOrder(t *testing.T) {
	o := testutil.ValidOrder()
	testutil.GoldenCodec(t, "order", order.Codec{}, &o)
}
