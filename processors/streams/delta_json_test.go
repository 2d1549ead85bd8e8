package streams_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestFastDecode: the codec's fast path decodes what Unmarshal decodes.
func TestDeltaFastDecode(t *testing.T) {
	strs := []string{"", "plain", "r-1", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(17, 18))
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	var values []*streams.Delta
	for range 300 {
		d := &streams.Delta{Seq: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()}, Orders: num(), RevenueCents: num(), Items: num(),
			NewRestaurants: num(), NewUsers: num(), PlacedAt: times[r.IntN(len(times))],
			Accepted: num(), Rejected: num(), Cancelled: num(), Delivered: num(), Open: num()}
		if r.IntN(2) == 0 {
			d.Restaurant = &streams.Ranked{RestaurantID: strs[r.IntN(3)+r.IntN(2)*r.IntN(len(strs)-3)], RevenueCents: num(), Orders: num()}
		}
		values = append(values, d)
	}
	testutil.CheckFastDecode(t, values, 60)
}

// TestDeltaAppendJSONMatchesMarshal: the hand-written encoding is
// Marshal's, byte for byte, for random deltas with odd strings and times.
func TestDeltaAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "plain", "r-1", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028"}
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(21, 22))
	num := func() int64 { return r.Int64N(3) * r.Int64N(1<<40) * (1 - 2*r.Int64N(2)) }
	encoded := 0
	for range 1000 {
		d := &streams.Delta{Seq: exactly.Pos{Partition: r.Int32N(5), Offset: num()}, Orders: num(), RevenueCents: num(), Items: num(),
			NewRestaurants: num(), NewUsers: num(), PlacedAt: times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]),
			Accepted: num(), Rejected: num(), Cancelled: num(), Delivered: num(), Open: num()}
		if r.IntN(2) == 0 {
			d.Restaurant = &streams.Ranked{RestaurantID: odd[r.IntN(len(odd))], RevenueCents: num(), Orders: num()}
		}
		if testutil.SameAsMarshal(t, d) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

// TestDeltaBatchCodec: a batch is encoded as Marshal encodes it and its
// fast path decodes what Unmarshal decodes; a single delta, the record of
// a version that sent one per record, decodes as a batch of one.
func TestDeltaBatchCodec(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(23, 24))
	var batches []*streams.DeltaBatch
	for i := range 60 {
		b := &streams.DeltaBatch{}
		if i > 0 {
			b.Deltas = []streams.Delta{}
		}
		for range r.IntN(4) {
			d := streams.Delta{Seq: exactly.Pos{Partition: r.Int32N(3), Offset: r.Int64N(1 << 40)}, Orders: r.Int64N(2), Open: r.Int64N(3) - 1,
				PlacedAt: t0.Add(time.Duration(r.Int64N(1 << 40)))}
			if r.IntN(2) == 0 {
				d.Restaurant = &streams.Ranked{RestaurantID: "r-1", RevenueCents: r.Int64N(1 << 30), Orders: r.Int64N(1000)}
			}
			b.Deltas = append(b.Deltas, d)
		}
		if !testutil.SameAsMarshal(t, b) {
			t.Fatalf("batch %+v: not encoded", b)
		}
		batches = append(batches, b)
	}
	testutil.CheckFastDecode(t, batches, 50)

	one := &streams.Delta{Seq: exactly.Pos{Partition: 2, Offset: 7}, Orders: 1, RevenueCents: 250, PlacedAt: t0}
	data, err := streams.DeltaCodec{}.Encode(one)
	if err != nil {
		t.Fatal(err)
	}
	got, err := streams.DeltaBatchCodec{}.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if b := got.(*streams.DeltaBatch); len(b.Deltas) != 1 || b.Deltas[0] != *one {
		t.Errorf("Decode(a single delta) = %+v, want a batch of %+v", b, one)
	}
}
