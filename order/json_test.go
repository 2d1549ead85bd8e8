package order_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
)

// randomOrders returns orders with odd strings, times and items, and nil
// and empty item lists.
func randomOrders(seed uint64, n int) []*order.Order {
	strs := []string{"", "plain", "o-1", "pizza", "<b> & co", `q"uote`, "tab\t", "naïve ☕", "bad \xff", "\u2028"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(seed, seed+1))
	str := func() string { return strs[r.IntN(4)+r.IntN(2)*r.IntN(len(strs)-4)] }
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	var orders []*order.Order
	for i := range n {
		o := &order.Order{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(), PlacedAt: times[r.IntN(len(times))]}
		if i%5 != 0 {
			o.Items = []order.Item{}
			for range r.IntN(4) {
				o.Items = append(o.Items, order.Item{SKU: str(), Qty: num(), PriceCents: num()})
			}
		}
		orders = append(orders, o)
	}
	return orders
}

// TestAppendJSONMatchesMarshal: the hand-written encoding is Marshal's,
// byte for byte.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	encoded := 0
	for _, o := range randomOrders(21, 600) {
		if testutil.SameAsMarshal(t, o) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d orders encoded without an error", encoded)
	}
}

// TestFastDecode: the hand-written decoding reads what Unmarshal reads.
func TestFastDecode(t *testing.T) {
	testutil.CheckFastDecode(t, randomOrders(23, 600), 60)
}

// TestEveryField: the hand-written codec of the order covers every field
// of its struct.
func TestEveryField(t *testing.T) {
	testutil.CheckEveryField[order.Order](t)
}
