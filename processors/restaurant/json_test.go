package restaurant_test

import (
	"math/rand/v2"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/window"
)

// TestAppendJSONMatchesMarshal: the hand-written encoding is Marshal's,
// byte for byte, for random Stats with odd strings, times and empty or
// nil collections.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028", "\x7f", "\uFFFD"}
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(3, 4))
	str := func() string { return odd[r.IntN(len(odd))] }
	tm := func() time.Time { return times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]) }
	num := func() int64 { return r.Int64N(3) * r.Int64N(1<<40) * (1 - 2*r.Int64N(2)) }
	applied := func() exactly.Applied {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			return exactly.Applied{}
		}
		a := exactly.Applied{}
		for range 1 + r.IntN(13) {
			a[r.Int32N(24)-2] = num()
		}
		return a
	}
	encoded := 0
	for i := range 1000 {
		s := &restaurant.Stats{RestaurantID: str(), Orders: num(), RevenueCents: num(), Items: num(), AvgOrderCents: num(),
			FirstOrderAt: tm(), LastOrderAt: tm(), First: exactly.Pos{Partition: r.Int32N(5), Offset: num()}, Applied: applied(),
			Accepted: num(), Rejected: num(), Cancelled: num(), Ready: num(), Delivered: num(), Open: num(),
			PrepMsTotal: num(), DeliveryMsTotal: num(), AvgPrepMs: num(), AvgDeliveryMs: num(), StatusApplied: applied()}
		if i%4 != 0 {
			s.TopItems = []restaurant.ItemCount{}
			s.ItemQty = map[string]int64{}
			for range r.IntN(6) {
				s.TopItems = append(s.TopItems, restaurant.ItemCount{SKU: str(), Qty: num()})
				s.ItemQty[str()] = num()
			}
			for range r.IntN(30) { // plain keys, sorted by hand
				s.ItemQty[string(rune('a'+r.IntN(26)))+string(rune('A'+r.IntN(26)))] = num()
			}
		}
		switch i % 5 {
		case 1:
			s.PerMinute.Buckets = []window.Bucket{}
		case 2:
			s.PerMinute.StreamTime = tm()
		case 3:
			s.PerMinute.Late = num()
		case 4:
			for range r.IntN(4) {
				s.PerMinute.Buckets = append(s.PerMinute.Buckets, window.Bucket{Start: tm(), Count: num()})
			}
			s.PerMinute.StreamTime, s.PerMinute.Late = tm(), num()
		}
		switch i % 3 {
		case 1:
			s.OpenOrders = []string{}
		case 2:
			for range r.IntN(4) {
				s.OpenOrders = append(s.OpenOrders, str())
			}
		}
		if testutil.SameAsMarshal(t, s) {
			encoded++
		}
	}
	if encoded < 100 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

func BenchmarkMarshalStats(b *testing.B) {
	s := benchStats()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryField: the hand-written codec of the table's statistics covers every field
// of its struct.
func TestEveryField(t *testing.T) {
	testutil.CheckEveryField[restaurant.Stats](t)
}
