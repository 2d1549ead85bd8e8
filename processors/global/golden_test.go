package global_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
)

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"delta", global.DeltaCodec{}, &global.Delta{
			Seq: pos(2, 77), Orders: 1, RevenueCents: 3450, Items: 4, NewRestaurants: 1,
			Restaurant: rkp("r-1", 10250, 3),
		}},
		// A user delta: the zero fields are left out.
		{"delta_user", global.DeltaCodec{}, &global.Delta{Seq: pos(0, 5), NewUsers: 1}},
		{"shard", global.ShardCodec{}, &global.Shard{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2,
			Top:     []global.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
			Applied: exactly.Applied{0: 12, 1: 7, 10: 3},
		}},
		{"shard_users", global.ShardCodec{}, &global.Shard{Users: 4, Applied: exactly.Applied{3: 9}}},
		// Summary is what the HTTP API serves.
		{"summary", jsoncodec.Codec[global.Summary]{}, &global.Summary{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2, Users: 4,
			TopRestaurants: []global.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
		}},
		{"summary_empty", jsoncodec.Codec[global.Summary]{}, &global.Summary{TopRestaurants: []global.Ranked{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.GoldenCodec(t, tc.name, tc.codec, tc.value)
		})
	}
}
