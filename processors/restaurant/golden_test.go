package restaurant_test

import (
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/window"
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
		PerMinute: window.Counts{
			Buckets:    []window.Bucket{{Start: t0.Add(2 * time.Hour), Count: 1}},
			StreamTime: t0.Add(2*time.Hour + 500*time.Millisecond),
			Late:       1,
		},
		Accepted:        2,
		Rejected:        1,
		Cancelled:       1,
		Ready:           1,
		Delivered:       1,
		Open:            0,
		PrepMsTotal:     600_000,
		DeliveryMsTotal: 900_000,
		AvgPrepMs:       600_000,
		AvgDeliveryMs:   900_000,
		StatusApplied:   exactly.Applied{0: 9, 2: 4},
	}
}

// TestGoldenStats pins the JSON of restaurant-table, which views and other
// services read.
func TestGoldenStats(t *testing.T) {
	testutil.GoldenCodec(t, "stats", restaurant.StatsCodec{}, goldenStats())
}

// TestGoldenStatsOpen pins a restaurant with open orders.
func TestGoldenStatsOpen(t *testing.T) {
	testutil.GoldenCodec(t, "stats_open", restaurant.StatsCodec{}, &restaurant.Stats{
		RestaurantID: "r-2", Orders: 2, RevenueCents: 500, Items: 2, AvgOrderCents: 250,
		FirstOrderAt: t0, LastOrderAt: t0, TopItems: []restaurant.ItemCount{{"tea", 2}}, ItemQty: map[string]int64{"tea": 2},
		Applied: exactly.Applied{0: 3}, Accepted: 2, Open: 2, OpenOrders: []string{"o-1", "o-2"},
		StatusApplied: exactly.Applied{1: 8},
	})
}
