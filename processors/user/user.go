// Package user keeps per-user statistics of placed orders.
package user

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
)

// Group is the goka group of the user processor; its table is Table.
const Group goka.Group = "user"

// Table is the user group table: user_id → Stats.
var Table = goka.GroupTable(Group)

// Stats are one user's statistics over their placed, valid orders.
type Stats struct {
	UserID     string `json:"user_id"`
	Orders     int64  `json:"orders"`
	SpentCents int64  `json:"spent_cents"`
	// FavouriteRestaurant is where the user ordered most, ties broken by
	// the smaller id.
	FavouriteRestaurant string    `json:"favourite_restaurant"`
	LastOrderAt         time.Time `json:"last_order_at"`
	// Restaurants counts the user's orders per restaurant.
	Restaurants map[string]int64 `json:"restaurants"`
	First       exactly.Pos      `json:"first"`
	Applied     exactly.Applied  `json:"applied"`
}

// StatsCodec encodes *Stats.
type StatsCodec = jsoncodec.Codec[Stats]

// Define returns the user group graph.
// Its table is cached (processors/cache).
func Define() runner.Graph {
	c := counter{cache.New[Stats](), streams.NewDeltaOutbox(Group)}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.ByUser, new(streams.PlacedCodec), c.count),
		goka.Persist(new(StatsCodec)),
		goka.Output(streams.Deltas, new(streams.DeltaBatchCodec)),
	), Cache: c.table, Outbox: c.deltas}
}

// counter counts a user's orders.
type counter struct {
	table  *cache.Table[Stats]
	deltas *cache.Outbox[streams.Delta]
}

func (c counter) count(ctx goka.Context, msg any) {
	p := msg.(*streams.Placed)
	var first bool
	c.table.Update(ctx, func(s *Stats) *Stats {
		if s == nil {
			s = &Stats{UserID: ctx.Key()}
		}
		// A redelivered order is not applied again, but its writes are
		// repeated: the first attempt may have died before they landed.
		s.Apply(p)
		first = s.First == p.Seq
		return s
	})
	if first {
		c.deltas.Add(ctx, streams.Delta{Seq: p.Seq, NewUsers: 1})
	}
}

// Apply adds the order to s unless it was applied already, and reports
// whether s changed.
func (s *Stats) Apply(p *streams.Placed) bool {
	if s.Applied.Seen(p.Seq) {
		return false
	}
	s.Applied = s.Applied.Mark(p.Seq)
	o := &p.Order
	if s.Orders == 0 {
		s.First = p.Seq
	}
	s.Orders++
	s.SpentCents += o.TotalCents
	if o.PlacedAt.After(s.LastOrderAt) {
		s.LastOrderAt = o.PlacedAt
	}
	if s.Restaurants == nil {
		s.Restaurants = make(map[string]int64)
	}
	s.Restaurants[o.RestaurantID]++
	s.FavouriteRestaurant = Favourite(s.Restaurants)
	return true
}

// Favourite is the restaurant with the most orders, ties by smaller id.
func Favourite(counts map[string]int64) string {
	best, most := "", int64(0)
	for id, n := range counts {
		if n > most || (n == most && id < best) {
			best, most = id, n
		}
	}
	return best
}
