// Package global keeps the system-wide statistics. No single key takes
// every order: the restaurant and user processors send their deltas keyed
// by their own input partition, so the table holds one shard per upstream
// partition and Summarize adds the shards up.
package global

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/window"
)

// Group is the goka group of the global processor; its table is Table.
const Group goka.Group = "global"

// Table is the global group table: shard key → Shard.
var Table = goka.GroupTable(Group)

// Deltas is the input stream, keyed by ShardKey.
const Deltas goka.Stream = "global-deltas"

// TopN is how many restaurants each shard, and the summary, rank.
const TopN = 10

// Delta is one event's contribution, sent by the processor that owns the
// order's restaurant or user: a placed order, or a change of its status.
// Seq is the identity the shard deduplicates by: the position, on the
// lifecycle's input, of the request that placed the order or made the
// change. Each shard has one upstream partition, which receives the
// lifecycle's updates in order from every lifecycle partition.
type Delta struct {
	Seq            exactly.Pos `json:"seq"`
	Orders         int64       `json:"orders,omitempty"`
	RevenueCents   int64       `json:"revenue_cents,omitempty"`
	Items          int64       `json:"items,omitempty"`
	NewRestaurants int64       `json:"new_restaurants,omitempty"`
	NewUsers       int64       `json:"new_users,omitempty"`
	// Restaurant, when set, is the restaurant's standing after the order.
	Restaurant *Ranked `json:"restaurant,omitempty"`
	// PlacedAt, on a placed order, is its event time for the per-minute
	// series.
	PlacedAt time.Time `json:"placed_at,omitzero"`
	// Status counts: +1 for the change they name; Open is +1 when an order
	// is accepted and -1 when an accepted one finishes.
	Accepted  int64 `json:"accepted,omitempty"`
	Rejected  int64 `json:"rejected,omitempty"`
	Cancelled int64 `json:"cancelled,omitempty"`
	Delivered int64 `json:"delivered,omitempty"`
	Open      int64 `json:"open,omitempty"`
}

// DeltaCodec encodes *Delta.
type DeltaCodec = jsoncodec.Codec[Delta]

// Ranked is a restaurant's standing in a top list.
type Ranked struct {
	RestaurantID string `json:"restaurant_id"`
	RevenueCents int64  `json:"revenue_cents"`
	Orders       int64  `json:"orders"`
}

// Shard is the part of the statistics one upstream partition contributed.
type Shard struct {
	Orders       int64           `json:"orders"`
	RevenueCents int64           `json:"revenue_cents"`
	Items        int64           `json:"items"`
	Restaurants  int64           `json:"restaurants"`
	Users        int64           `json:"users"`
	Top          []Ranked        `json:"top,omitempty"`
	Applied      exactly.Applied `json:"applied,omitempty"`
	Accepted     int64           `json:"accepted,omitempty"`
	Rejected     int64           `json:"rejected,omitempty"`
	Cancelled    int64           `json:"cancelled,omitempty"`
	Delivered    int64           `json:"delivered,omitempty"`
	Open         int64           `json:"open,omitempty"`
	// PerMinute counts placed orders by minute, by the shard's own stream
	// time: which deltas it gets, in which order, is fixed, so its windows
	// are too.
	PerMinute window.Counts `json:"per_minute,omitzero"`
}

// ShardCodec encodes *Shard.
type ShardCodec = jsoncodec.Codec[Shard]

// ShardKey names the shard of an upstream processor's partition, e.g.
// "restaurant/2".
func ShardKey(source goka.Group, partition int32) string {
	return fmt.Sprintf("%s/%d", source, partition)
}

// FlushInterval is how often at most a partition of the table is written
// (processors/cache): every order changes a shard, and the totals are read
// by people and dashboards, who do not see a tenth of a second.
const FlushInterval = 100 * time.Millisecond

// Define returns the global group graph. Its table is cached
// (processors/cache): a shard is written once per flush.
func Define() runner.Graph {
	a := accumulator{cache.New[Shard](cache.Interval(FlushInterval))}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(Deltas, new(DeltaCodec), a.accumulate),
		goka.Persist(new(ShardCodec)),
	), Cache: a.table}
}

// accumulator adds the deltas to the shards.
type accumulator struct{ table *cache.Table[Shard] }

func (a accumulator) accumulate(ctx goka.Context, msg any) {
	d := msg.(*Delta)
	a.table.Update(ctx, func(s *Shard) *Shard {
		if s == nil {
			s = new(Shard)
		}
		// A redelivered delta is not applied again, but the value is
		// written again: the first attempt may have died between the
		// local write and the table topic.
		s.Apply(d)
		return s
	})
}

// Apply adds d to s unless s has applied it already, and reports whether s
// changed.
func (s *Shard) Apply(d *Delta) bool {
	if s.Applied.Seen(d.Seq) {
		return false
	}
	s.Applied = s.Applied.Mark(d.Seq)
	s.Orders += d.Orders
	s.RevenueCents += d.RevenueCents
	s.Items += d.Items
	s.Restaurants += d.NewRestaurants
	s.Users += d.NewUsers
	s.Accepted += d.Accepted
	s.Rejected += d.Rejected
	s.Cancelled += d.Cancelled
	s.Delivered += d.Delivered
	s.Open += d.Open
	if !d.PlacedAt.IsZero() {
		s.PerMinute.Add(d.PlacedAt, d.Orders)
	}
	if d.Restaurant != nil {
		s.Top = Rank(s.Top, *d.Restaurant, TopN)
	}
	return true
}

// Rank puts r into the top-n list, best first. Revenue only grows, so a
// restaurant that falls out of a shard's list can come back only with an
// update that carries it: the list stays exact.
func Rank(top []Ranked, r Ranked, n int) []Ranked {
	out := make([]Ranked, 0, len(top)+1)
	for _, t := range top {
		if t.RestaurantID != r.RestaurantID {
			out = append(out, t)
		} else if better(t, r) {
			r = t // keep the later standing of a redelivered update
		}
	}
	i := len(out)
	for i > 0 && better(r, out[i-1]) {
		i--
	}
	out = append(out[:i], append([]Ranked{r}, out[i:]...)...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// better orders by revenue, then orders, then id, so ranks are stable.
func better(a, b Ranked) bool {
	if a.RevenueCents != b.RevenueCents {
		return a.RevenueCents > b.RevenueCents
	}
	if a.Orders != b.Orders {
		return a.Orders > b.Orders
	}
	return a.RestaurantID < b.RestaurantID
}

// Summary is the global statistics, the sum of every shard.
type Summary struct {
	Orders         int64    `json:"orders"`
	RevenueCents   int64    `json:"revenue_cents"`
	Items          int64    `json:"items"`
	Restaurants    int64    `json:"restaurants"`
	Users          int64    `json:"users"`
	TopRestaurants []Ranked `json:"top_restaurants"`
	Accepted       int64    `json:"accepted"`
	Rejected       int64    `json:"rejected"`
	Cancelled      int64    `json:"cancelled"`
	Delivered      int64    `json:"delivered"`
	Open           int64    `json:"open"`
	// PerMinute is the placed orders of every shard by minute, oldest
	// first; window.Series makes the last hour of it.
	PerMinute []window.Bucket `json:"per_minute"`
}

// Summarize adds the shards up.
func Summarize(shards []*Shard) Summary {
	sum := Summary{TopRestaurants: []Ranked{}}
	var minutes [][]window.Bucket
	for _, s := range shards {
		sum.Orders += s.Orders
		sum.RevenueCents += s.RevenueCents
		sum.Items += s.Items
		sum.Restaurants += s.Restaurants
		sum.Users += s.Users
		sum.Accepted += s.Accepted
		sum.Rejected += s.Rejected
		sum.Cancelled += s.Cancelled
		sum.Delivered += s.Delivered
		sum.Open += s.Open
		for _, r := range s.Top {
			sum.TopRestaurants = Rank(sum.TopRestaurants, r, TopN)
		}
		minutes = append(minutes, s.PerMinute.Buckets)
	}
	sum.PerMinute = window.Merge(minutes...)
	return sum
}
