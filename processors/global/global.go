// Package global keeps the system-wide statistics. No single key takes
// every order: the restaurant and user processors send their deltas, in
// batches, keyed by their own input partition, so the table holds one
// shard per upstream partition and Summarize adds the shards up.
package global

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/window"
)

// Group is the goka group of the global processor; its table is Table.
const Group goka.Group = "global"

// Table is the global group table: shard key → Shard.
var Table = goka.GroupTable(Group)

// TopN is how many restaurants each shard, and the summary, rank.
const TopN = 10

// Shard is the part of the statistics one upstream partition contributed.
type Shard struct {
	Orders       int64            `json:"orders"`
	RevenueCents int64            `json:"revenue_cents"`
	Items        int64            `json:"items"`
	Restaurants  int64            `json:"restaurants"`
	Users        int64            `json:"users"`
	Top          []streams.Ranked `json:"top,omitempty"`
	Applied      exactly.Applied  `json:"applied,omitempty"`
	Accepted     int64            `json:"accepted,omitempty"`
	Rejected     int64            `json:"rejected,omitempty"`
	Cancelled    int64            `json:"cancelled,omitempty"`
	Delivered    int64            `json:"delivered,omitempty"`
	Open         int64            `json:"open,omitempty"`
	// PerMinute counts placed orders by minute, by the shard's own stream
	// time: which deltas it gets, in which order, is fixed, so its windows
	// are too.
	PerMinute window.Counts `json:"per_minute,omitzero"`
}

// ShardCodec encodes *Shard.
type ShardCodec = jsoncodec.Codec[Shard]

// FlushInterval is how often at most a partition of the table is written
// (processors/cache): every order changes a shard, and the totals are read
// by people and dashboards, who do not see a tenth of a second.
const FlushInterval = 100 * time.Millisecond

// Define returns the global group graph. Its table is cached
// (processors/cache): a shard is written once per flush.
func Define() runner.Graph {
	a := accumulator{cache.New[Shard](cache.Interval(FlushInterval))}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.Deltas, new(streams.DeltaBatchCodec), a.accumulate),
		goka.Persist(new(ShardCodec)),
	), Cache: a.table}
}

// accumulator adds the deltas to the shards.
type accumulator struct{ table *cache.Table[Shard] }

func (a accumulator) accumulate(ctx goka.Context, msg any) {
	b := msg.(*streams.DeltaBatch)
	a.table.Update(ctx, func(s *Shard) *Shard {
		if s == nil {
			s = new(Shard)
		}
		// A redelivered delta is not applied again, but the value is
		// written again: the first attempt may have died between the
		// local write and the table topic.
		for i := range b.Deltas {
			s.Apply(&b.Deltas[i])
		}
		return s
	})
}

// Apply adds d to s unless s has applied it already, and reports whether s
// changed.
func (s *Shard) Apply(d *streams.Delta) bool {
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
func Rank(top []streams.Ranked, r streams.Ranked, n int) []streams.Ranked {
	out := make([]streams.Ranked, 0, len(top)+1)
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
	out = append(out[:i], append([]streams.Ranked{r}, out[i:]...)...)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// better orders by revenue, then orders, then id, so ranks are stable.
func better(a, b streams.Ranked) bool {
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
	Orders         int64            `json:"orders"`
	RevenueCents   int64            `json:"revenue_cents"`
	Items          int64            `json:"items"`
	Restaurants    int64            `json:"restaurants"`
	Users          int64            `json:"users"`
	TopRestaurants []streams.Ranked `json:"top_restaurants"`
	Accepted       int64            `json:"accepted"`
	Rejected       int64            `json:"rejected"`
	Cancelled      int64            `json:"cancelled"`
	Delivered      int64            `json:"delivered"`
	Open           int64            `json:"open"`
	// PerMinute is the placed orders of every shard by minute, oldest
	// first; window.Series makes the last hour of it.
	PerMinute []window.Bucket `json:"per_minute"`
}

// Summarize adds the shards up.
func Summarize(shards []*Shard) Summary {
	sum := Summary{TopRestaurants: []streams.Ranked{}}
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
