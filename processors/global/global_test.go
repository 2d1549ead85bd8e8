package global_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/window"
)

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

func rk(id string, revenue, orders int64) streams.Ranked {
	return streams.Ranked{RestaurantID: id, RevenueCents: revenue, Orders: orders}
}

func rkp(id string, revenue, orders int64) *streams.Ranked {
	r := rk(id, revenue, orders)
	return &r
}

func TestShardKey(t *testing.T) {
	tests := []struct {
		group     goka.Group
		partition int32
		want      string
	}{
		{"restaurant", 0, "restaurant/0"},
		{"user", 11, "user/11"},
	}
	for _, tc := range tests {
		if got := streams.ShardKey(tc.group, tc.partition); got != tc.want {
			t.Errorf("ShardKey(%q, %d) = %q, want %q", tc.group, tc.partition, got, tc.want)
		}
	}
}

func TestShardApply(t *testing.T) {
	d1 := &streams.Delta{Seq: pos(0, 4), Orders: 1, RevenueCents: 500, Items: 2, NewRestaurants: 1, Restaurant: rkp("r-1", 500, 1)}
	d2 := &streams.Delta{Seq: pos(1, 0), Orders: 1, RevenueCents: 300, Items: 1, NewRestaurants: 1, Restaurant: rkp("r-2", 300, 1)}
	d3 := &streams.Delta{Seq: pos(0, 9), Orders: 1, RevenueCents: 100, Items: 5, Restaurant: rkp("r-2", 400, 2)}
	u := &streams.Delta{Seq: pos(0, 5), NewUsers: 1}
	tests := []struct {
		name    string
		in      []*streams.Delta
		applied []bool
		want    global.Shard
	}{
		{"one delta", []*streams.Delta{d1}, []bool{true},
			global.Shard{Orders: 1, RevenueCents: 500, Items: 2, Restaurants: 1, Top: []streams.Ranked{rk("r-1", 500, 1)}, Applied: exactly.Applied{0: 4}}},
		{"two lifecycle partitions, a standing that improves", []*streams.Delta{d1, d2, d3}, []bool{true, true, true},
			global.Shard{Orders: 3, RevenueCents: 900, Items: 8, Restaurants: 2,
				Top: []streams.Ranked{rk("r-1", 500, 1), rk("r-2", 400, 2)}, Applied: exactly.Applied{0: 9, 1: 0}}},
		{"redelivered delta dropped", []*streams.Delta{d1, d1}, []bool{true, false},
			global.Shard{Orders: 1, RevenueCents: 500, Items: 2, Restaurants: 1, Top: []streams.Ranked{rk("r-1", 500, 1)}, Applied: exactly.Applied{0: 4}}},
		{"older delta of the same partition dropped", []*streams.Delta{d3, d1}, []bool{true, false},
			global.Shard{Orders: 1, RevenueCents: 100, Items: 5, Top: []streams.Ranked{rk("r-2", 400, 2)}, Applied: exactly.Applied{0: 9}}},
		{"same offset, other partition applied", []*streams.Delta{d1, {Seq: pos(7, 4), Orders: 1}}, []bool{true, true},
			global.Shard{Orders: 2, RevenueCents: 500, Items: 2, Restaurants: 1, Top: []streams.Ranked{rk("r-1", 500, 1)}, Applied: exactly.Applied{0: 4, 7: 4}}},
		{"user deltas: no standing", []*streams.Delta{u, {Seq: pos(0, 6), NewUsers: 1}, u}, []bool{true, true, false},
			global.Shard{Users: 2, Applied: exactly.Applied{0: 6}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s global.Shard
			for i, d := range tc.in {
				if got := s.Apply(d); got != tc.applied[i] {
					t.Errorf("Apply(delta %d at %v) = %v, want %v", i, d.Seq, got, tc.applied[i])
				}
			}
			if !reflect.DeepEqual(s, tc.want) {
				t.Errorf("shard =\n%+v\nwant\n%+v", s, tc.want)
			}
		})
	}
}

func TestRank(t *testing.T) {
	top3 := []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2), rk("c", 100, 1)}
	tests := []struct {
		name string
		top  []streams.Ranked
		r    streams.Ranked
		n    int
		want []streams.Ranked
	}{
		{"into an empty list", nil, rk("a", 1, 1), 3, []streams.Ranked{rk("a", 1, 1)}},
		{"new best", top3, rk("d", 1000, 1), 4, []streams.Ranked{rk("d", 1000, 1), rk("a", 900, 3), rk("b", 500, 2), rk("c", 100, 1)}},
		{"new in the middle", top3, rk("d", 600, 1), 4, []streams.Ranked{rk("a", 900, 3), rk("d", 600, 1), rk("b", 500, 2), rk("c", 100, 1)}},
		{"new last", top3, rk("d", 50, 9), 4, []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2), rk("c", 100, 1), rk("d", 50, 9)}},
		{"revenue tie: more orders first", top3, rk("d", 500, 3), 4, []streams.Ranked{rk("a", 900, 3), rk("d", 500, 3), rk("b", 500, 2), rk("c", 100, 1)}},
		{"revenue tie: fewer orders after", top3, rk("d", 500, 1), 4, []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2), rk("d", 500, 1), rk("c", 100, 1)}},
		{"full tie: smaller id first", top3, rk("aa", 500, 2), 4, []streams.Ranked{rk("a", 900, 3), rk("aa", 500, 2), rk("b", 500, 2), rk("c", 100, 1)}},
		{"full tie: larger id after", top3, rk("bb", 500, 2), 4, []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2), rk("bb", 500, 2), rk("c", 100, 1)}},
		{"improving restaurant moves up, once", top3, rk("c", 950, 2), 3, []streams.Ranked{rk("c", 950, 2), rk("a", 900, 3), rk("b", 500, 2)}},
		{"improving restaurant keeps its place", top3, rk("b", 600, 3), 3, []streams.Ranked{rk("a", 900, 3), rk("b", 600, 3), rk("c", 100, 1)}},
		{"older standing does not lower a newer one", top3, rk("a", 200, 1), 3, top3},
		{"same standing again", top3, rk("b", 500, 2), 3, top3},
		{"same revenue, fewer orders is older", top3, rk("b", 500, 1), 3, top3},
		{"full list: worse one dropped", top3, rk("d", 50, 1), 3, top3},
		{"full list: better one evicts the last", top3, rk("d", 200, 1), 3, []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2), rk("d", 200, 1)}},
		{"list longer than n is cut", top3, rk("d", 200, 1), 2, []streams.Ranked{rk("a", 900, 3), rk("b", 500, 2)}},
		{"n zero", top3, rk("d", 200, 1), 0, []streams.Ranked{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := slices.Clone(tc.top)
			got := global.Rank(tc.top, tc.r, tc.n)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Rank(%v, %v, %d) =\n%v\nwant\n%v", tc.top, tc.r, tc.n, got, tc.want)
			}
			if !reflect.DeepEqual(tc.top, before) {
				t.Errorf("Rank modified its input: %v, was %v", tc.top, before)
			}
		})
	}
}

// TestRankEvictedComesBack: a restaurant pushed out of a full list returns
// when an update carries a standing good enough.
func TestRankEvictedComesBack(t *testing.T) {
	var top []streams.Ranked
	for _, r := range []streams.Ranked{rk("a", 10, 1), rk("b", 20, 1), rk("c", 30, 1), rk("d", 40, 1)} {
		top = global.Rank(top, r, 3)
	}
	if want := []streams.Ranked{rk("d", 40, 1), rk("c", 30, 1), rk("b", 20, 1)}; !reflect.DeepEqual(top, want) {
		t.Fatalf("top = %v, want %v", top, want)
	}
	top = global.Rank(top, rk("a", 35, 2), 3)
	if want := []streams.Ranked{rk("d", 40, 1), rk("a", 35, 2), rk("c", 30, 1)}; !reflect.DeepEqual(top, want) {
		t.Errorf("top = %v, want %v", top, want)
	}
}

func TestSummarize(t *testing.T) {
	// Twelve restaurants over two shards: the summary keeps TopN of them.
	var shardA, shardB global.Shard
	for i := range 12 {
		r := rk(fmt.Sprintf("r-%02d", i), int64(100*(i+1)), 1)
		s := &shardA
		if i%2 == 1 {
			s = &shardB
		}
		s.Apply(&streams.Delta{Seq: pos(0, int64(i)), Orders: 1, RevenueCents: r.RevenueCents, Items: 2, NewRestaurants: 1, Restaurant: &r})
	}
	users := global.Shard{Users: 7, Applied: exactly.Applied{0: 100}}
	var wantTop []streams.Ranked
	for i := 11; i >= 2; i-- {
		wantTop = append(wantTop, rk(fmt.Sprintf("r-%02d", i), int64(100*(i+1)), 1))
	}
	tests := []struct {
		name   string
		shards []*global.Shard
		want   global.Summary
	}{
		{"no shards", nil, global.Summary{TopRestaurants: []streams.Ranked{}}},
		{"empty shard", []*global.Shard{{}}, global.Summary{TopRestaurants: []streams.Ranked{}}},
		{"users only", []*global.Shard{&users}, global.Summary{Users: 7, TopRestaurants: []streams.Ranked{}}},
		{"one shard", []*global.Shard{&shardA}, global.Summary{Orders: 6, RevenueCents: 100 + 300 + 500 + 700 + 900 + 1100, Items: 12, Restaurants: 6,
			TopRestaurants: []streams.Ranked{rk("r-10", 1100, 1), rk("r-08", 900, 1), rk("r-06", 700, 1), rk("r-04", 500, 1), rk("r-02", 300, 1), rk("r-00", 100, 1)}}},
		{"all shards, top cut at TopN", []*global.Shard{&shardA, &users, &shardB}, global.Summary{
			Orders: 12, RevenueCents: 7800, Items: 24, Restaurants: 12, Users: 7, TopRestaurants: wantTop}},
		{"shard order does not matter", []*global.Shard{&shardB, &shardA, &users}, global.Summary{
			Orders: 12, RevenueCents: 7800, Items: 24, Restaurants: 12, Users: 7, TopRestaurants: wantTop}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := global.Summarize(tc.shards); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Summarize() =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestAccumulate runs batches of deltas of two restaurant shards and a
// user shard through the global processor, a single delta (the record an
// older version sent) among them.
func TestAccumulate(t *testing.T) {
	tt := tester.New(t)
	testutil.StartProcessor(t, tt, global.Define().GroupGraph)
	type msg struct {
		key    string
		deltas []streams.Delta
	}
	r0a := streams.Delta{Seq: pos(0, 0), Orders: 1, RevenueCents: 1000, Items: 2, NewRestaurants: 1, Restaurant: rkp("r-1", 1000, 1)}
	r0b := streams.Delta{Seq: pos(1, 1), Orders: 1, RevenueCents: 50, Items: 5, Restaurant: rkp("r-1", 1050, 2)}
	r1a := streams.Delta{Seq: pos(1, 0), Orders: 1, RevenueCents: 700, Items: 1, NewRestaurants: 1, Restaurant: rkp("r-2", 700, 1)}
	in := []msg{
		{"restaurant/0", []streams.Delta{r0a}},
		{"user/0", []streams.Delta{{Seq: pos(0, 0), NewUsers: 1}}},
		{"restaurant/1", []streams.Delta{r1a}},
		{"restaurant/0", []streams.Delta{r0b}},
		{"user/1", []streams.Delta{{Seq: pos(1, 0), NewUsers: 1}}},
		// Redeliveries, one with a later standing: all dropped.
		{"restaurant/0", []streams.Delta{{Seq: pos(0, 0), Orders: 1, RevenueCents: 1000, Items: 2, NewRestaurants: 1, Restaurant: rkp("r-1", 1050, 2)}}},
		{"user/0", []streams.Delta{{Seq: pos(0, 0), NewUsers: 1}}},
		// A batch made again after a crash, with other bounds: only its
		// new delta counts.
		{"restaurant/1", []streams.Delta{r1a, {Seq: pos(0, 3), Orders: 1, RevenueCents: 2000, Items: 1, NewRestaurants: 1, Restaurant: rkp("r-3", 2000, 1)}}},
		{"restaurant/1", []streams.Delta{r1a}},
	}
	for _, m := range in {
		tt.Consume(string(streams.Deltas), m.key, &streams.DeltaBatch{Deltas: m.deltas})
	}
	// What a version that sent one delta per record left on the topic.
	old, err := (streams.DeltaCodec{}).Encode(&r0b)
	if err != nil {
		t.Fatal(err)
	}
	batch, err := (streams.DeltaBatchCodec{}).Decode(old)
	if err != nil {
		t.Fatal(err)
	}
	tt.Consume(string(streams.Deltas), "restaurant/0", batch)
	want := map[string]*global.Shard{
		"restaurant/0": {Orders: 2, RevenueCents: 1050, Items: 7, Restaurants: 1, Top: []streams.Ranked{rk("r-1", 1050, 2)}, Applied: exactly.Applied{0: 0, 1: 1}},
		"restaurant/1": {Orders: 2, RevenueCents: 2700, Items: 2, Restaurants: 2, Top: []streams.Ranked{rk("r-3", 2000, 1), rk("r-2", 700, 1)}, Applied: exactly.Applied{0: 3, 1: 0}},
		"user/0":       {Users: 1, Applied: exactly.Applied{0: 0}},
		"user/1":       {Users: 1, Applied: exactly.Applied{1: 0}},
	}
	keys := tt.GetTableKeys(global.Table)
	slices.Sort(keys)
	if wantKeys := []string{"restaurant/0", "restaurant/1", "user/0", "user/1"}; !slices.Equal(keys, wantKeys) {
		t.Fatalf("global-table keys = %v, want %v", keys, wantKeys)
	}
	var shards []*global.Shard
	for _, k := range keys {
		got := tt.TableValue(global.Table, k).(*global.Shard)
		if !reflect.DeepEqual(got, want[k]) {
			t.Errorf("global-table[%s] = %+v, want %+v", k, got, want[k])
		}
		shards = append(shards, got)
	}
	wantSum := global.Summary{
		Orders: 4, RevenueCents: 3750, Items: 9, Restaurants: 3, Users: 2,
		TopRestaurants: []streams.Ranked{rk("r-3", 2000, 1), rk("r-1", 1050, 2), rk("r-2", 700, 1)},
	}
	if got := global.Summarize(shards); !reflect.DeepEqual(got, wantSum) {
		t.Errorf("Summarize() = %+v, want %+v", got, wantSum)
	}
}

// TestShardStatusAndMinutes: status deltas add to the per-status counts
// and placed deltas to the per-minute series, each once.
func TestShardStatusAndMinutes(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	var placed, status global.Shard
	for _, d := range []*streams.Delta{
		{Seq: pos(0, 0), Orders: 1, PlacedAt: min(0).Add(5 * time.Second)},
		{Seq: pos(0, 1), Orders: 1, PlacedAt: min(1)},
		{Seq: pos(0, 1), Orders: 1, PlacedAt: min(1)}, // redelivered
		{Seq: pos(1, 0), Orders: 1, PlacedAt: min(5)},
		{Seq: pos(1, 1), Orders: 1, PlacedAt: min(1)}, // window 1 closed at 4:00
	} {
		placed.Apply(d)
	}
	for _, d := range []*streams.Delta{
		{Seq: pos(0, 3), Accepted: 1, Open: 1},
		{Seq: pos(0, 4), Accepted: 1, Open: 1},
		{Seq: pos(2, 0), Rejected: 1},
		{Seq: pos(0, 5), Cancelled: 1, Open: -1},
		{Seq: pos(0, 5), Cancelled: 1, Open: -1}, // redelivered
		{Seq: pos(0, 9), Delivered: 1, Open: -1},
	} {
		status.Apply(d)
	}
	wantMinutes := window.Counts{
		Buckets:    []window.Bucket{{Start: min(0), Count: 1}, {Start: min(1), Count: 1}, {Start: min(5), Count: 1}},
		StreamTime: min(5), Late: 1,
	}
	if !reflect.DeepEqual(placed.PerMinute, wantMinutes) || placed.Orders != 4 {
		t.Errorf("placed shard: %d orders, per minute %+v; want 4 and %+v", placed.Orders, placed.PerMinute, wantMinutes)
	}
	if status.Accepted != 2 || status.Rejected != 1 || status.Cancelled != 1 || status.Delivered != 1 || status.Open != 0 {
		t.Errorf("status shard = %+v, want 2 accepted, 1 rejected, 1 cancelled, 1 delivered, 0 open", status)
	}
	sum := global.Summarize([]*global.Shard{&placed, &status, {PerMinute: window.Counts{Buckets: []window.Bucket{{Start: min(5), Count: 2}}}}})
	if want := []window.Bucket{{Start: min(0), Count: 1}, {Start: min(1), Count: 1}, {Start: min(5), Count: 3}}; !reflect.DeepEqual(sum.PerMinute, want) {
		t.Errorf("Summarize().PerMinute = %+v, want %+v", sum.PerMinute, want)
	}
	if sum.Accepted != 2 || sum.Open != 0 || sum.Delivered != 1 {
		t.Errorf("Summarize() = %+v", sum)
	}
}
