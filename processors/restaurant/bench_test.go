package restaurant_test

import (
	"fmt"
	"testing"

	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
)

// menu is a restaurant menu of typical size.
const menu = 20

// benchStats is a restaurant that has sold every item of its menu.
func benchStats() *restaurant.Stats {
	s := &restaurant.Stats{RestaurantID: "restaurant-0042"}
	for i := range menu {
		s.Apply(placed(pos(0, int64(i)), s.RestaurantID, i, item(fmt.Sprintf("sku-%02d", i), int64(i+1), 990)))
	}
	return s
}

// benchOrder is a three-item order of s's restaurant, placed after every
// order benchStats applied.
func benchOrder(s *restaurant.Stats) *streams.Placed {
	return placed(pos(0, menu), s.RestaurantID, 0, item("sku-01", 2, 1250), item("sku-07", 1, 300), item("sku-13", 1, 650))
}

func BenchmarkRestaurantApply(b *testing.B) {
	s := benchStats()
	p := benchOrder(s)
	b.ReportAllocs()
	for b.Loop() {
		p.Seq.Offset++
		if !s.Apply(p) {
			b.Fatal("not applied")
		}
	}
}

// BenchmarkRestaurantCount is the whole callback body: apply and delta.
func BenchmarkRestaurantCount(b *testing.B) {
	s := benchStats()
	p := benchOrder(s)
	b.ReportAllocs()
	for b.Loop() {
		p.Seq.Offset++
		s.Apply(p)
		_ = s.Delta(p)
	}
}

func BenchmarkCodecEncodeStats(b *testing.B) {
	s := benchStats()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (restaurant.StatsCodec{}).Encode(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodeStats(b *testing.B) {
	data, err := restaurant.StatsCodec{}.Encode(benchStats())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (restaurant.StatsCodec{}).Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
