package ingest_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

// TestPlacementJSON: the hand-written encoding is Marshal's, byte for
// byte, and the fast decoding reads what Unmarshal reads.
func TestPlacementJSON(t *testing.T) {
	strs := []string{"", "plain", "o-1", "pizza", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	times := []time.Time{{}, t0, t0.Add(123456789), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(31, 32))
	str := func() string { return strs[r.IntN(4)+r.IntN(2)*r.IntN(len(strs)-4)] }
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	var values []*ingest.Placement
	for i := range 300 {
		o := order.Order{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(), PlacedAt: times[r.IntN(len(times))]}
		if i%5 != 0 {
			o.Items = []order.Item{}
			for range r.IntN(4) {
				o.Items = append(o.Items, order.Item{SKU: str(), Qty: num(), PriceCents: num()})
			}
		}
		values = append(values, &ingest.Placement{Order: o, Source: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()}})
	}
	encoded := 0
	for _, v := range values {
		if testutil.SameAsMarshal(t, v) {
			encoded++
		}
	}
	if encoded < 150 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
	testutil.CheckFastDecode(t, values, 60)
}
