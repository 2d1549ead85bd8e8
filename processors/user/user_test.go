package user_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

// placed is an order of user u at restaurant r for cents, placed at t0+hours.
func placed(seq exactly.Pos, u, r string, cents int64, hours int) *streams.Placed {
	items := []order.Item{{SKU: "dish", Qty: 1, PriceCents: cents}}
	return &streams.Placed{
		Order: order.Order{
			OrderID:      fmt.Sprintf("o-%v", seq),
			RestaurantID: r,
			UserID:       u,
			Items:        items,
			TotalCents:   cents,
			PlacedAt:     t0.Add(time.Duration(hours) * time.Hour),
		},
		Seq: seq,
	}
}

func TestCount(t *testing.T) {
	a := placed(pos(0, 0), "u-1", "r-b", 1000, 1)
	b := placed(pos(1, 3), "u-1", "r-a", 250, 0) // placed before a
	c := placed(pos(0, 1), "u-1", "r-b", 5, 2)
	newUser := func(seq exactly.Pos) streams.Delta { return streams.Delta{Seq: seq, NewUsers: 1} }
	statsA := &user.Stats{
		UserID: "u-1", Orders: 1, SpentCents: 1000, FavouriteRestaurant: "r-b", LastOrderAt: t0.Add(time.Hour),
		Restaurants: map[string]int64{"r-b": 1}, First: pos(0, 0), Applied: exactly.Applied{0: 0},
	}
	statsAB := &user.Stats{
		UserID: "u-1", Orders: 2, SpentCents: 1250, FavouriteRestaurant: "r-a", LastOrderAt: t0.Add(time.Hour),
		Restaurants: map[string]int64{"r-a": 1, "r-b": 1}, First: pos(0, 0), Applied: exactly.Applied{0: 0, 1: 3},
	}
	statsABC := &user.Stats{
		UserID: "u-1", Orders: 3, SpentCents: 1255, FavouriteRestaurant: "r-b", LastOrderAt: t0.Add(2 * time.Hour),
		Restaurants: map[string]int64{"r-a": 1, "r-b": 2}, First: pos(0, 0), Applied: exactly.Applied{0: 1, 1: 3},
	}
	tests := []struct {
		name   string
		in     []*streams.Placed
		stats  map[string]*user.Stats
		deltas []streams.Delta // all keyed "user/0"
	}{
		{"first order", []*streams.Placed{a}, map[string]*user.Stats{"u-1": statsA}, []streams.Delta{newUser(pos(0, 0))}},
		{"tie goes to the smaller id; placed_at out of order keeps the last", []*streams.Placed{a, b},
			map[string]*user.Stats{"u-1": statsAB}, []streams.Delta{newUser(pos(0, 0))}},
		{"most orders wins; later orders emit nothing", []*streams.Placed{a, b, c},
			map[string]*user.Stats{"u-1": statsABC}, []streams.Delta{newUser(pos(0, 0))}},
		{"first order redelivered: unchanged, delta repeated", []*streams.Placed{a, a},
			map[string]*user.Stats{"u-1": statsA}, []streams.Delta{newUser(pos(0, 0)), newUser(pos(0, 0))}},
		{"later order redelivered: unchanged, nothing emitted", []*streams.Placed{a, b, c, b, c},
			map[string]*user.Stats{"u-1": statsABC}, []streams.Delta{newUser(pos(0, 0))}},
		{"first order redelivered after later ones", []*streams.Placed{a, b, a},
			map[string]*user.Stats{"u-1": statsAB}, []streams.Delta{newUser(pos(0, 0)), newUser(pos(0, 0))}},
		{"two users", []*streams.Placed{a, placed(pos(0, 1), "u-2", "r-c", 0, 5)},
			map[string]*user.Stats{"u-1": statsA, "u-2": {
				UserID: "u-2", Orders: 1, FavouriteRestaurant: "r-c", LastOrderAt: t0.Add(5 * time.Hour),
				Restaurants: map[string]int64{"r-c": 1}, First: pos(0, 1), Applied: exactly.Applied{0: 1},
			}}, []streams.Delta{newUser(pos(0, 0)), newUser(pos(0, 1))}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := tester.New(t)
			testutil.StartProcessor(t, tt, user.Define().GroupGraph)
			deltas := tt.NewQueueTracker(string(streams.Deltas))
			for _, p := range tc.in {
				tt.Consume(string(streams.ByUser), p.Order.UserID, p)
			}
			testutil.CheckTable(t, tt, user.Table, tc.stats)
			if got := testutil.DrainDeltas(t, deltas, "user/0"); !reflect.DeepEqual(got, tc.deltas) {
				t.Errorf("deltas = %+v, want %+v", got, tc.deltas)
			}
		})
	}
}

func TestApply(t *testing.T) {
	s := &user.Stats{UserID: "u"}
	p := placed(pos(3, 9), "u", "r", 10, 0)
	if !s.Apply(p) {
		t.Fatal("Apply(first order) = false")
	}
	if s.Apply(p) {
		t.Error("Apply(same seq) = true")
	}
	if s.Apply(placed(pos(3, 8), "u", "r", 10, 0)) {
		t.Error("Apply(older seq) = true")
	}
	if !s.Apply(placed(pos(2, 8), "u", "r", 10, 0)) {
		t.Error("Apply(other partition) = false")
	}
	if s.Orders != 2 || s.SpentCents != 20 || s.First != pos(3, 9) {
		t.Errorf("stats = %+v", s)
	}
}

func TestFavourite(t *testing.T) {
	tests := []struct {
		name   string
		counts map[string]int64
		want   string
	}{
		{"none", nil, ""},
		{"one", map[string]int64{"r-9": 1}, "r-9"},
		{"most orders", map[string]int64{"r-a": 1, "r-b": 3, "r-c": 2}, "r-b"},
		{"tie: smaller id", map[string]int64{"r-c": 2, "r-b": 2, "r-d": 2, "r-a": 1}, "r-b"},
		{"bytewise order", map[string]int64{"R": 1, "r": 1, "10": 1, "9": 1}, "10"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// Map order is random: repeat to catch an order dependence.
			for range 50 {
				if got := user.Favourite(tc.counts); got != tc.want {
					t.Fatalf("Favourite(%v) = %q, want %q", tc.counts, got, tc.want)
				}
			}
		})
	}
}
