package global_test

import (
	"testing"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/window"
)

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"shard", global.ShardCodec{}, &global.Shard{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2,
			Top:     []streams.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
			Applied: exactly.Applied{0: 12, 1: 7, 10: 3},
		}},
		{"shard_users", global.ShardCodec{}, &global.Shard{Users: 4, Applied: exactly.Applied{3: 9}}},
		{"shard_placed", global.ShardCodec{}, &global.Shard{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2,
			Applied: exactly.Applied{0: 12},
			PerMinute: window.Counts{
				Buckets:    []window.Bucket{{Start: time.Date(2025, 3, 14, 12, 29, 0, 0, time.UTC), Count: 2}, {Start: time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC), Count: 1}},
				StreamTime: time.Date(2025, 3, 14, 12, 30, 5, 0, time.UTC),
				Late:       1,
			},
		}},
		{"shard_status", global.ShardCodec{}, &global.Shard{
			Accepted: 7, Rejected: 2, Cancelled: 1, Delivered: 4, Open: 2, Applied: exactly.Applied{0: 30, 2: 11},
		}},
		// Summary is what the HTTP API serves.
		{"summary", jsoncodec.Codec[global.Summary]{}, &global.Summary{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2, Users: 4,
			TopRestaurants: []streams.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
			Accepted:       2, Rejected: 1, Cancelled: 1, Delivered: 1, Open: 1,
			PerMinute: []window.Bucket{{Start: time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC), Count: 3}},
		}},
		{"summary_empty", jsoncodec.Codec[global.Summary]{}, &global.Summary{TopRestaurants: []streams.Ranked{}, PerMinute: []window.Bucket{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.GoldenCodec(t, tc.name, tc.codec, tc.value)
		})
	}
}
