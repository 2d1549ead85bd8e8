package restaurant_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/window"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

func item(sku string, qty, price int64) order.Item {
	return order.Item{SKU: sku, Qty: qty, PriceCents: price}
}

// placed is a valid order of restaurant r at seq, placed at t0+hours.
func placed(seq exactly.Pos, r string, hours int, items ...order.Item) *streams.Placed {
	return &streams.Placed{
		Order: order.Order{
			OrderID:      fmt.Sprintf("o-%v", seq),
			RestaurantID: r,
			UserID:       "u-1",
			Items:        items,
			TotalCents:   order.Sum(items),
			PlacedAt:     t0.Add(time.Duration(hours) * time.Hour),
		},
		Seq: seq,
	}
}

func hour(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

func bucket(start time.Time, n int64) window.Bucket { return window.Bucket{Start: start, Count: n} }

func perMinute(late int64, streamTime time.Time, buckets ...window.Bucket) window.Counts {
	return window.Counts{Buckets: buckets, StreamTime: streamTime, Late: late}
}

func ranked(r string, revenue, orders int64) *streams.Ranked {
	return &streams.Ranked{RestaurantID: r, RevenueCents: revenue, Orders: orders}
}

func TestCount(t *testing.T) {
	a := placed(pos(0, 0), "r-1", 1, item("pizza", 1, 1000))
	b := placed(pos(1, 5), "r-1", 0, item("cola", 3, 333)) // placed before a
	c := placed(pos(0, 1), "r-1", 2, item("pizza", 1, 1000), item("salad", 2, 1))
	statsABC := &restaurant.Stats{
		RestaurantID: "r-1", Orders: 3, RevenueCents: 3001, Items: 7,
		AvgOrderCents: 1000, // 3001/3, rounded down
		FirstOrderAt:  t0, LastOrderAt: t0.Add(2 * time.Hour),
		TopItems: []restaurant.ItemCount{{"cola", 3}, {"pizza", 2}, {"salad", 2}},
		ItemQty:  map[string]int64{"pizza": 2, "cola": 3, "salad": 2},
		First:    pos(0, 0),
		Applied:  exactly.Applied{0: 1, 1: 5},
		// b came after its window closed.
		PerMinute: perMinute(1, hour(2), bucket(hour(2), 1)),
	}
	deltaA := streams.Delta{Seq: pos(0, 0), Orders: 1, RevenueCents: 1000, Items: 1, NewRestaurants: 1, Restaurant: ranked("r-1", 1000, 1), PlacedAt: hour(1)}
	deltaB := streams.Delta{Seq: pos(1, 5), Orders: 1, RevenueCents: 999, Items: 3, Restaurant: ranked("r-1", 1999, 2), PlacedAt: hour(0)}
	deltaC := streams.Delta{Seq: pos(0, 1), Orders: 1, RevenueCents: 1002, Items: 3, Restaurant: ranked("r-1", 3001, 3), PlacedAt: hour(2)}
	statsA := &restaurant.Stats{
		RestaurantID: "r-1", Orders: 1, RevenueCents: 1000, Items: 1, AvgOrderCents: 1000,
		FirstOrderAt: a.Order.PlacedAt, LastOrderAt: a.Order.PlacedAt,
		TopItems: []restaurant.ItemCount{{"pizza", 1}}, ItemQty: map[string]int64{"pizza": 1},
		First: pos(0, 0), Applied: exactly.Applied{0: 0},
		PerMinute: perMinute(0, hour(1), bucket(hour(1), 1)),
	}
	statsAC := &restaurant.Stats{
		RestaurantID: "r-1", Orders: 2, RevenueCents: 2002, Items: 4, AvgOrderCents: 1001,
		FirstOrderAt: a.Order.PlacedAt, LastOrderAt: c.Order.PlacedAt,
		TopItems: []restaurant.ItemCount{{"pizza", 2}, {"salad", 2}}, ItemQty: map[string]int64{"pizza": 2, "salad": 2},
		First: pos(0, 0), Applied: exactly.Applied{0: 1},
		// a's window fell out of the last hour.
		PerMinute: perMinute(0, hour(2), bucket(hour(2), 1)),
	}

	tests := []struct {
		name   string
		in     []*streams.Placed
		stats  map[string]*restaurant.Stats
		deltas []streams.Delta // all keyed "restaurant/0": the tester has one partition
	}{
		{
			name:   "first order",
			in:     []*streams.Placed{a},
			stats:  map[string]*restaurant.Stats{"r-1": statsA},
			deltas: []streams.Delta{deltaA},
		},
		{
			name:   "three orders, placed out of order, from two lifecycle partitions",
			in:     []*streams.Placed{a, b, c},
			stats:  map[string]*restaurant.Stats{"r-1": statsABC},
			deltas: []streams.Delta{deltaA, deltaB, deltaC},
		},
		{
			name:   "redelivered at once: unchanged, same delta",
			in:     []*streams.Placed{a, a},
			stats:  map[string]*restaurant.Stats{"r-1": statsA},
			deltas: []streams.Delta{deltaA, deltaA},
		},
		{
			name:  "redelivered after a later order: unchanged, delta with the newer standing",
			in:    []*streams.Placed{a, c, a},
			stats: map[string]*restaurant.Stats{"r-1": statsAC},
			deltas: []streams.Delta{
				deltaA,
				{Seq: pos(0, 1), Orders: 1, RevenueCents: 1002, Items: 3, Restaurant: ranked("r-1", 2002, 2), PlacedAt: hour(2)},
				{Seq: pos(0, 0), Orders: 1, RevenueCents: 1000, Items: 1, NewRestaurants: 1, Restaurant: ranked("r-1", 2002, 2), PlacedAt: hour(1)},
			},
		},
		{
			name:  "every order redelivered, in order",
			in:    []*streams.Placed{a, b, c, a, b, c},
			stats: map[string]*restaurant.Stats{"r-1": statsABC},
			deltas: []streams.Delta{
				deltaA, deltaB, deltaC,
				{Seq: pos(0, 0), Orders: 1, RevenueCents: 1000, Items: 1, NewRestaurants: 1, Restaurant: ranked("r-1", 3001, 3), PlacedAt: hour(1)},
				{Seq: pos(1, 5), Orders: 1, RevenueCents: 999, Items: 3, Restaurant: ranked("r-1", 3001, 3), PlacedAt: hour(0)},
				{Seq: pos(0, 1), Orders: 1, RevenueCents: 1002, Items: 3, Restaurant: ranked("r-1", 3001, 3), PlacedAt: hour(2)},
			},
		},
		{
			name: "same offset on another lifecycle partition is a new order",
			in:   []*streams.Placed{placed(pos(0, 7), "r-1", 0, item("x", 1, 10)), placed(pos(1, 7), "r-1", 0, item("x", 1, 10))},
			stats: map[string]*restaurant.Stats{"r-1": {
				RestaurantID: "r-1", Orders: 2, RevenueCents: 20, Items: 2, AvgOrderCents: 10,
				FirstOrderAt: t0, LastOrderAt: t0,
				TopItems: []restaurant.ItemCount{{"x", 2}}, ItemQty: map[string]int64{"x": 2},
				First: pos(0, 7), Applied: exactly.Applied{0: 7, 1: 7},
				PerMinute: perMinute(0, t0, bucket(t0, 2)),
			}},
			deltas: []streams.Delta{
				{Seq: pos(0, 7), Orders: 1, RevenueCents: 10, Items: 1, NewRestaurants: 1, Restaurant: ranked("r-1", 10, 1), PlacedAt: hour(0)},
				{Seq: pos(1, 7), Orders: 1, RevenueCents: 10, Items: 1, Restaurant: ranked("r-1", 20, 2), PlacedAt: hour(0)},
			},
		},
		{
			name: "two restaurants each count their first order",
			in:   []*streams.Placed{placed(pos(0, 0), "r-b", 0, item("x", 1, 5)), placed(pos(0, 1), "r-a", 3, item("y", 2, 7))},
			stats: map[string]*restaurant.Stats{
				"r-b": {RestaurantID: "r-b", Orders: 1, RevenueCents: 5, Items: 1, AvgOrderCents: 5, FirstOrderAt: t0, LastOrderAt: t0,
					TopItems: []restaurant.ItemCount{{"x", 1}}, ItemQty: map[string]int64{"x": 1}, First: pos(0, 0), Applied: exactly.Applied{0: 0},
					PerMinute: perMinute(0, t0, bucket(t0, 1))},
				"r-a": {RestaurantID: "r-a", Orders: 1, RevenueCents: 14, Items: 2, AvgOrderCents: 14, FirstOrderAt: t0.Add(3 * time.Hour), LastOrderAt: t0.Add(3 * time.Hour),
					TopItems: []restaurant.ItemCount{{"y", 2}}, ItemQty: map[string]int64{"y": 2}, First: pos(0, 1), Applied: exactly.Applied{0: 1},
					PerMinute: perMinute(0, hour(3), bucket(hour(3), 1))},
			},
			deltas: []streams.Delta{
				{Seq: pos(0, 0), Orders: 1, RevenueCents: 5, Items: 1, NewRestaurants: 1, Restaurant: ranked("r-b", 5, 1), PlacedAt: hour(0)},
				{Seq: pos(0, 1), Orders: 1, RevenueCents: 14, Items: 2, NewRestaurants: 1, Restaurant: ranked("r-a", 14, 1), PlacedAt: hour(3)},
			},
		},
		{
			name: "free items: zero revenue, average zero",
			in:   []*streams.Placed{placed(pos(2, 0), "r-1", 0, item("water", 4, 0))},
			stats: map[string]*restaurant.Stats{"r-1": {
				RestaurantID: "r-1", Orders: 1, Items: 4, FirstOrderAt: t0, LastOrderAt: t0,
				TopItems: []restaurant.ItemCount{{"water", 4}}, ItemQty: map[string]int64{"water": 4},
				First: pos(2, 0), Applied: exactly.Applied{2: 0},
				PerMinute: perMinute(0, t0, bucket(t0, 1)),
			}},
			deltas: []streams.Delta{{Seq: pos(2, 0), Orders: 1, Items: 4, NewRestaurants: 1, Restaurant: ranked("r-1", 0, 1), PlacedAt: hour(0)}},
		},
		{
			name: "top items: five kept, ties by sku, a later order reorders them",
			in: []*streams.Placed{
				placed(pos(0, 0), "r-1", 0, item("g", 1, 1), item("f", 2, 1), item("e", 2, 1), item("d", 3, 1), item("c", 3, 1), item("b", 1, 1), item("a", 1, 1)),
				placed(pos(0, 1), "r-1", 0, item("g", 5, 1), item("a", 1, 1), item("a", 1, 1)), // a sku twice in one order
			},
			stats: map[string]*restaurant.Stats{"r-1": {
				RestaurantID: "r-1", Orders: 2, RevenueCents: 20, Items: 20, AvgOrderCents: 10,
				FirstOrderAt: t0, LastOrderAt: t0,
				TopItems: []restaurant.ItemCount{{"g", 6}, {"a", 3}, {"c", 3}, {"d", 3}, {"e", 2}},
				ItemQty:  map[string]int64{"a": 3, "b": 1, "c": 3, "d": 3, "e": 2, "f": 2, "g": 6},
				First:    pos(0, 0), Applied: exactly.Applied{0: 1},
				PerMinute: perMinute(0, t0, bucket(t0, 2)),
			}},
			deltas: []streams.Delta{
				{Seq: pos(0, 0), Orders: 1, RevenueCents: 13, Items: 13, NewRestaurants: 1, Restaurant: ranked("r-1", 13, 1), PlacedAt: hour(0)},
				{Seq: pos(0, 1), Orders: 1, RevenueCents: 7, Items: 7, Restaurant: ranked("r-1", 20, 2), PlacedAt: hour(0)},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt := tester.New(t)
			testutil.StartProcessor(t, tt, restaurant.Define(restaurant.Config{}).GroupGraph)
			deltas := tt.NewQueueTracker(string(streams.Deltas))
			for _, p := range tc.in {
				tt.Consume(string(streams.ByRestaurant), p.Order.RestaurantID, placedUpdate(p))
			}
			// The orders' tracking (TestTrack) aside.
			got := map[string]*restaurant.Stats{}
			for _, k := range tt.GetTableKeys(restaurant.Table) {
				s := *tt.TableValue(restaurant.Table, k).(*restaurant.Stats)
				s.Open, s.OpenOrders, s.StatusApplied = 0, nil, nil
				got[k] = &s
			}
			if !reflect.DeepEqual(got, tc.stats) {
				t.Errorf("restaurant-table =\n%+v\nwant\n%+v", got, tc.stats)
			}
			if got := testutil.DrainDeltas(t, deltas, "restaurant/0"); !reflect.DeepEqual(got, tc.deltas) {
				t.Errorf("deltas =\n%s\nwant\n%s", fmtDeltas(got), fmtDeltas(tc.deltas))
			}
		})
	}
}

// placedUpdate is the lifecycle's placed update of p.
func placedUpdate(p *streams.Placed) *streams.Update {
	o := p.Order
	return &streams.Update{Change: streams.Change{OrderID: o.OrderID, RestaurantID: o.RestaurantID, UserID: o.UserID,
		Status: order.StatusPlaced, At: o.PlacedAt, Seq: p.Seq}, Order: &o}
}

func fmtDeltas(ds []streams.Delta) string {
	var s string
	for _, d := range ds {
		s += fmt.Sprintf("  %+v", d)
		if d.Restaurant != nil {
			s += fmt.Sprintf(" standing %+v", *d.Restaurant)
		}
		s += "\n"
	}
	return s
}

func TestApply(t *testing.T) {
	s := &restaurant.Stats{RestaurantID: "r-1"}
	a := placed(pos(0, 3), "r-1", 0, item("x", 1, 100))
	if !s.Apply(a) {
		t.Fatal("Apply(first order) = false")
	}
	if s.Apply(a) {
		t.Error("Apply(same seq) = true, want false")
	}
	if s.Apply(placed(pos(0, 2), "r-1", 0, item("x", 1, 100))) {
		t.Error("Apply(older seq of the same partition) = true, want false")
	}
	if !s.Apply(placed(pos(0, 4), "r-1", 0, item("x", 1, 100))) {
		t.Error("Apply(next seq) = false")
	}
	if s.Orders != 2 || s.RevenueCents != 200 {
		t.Errorf("Orders %d Revenue %d, want 2 and 200", s.Orders, s.RevenueCents)
	}
}

func TestDelta(t *testing.T) {
	first := placed(pos(1, 1), "r-1", 0, item("x", 2, 100))
	later := placed(pos(1, 2), "r-1", 0, item("x", 1, 50), item("y", 4, 1))
	s := &restaurant.Stats{RestaurantID: "r-1"}
	s.Apply(first)
	s.Apply(later)
	tests := []struct {
		name string
		p    *streams.Placed
		want streams.Delta
	}{
		{"first order", first, streams.Delta{Seq: pos(1, 1), Orders: 1, RevenueCents: 200, Items: 2, NewRestaurants: 1, Restaurant: ranked("r-1", 254, 2), PlacedAt: t0}},
		{"later order", later, streams.Delta{Seq: pos(1, 2), Orders: 1, RevenueCents: 54, Items: 5, Restaurant: ranked("r-1", 254, 2), PlacedAt: t0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := s.Delta(tc.p); !reflect.DeepEqual(*got, tc.want) {
				t.Errorf("Delta() = %s, want %s", fmtDeltas([]streams.Delta{*got}), fmtDeltas([]streams.Delta{tc.want}))
			}
		})
	}
}

func TestTop(t *testing.T) {
	tests := []struct {
		name string
		qty  map[string]int64
		n    int
		want []restaurant.ItemCount
	}{
		{"empty", nil, 5, []restaurant.ItemCount{}},
		{"fewer than n", map[string]int64{"a": 1, "b": 2}, 5, []restaurant.ItemCount{{"b", 2}, {"a", 1}}},
		{"exactly n", map[string]int64{"a": 1, "b": 2}, 2, []restaurant.ItemCount{{"b", 2}, {"a", 1}}},
		{"cut at n", map[string]int64{"a": 1, "b": 2, "c": 3}, 2, []restaurant.ItemCount{{"c", 3}, {"b", 2}}},
		{"ties by sku", map[string]int64{"b": 2, "c": 2, "a": 2, "d": 9}, 3, []restaurant.ItemCount{{"d", 9}, {"a", 2}, {"b", 2}}},
		{"tie cut at n", map[string]int64{"z": 1, "y": 1, "x": 1}, 1, []restaurant.ItemCount{{"x", 1}}},
		{"n zero", map[string]int64{"a": 1}, 0, []restaurant.ItemCount{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := restaurant.Top(tc.qty, tc.n); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Top() = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestApplyKeepsTop: the top items Apply keeps up order by order are what
// Top ranks from all quantities, with ties, repeated skus in one order, a
// menu smaller and larger than TopItems, and a value decoded with a top
// list that is not Apply's (a shorter one, as another TopItems would
// leave).
func TestApplyKeepsTop(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, menu := range []int{1, 3, restaurant.TopItems, 12, 40} {
		s := &restaurant.Stats{RestaurantID: "r-1"}
		for i := range 400 {
			var items []order.Item
			for range 1 + r.IntN(4) {
				items = append(items, item(fmt.Sprintf("sku-%02d", r.IntN(menu)), 1+r.Int64N(3), 100))
			}
			if i == 200 && len(s.TopItems) > 1 {
				s.TopItems = s.TopItems[:1]
			}
			if !s.Apply(placed(pos(0, int64(i)), "r-1", 0, items...)) {
				t.Fatal("not applied")
			}
			if want := restaurant.Top(s.ItemQty, restaurant.TopItems); !reflect.DeepEqual(s.TopItems, want) {
				t.Fatalf("menu of %d, order %d: TopItems %v, want %v", menu, i, s.TopItems, want)
			}
		}
	}
}
