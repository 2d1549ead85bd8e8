package registry_test

import (
	"math/rand/v2"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/registry"
)

// randomValues returns placed orders and entries with odd strings and
// times, nil and empty item lists.
func randomValues(seed uint64, n int) ([]*registry.Placed, []*registry.Entry) {
	strs := []string{"", "plain", "o-1", "pizza", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(seed, seed+1))
	str := func() string { return strs[r.IntN(4)+r.IntN(2)*r.IntN(len(strs)-4)] }
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	pos := func() exactly.Pos { return exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()} }
	var placed []*registry.Placed
	var entries []*registry.Entry
	for i := range n {
		o := order.Order{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(), PlacedAt: times[r.IntN(len(times))]}
		if i%5 != 0 {
			o.Items = []order.Item{}
			for range r.IntN(4) {
				o.Items = append(o.Items, order.Item{SKU: str(), Qty: num(), PriceCents: num()})
			}
		}
		placed = append(placed, &registry.Placed{Order: o, Seq: pos()})
		entries = append(entries, &registry.Entry{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(),
			PlacedAt: times[r.IntN(len(times))], Source: pos(), At: pos()})
	}
	return placed, entries
}

// TestFastDecode: the codecs' fast paths decode what Unmarshal decodes.
func TestFastDecode(t *testing.T) {
	placed, entries := randomValues(15, 300)
	t.Run("placed", func(t *testing.T) { testutil.CheckFastDecode(t, placed, 60) })
	t.Run("entry", func(t *testing.T) { testutil.CheckFastDecode(t, entries, 60) })
}

// TestAppendJSONMatchesMarshal: the hand-written encodings are Marshal's,
// byte for byte.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	placed, entries := randomValues(17, 300)
	encoded := 0
	for i := range placed {
		if testutil.SameAsMarshal(t, placed[i]) {
			encoded++
		}
		if testutil.SameAsMarshal(t, entries[i]) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

// BenchmarkUnmarshalPlaced is what BenchmarkCodecDecodePlaced was
// before the fast path.
func BenchmarkUnmarshalPlaced(b *testing.B) {
	data, err := json.Marshal(benchPlaced())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(data, new(registry.Placed)); err != nil {
			b.Fatal(err)
		}
	}
}
