package simulator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
)

var testNow = time.Date(2025, 3, 1, 12, 30, 0, 123_456_789, time.FixedZone("CET", 3600))

func testConfig() Config {
	return Config{Rate: 100, Restaurants: 50, Users: 5000, Seed: 1}
}

func newTestGenerator(t testing.TB, cfg Config, runID string) *Generator {
	t.Helper()
	g, err := NewGenerator(cfg, runID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGeneratorDeterministic(t *testing.T) {
	a := newTestGenerator(t, testConfig(), "run-a")
	b := newTestGenerator(t, testConfig(), "run-b")
	other := testConfig()
	other.Seed = 2
	c := newTestGenerator(t, other, "run-a")
	differs := false
	for i := range 1000 {
		oa, ob, oc := a.Next(testNow), b.Next(testNow.Add(time.Hour)), c.Next(testNow)
		if want := fmt.Sprintf("run-a-%d", i+1); oa.OrderID != want {
			t.Fatalf("order %d: id %q, want %q", i, oa.OrderID, want)
		}
		ob.OrderID, ob.PlacedAt = oa.OrderID, oa.PlacedAt
		if !equalOrders(*oa, *ob) {
			t.Fatalf("order %d differs between runs of one seed:\n%+v\n%+v", i, oa, ob)
		}
		oc.OrderID = oa.OrderID
		differs = differs || !equalOrders(*oa, *oc)
	}
	if !differs {
		t.Error("seeds 1 and 2 generated the same orders")
	}
}

func TestGeneratorOrdersValid(t *testing.T) {
	configs := []Config{
		testConfig(),
		{Rate: 1, Restaurants: 1, Users: 1, Seed: 3},
		{Rate: 1, Restaurants: MaxRestaurants, Users: MaxUsers, Seed: 4},
	}
	for _, cfg := range configs {
		t.Run(fmt.Sprintf("%d_restaurants_%d_users", cfg.Restaurants, cfg.Users), func(t *testing.T) {
			g := newTestGenerator(t, cfg, NewRunID())
			menus := map[string]map[string]int64{}
			for _, r := range g.Catalog().Restaurants {
				menus[r.ID] = map[string]int64{}
				for _, m := range r.Menu {
					menus[r.ID][m.SKU] = m.PriceCents
				}
			}
			ids := map[string]bool{}
			for range 20_000 {
				o := g.Next(testNow)
				if err := o.Validate(); err != nil {
					t.Fatalf("%+v: %v", o, err)
				}
				if ids[o.OrderID] {
					t.Fatalf("order_id %s twice", o.OrderID)
				}
				ids[o.OrderID] = true
				if n := len(o.Items); n < 1 || n > len(linesCDF) {
					t.Fatalf("%d lines", n)
				}
				for _, it := range o.Items {
					if price, ok := menus[o.RestaurantID][it.SKU]; !ok || price != it.PriceCents {
						t.Fatalf("%s: item %+v not on the menu", o.RestaurantID, it)
					}
				}
				if !strings.HasPrefix(o.UserID, "u-") {
					t.Fatalf("user %q", o.UserID)
				}
				if want := testNow.UTC().Truncate(time.Millisecond); !o.PlacedAt.Equal(want) || o.PlacedAt.Location() != time.UTC {
					t.Fatalf("placed_at %v, want %v", o.PlacedAt, want)
				}
			}
		})
	}
}

// TestGeneratorSkew pins the popularity of seed 1: orders per restaurant,
// per user and per dish rank, drawn from 10,000 orders.
func TestGeneratorSkew(t *testing.T) {
	g := newTestGenerator(t, testConfig(), "skew")
	restaurants := map[string]int{}
	users := map[string]int{}
	ranks := make([]int, MaxMenuItems)
	var lines, units int64
	for range 10_000 {
		o := g.Next(testNow)
		restaurants[o.RestaurantID]++
		users[o.UserID]++
		lines += int64(len(o.Items))
		units += o.Quantity()
		r := restaurantByID(t, g, o.RestaurantID)
		for _, it := range o.Items {
			ranks[slices.IndexFunc(r.Menu, func(m MenuItem) bool { return m.SKU == it.SKU })]++
		}
	}
	top, median := topAndMedian(restaurants, 50)
	topUser, medianUser := topAndMedian(users, 5000)
	got := fmt.Sprintf("restaurants top %d median %d; users top %d median %d; lines %d units %d; ranks %v",
		top, median, topUser, medianUser, lines, units, ranks[:5])
	const want = "restaurants top 990 median 119; users top 196 median 0; lines 19280 units 29224; ranks [5134 3386 2470 1848 1486]"
	if got != want {
		t.Errorf("skew of seed 1:\n got %s\nwant %s", got, want)
	}
	if top < 5*median {
		t.Errorf("top restaurant %d orders, median %d: not skewed", top, median)
	}
}

func restaurantByID(t *testing.T, g *Generator, id string) *Restaurant {
	for i := range g.catalog.Restaurants {
		if g.catalog.Restaurants[i].ID == id {
			return &g.catalog.Restaurants[i]
		}
	}
	t.Fatalf("no restaurant %s", id)
	return nil
}

// topAndMedian returns the largest and the median count over n keys,
// counting keys never seen as 0.
func topAndMedian(counts map[string]int, n int) (top, median int) {
	all := make([]int, n)
	i := 0
	for _, c := range counts {
		all[i] = c
		i++
	}
	slices.Sort(all)
	return all[n-1], all[n/2]
}

func TestNewGeneratorErrors(t *testing.T) {
	tests := []struct {
		name  string
		cfg   Config
		runID string
	}{
		{"invalid config", Config{Rate: 1, Restaurants: 0, Users: 1}, "x"},
		{"empty run id", testConfig(), ""},
		{"long run id", testConfig(), strings.Repeat("x", 65)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewGenerator(tt.cfg, tt.runID); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestNewRunID(t *testing.T) {
	a, b := NewRunID(), NewRunID()
	if len(a) != 16 || a == b {
		t.Errorf("run ids %q and %q", a, b)
	}
}

func equalOrders(a, b order.Order) bool {
	return a.OrderID == b.OrderID && a.RestaurantID == b.RestaurantID && a.UserID == b.UserID &&
		slices.Equal(a.Items, b.Items) && a.TotalCents == b.TotalCents && a.PlacedAt.Equal(b.PlacedAt)
}

func BenchmarkGenerate(b *testing.B) {
	g := newTestGenerator(b, testConfig(), NewRunID())
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		g.Next(now)
	}
}
