package user_test

import (
	"testing"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/user"
)

// TestGoldenStats pins the JSON of user-table.
func TestGoldenStats(t *testing.T) {
	s := &user.Stats{
		UserID:              "u-1",
		Orders:              3,
		SpentCents:          1255,
		FavouriteRestaurant: "r-b",
		LastOrderAt:         t0,
		Restaurants:         map[string]int64{"r-b": 2, "r-a": 1},
		First:               exactly.Pos{Partition: 0, Offset: 0},
		Applied:             exactly.Applied{0: 1, 1: 3},
	}
	testutil.GoldenCodec(t, "stats", user.StatsCodec{}, s)
}
