package global_test

import (
	"fmt"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/streams"
)

// benchStandings are 50 restaurants of one shard, for deltas to cycle over.
func benchStandings() []streams.Ranked {
	rs := make([]streams.Ranked, 50)
	for i := range rs {
		rs[i] = rk(fmt.Sprintf("restaurant-%04d", i), int64(1000*(i+1)), int64(i+1))
	}
	return rs
}

// bump adds an order of 3450 cents to standing i of rs (cycling), as the
// restaurant processor would before its next delta, and returns it.
func bump(rs []streams.Ranked, i int) *streams.Ranked {
	r := &rs[i%len(rs)]
	r.RevenueCents += 3450
	r.Orders++
	return r
}

func BenchmarkShardApply(b *testing.B) {
	rs := benchStandings()
	var s global.Shard
	d := &streams.Delta{Orders: 1, RevenueCents: 3450, Items: 4}
	for i := range rs {
		d.Seq.Offset = int64(i)
		d.Restaurant = &rs[i]
		s.Apply(d)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Seq.Offset++
		d.Restaurant = bump(rs, i)
		if !s.Apply(d) {
			b.Fatal("not applied")
		}
		i++
	}
}

func BenchmarkRank(b *testing.B) {
	rs := benchStandings()
	var top []streams.Ranked
	for _, r := range rs {
		top = global.Rank(top, r, global.TopN)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		top = global.Rank(top, *bump(rs, i), global.TopN)
		i++
	}
}

// BenchmarkCodecEncodeDelta encodes a restaurant's delta for a placed
// order, with the hand-written encoder and, as the baseline, json.Marshal.
func BenchmarkCodecEncodeDelta(b *testing.B) {
	d := &streams.Delta{Seq: exactly.Pos{Partition: 1, Offset: 123456}, Orders: 1, RevenueCents: 3450, Items: 3,
		Restaurant: &streams.Ranked{RestaurantID: "restaurant-0042", RevenueCents: 1234500, Orders: 321},
		PlacedAt:   time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := (streams.DeltaCodec{}).Encode(d); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}
