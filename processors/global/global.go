// Package global keeps the system-wide statistics. No single key takes
// every order: the restaurant and user processors send their deltas keyed
// by their own input partition, so the table holds one shard per upstream
// partition and Summarize adds the shards up.
package global

import (
	"fmt"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/exactly"
)

// Group is the goka group of the global processor; its table is Table.
const Group goka.Group = "global"

// Table is the global group table: shard key → Shard.
var Table = goka.GroupTable(Group)

// Deltas is the input stream, keyed by ShardKey.
const Deltas goka.Stream = "global-deltas"

// TopN is how many restaurants each shard, and the summary, rank.
const TopN = 10

// Delta is one order's contribution, sent by the processor that owns the
// order's restaurant or user. Seq is the order's position in the registry
// input, the identity the shard deduplicates by.
type Delta struct {
	Seq            exactly.Pos `json:"seq"`
	Orders         int64       `json:"orders,omitempty"`
	RevenueCents   int64       `json:"revenue_cents,omitempty"`
	Items          int64       `json:"items,omitempty"`
	NewRestaurants int64       `json:"new_restaurants,omitempty"`
	NewUsers       int64       `json:"new_users,omitempty"`
	// Restaurant, when set, is the restaurant's standing after the order.
	Restaurant *Ranked `json:"restaurant,omitempty"`
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
}

// ShardCodec encodes *Shard.
type ShardCodec = jsoncodec.Codec[Shard]

// ShardKey names the shard of an upstream processor's partition, e.g.
// "restaurant/2".
func ShardKey(source goka.Group, partition int32) string {
	return fmt.Sprintf("%s/%d", source, partition)
}

// Define returns the global group graph.
func Define() *goka.GroupGraph {
	return goka.DefineGroup(Group,
		goka.Input(Deltas, new(DeltaCodec), accumulate),
		goka.Persist(new(ShardCodec)),
	)
}

func accumulate(ctx goka.Context, msg any) {
	d := msg.(*Delta)
	s, _ := ctx.Value().(*Shard)
	if s == nil {
		s = new(Shard)
	}
	if !s.Apply(d) {
		return
	}
	ctx.SetValue(s)
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
}

// Summarize adds the shards up.
func Summarize(shards []*Shard) Summary {
	sum := Summary{TopRestaurants: []Ranked{}}
	for _, s := range shards {
		sum.Orders += s.Orders
		sum.RevenueCents += s.RevenueCents
		sum.Items += s.Items
		sum.Restaurants += s.Restaurants
		sum.Users += s.Users
		for _, r := range s.Top {
			sum.TopRestaurants = Rank(sum.TopRestaurants, r, TopN)
		}
	}
	return sum
}
