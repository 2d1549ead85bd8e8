package restaurant_test

import (
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
)

func goldenStats() *restaurant.Stats {
	return &restaurant.Stats{
		RestaurantID:  "r-1",
		Orders:        3,
		RevenueCents:  3001,
		Items:         7,
		AvgOrderCents: 1000,
		FirstOrderAt:  t0,
		LastOrderAt:   t0.Add(2*time.Hour + 500*time.Millisecond),
		TopItems:      []restaurant.ItemCount{{"cola", 3}, {"pizza", 2}, {"salad", 2}},
		ItemQty:       map[string]int64{"pizza": 2, "cola": 3, "salad": 2},
		First:         exactly.Pos{Partition: 0, Offset: 0},
		Applied:       exactly.Applied{0: 1, 1: 5, 10: 2},
	}
}

// TestGoldenStats pins the JSON of restaurant-table, which views and other
// services read.
func TestGoldenStats(t *testing.T) {

	testutil.GoldenCodec(t, "stats", restaurant.StatsCodec{}, goldenStats())
}
