// Package restaurant is the restaurant service: it decides whether a
// restaurant accepts each order placed with it, against its capacity of
// open orders, and keeps per-restaurant statistics of the orders placed
// and of how they went.
package restaurant

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/window"
)

// Group is the goka group of the restaurant processor; its table is Table.
const Group goka.Group = "restaurant"

// Table is the restaurant group table: restaurant_id → Stats.
var Table = goka.GroupTable(Group)

// TopItems is how many items Stats ranks.
const TopItems = 5

// ItemCount is how many units of a menu item were ordered.
type ItemCount struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

// DefaultCapacity is the number of open orders a restaurant takes unless
// configured otherwise.
const DefaultCapacity = 10

// Config is the restaurant service's settings; the zero value is the
// defaults.
type Config struct {
	// Capacity is how many open (accepted, not yet delivered or cancelled)
	// orders a restaurant takes; it rejects more. Zero means
	// DefaultCapacity.
	Capacity int
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	if c.Capacity < 0 {
		return fmt.Errorf("restaurant capacity %d: want 1 or more (0 for %d)", c.Capacity, DefaultCapacity)
	}
	return nil
}

// capacity is the capacity c configures.
func (c Config) capacity() int {
	if c.Capacity <= 0 {
		return DefaultCapacity
	}
	return c.Capacity
}

// Stats are one restaurant's statistics: over its placed, valid orders
// (Orders to TopItems, ItemQty, PerMinute) and over what became of them.
type Stats struct {
	RestaurantID  string      `json:"restaurant_id"`
	Orders        int64       `json:"orders"`
	RevenueCents  int64       `json:"revenue_cents"`
	Items         int64       `json:"items"`
	AvgOrderCents int64       `json:"avg_order_cents"`
	FirstOrderAt  time.Time   `json:"first_order_at"`
	LastOrderAt   time.Time   `json:"last_order_at"`
	TopItems      []ItemCount `json:"top_items"`
	// ItemQty counts units per sku; menus are small, so it stays small.
	ItemQty map[string]int64 `json:"item_qty"`
	// First is the Seq of the restaurant's first order; Applied the
	// highest Seq of a placed order applied per lifecycle partition.
	First   exactly.Pos     `json:"first"`
	Applied exactly.Applied `json:"applied"`
	// PerMinute counts the placed orders by minute of placed_at.
	PerMinute window.Counts `json:"per_minute,omitzero"`

	// Status counts, from the lifecycle's changes.
	Accepted  int64 `json:"accepted"`
	Rejected  int64 `json:"rejected"`
	Cancelled int64 `json:"cancelled"`
	Ready     int64 `json:"ready"`
	Delivered int64 `json:"delivered"`
	// Open is len(OpenOrders).
	Open int64 `json:"open"`
	// Preparation (accepted → ready) and delivery (ready → delivered)
	// times: integer sums over Ready and Delivered orders, and averages.
	PrepMsTotal     int64 `json:"prep_ms_total"`
	DeliveryMsTotal int64 `json:"delivery_ms_total"`
	AvgPrepMs       int64 `json:"avg_prep_ms"`
	AvgDeliveryMs   int64 `json:"avg_delivery_ms"`
	// OpenOrders are the ids, sorted, of the orders the restaurant accepted
	// and that are not finished: at most the capacity, so the count of open
	// orders is exact, however the changes interleave.
	OpenOrders []string `json:"open_orders,omitempty"`
	// StatusApplied is the highest Seq of a lifecycle update applied per
	// lifecycle partition.
	StatusApplied exactly.Applied `json:"status_applied,omitempty"`
}

// StatsCodec encodes *Stats.
type StatsCodec = jsoncodec.Codec[Stats]

// Define returns the restaurant group graph: one input, the lifecycle's
// updates of the restaurant's orders, the placed order whole first. Its
// table is cached (processors/cache): a restaurant is written once per
// flush, not once per order and status change.
func Define(cfg Config) runner.Graph {
	tr := tracker{table: cache.New[Stats](), deltas: streams.NewDeltaOutbox(Group), capacity: cfg.capacity()}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.ByRestaurant, new(streams.UpdateCodec), tr.track),
		goka.Persist(new(StatsCodec)),
		goka.Output(streams.Deltas, new(streams.DeltaBatchCodec)),
		goka.Output(streams.Requests, new(streams.RequestCodec)),
	), Cache: tr.table, Outbox: tr.deltas}
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
		s.FirstOrderAt = o.PlacedAt
	}
	s.Orders++
	s.RevenueCents += o.TotalCents
	s.AvgOrderCents = s.RevenueCents / s.Orders
	if s.ItemQty == nil {
		s.ItemQty = make(map[string]int64)
	}
	before := len(s.ItemQty)
	for _, it := range o.Items {
		s.Items += it.Qty
		s.ItemQty[it.SKU] += it.Qty
	}
	if o.PlacedAt.After(s.LastOrderAt) {
		s.LastOrderAt = o.PlacedAt
	}
	if o.PlacedAt.Before(s.FirstOrderAt) {
		s.FirstOrderAt = o.PlacedAt
	}
	s.TopItems = topAfter(s.TopItems, before, s.ItemQty, o.Items, TopItems)
	s.PerMinute.Add(o.PlacedAt, 1)
	return true
}

// Delta is the order's contribution to the global statistics; the same
// order always yields the same delta, bar the standing, which only grows.
func (s *Stats) Delta(p *streams.Placed) *streams.Delta {
	d := &streams.Delta{
		Seq:          p.Seq,
		Orders:       1,
		RevenueCents: p.Order.TotalCents,
		Items:        p.Order.Quantity(),
		Restaurant:   &streams.Ranked{RestaurantID: s.RestaurantID, RevenueCents: s.RevenueCents, Orders: s.Orders},
		PlacedAt:     p.Order.PlacedAt,
	}
	if s.First == p.Seq {
		d.NewRestaurants = 1
	}
	return d
}

// topAfter is Top(qty, n) after an order of items added to qty, given
// prev, the top of qty before, when it held before items. Quantities only
// grow, so an item neither in prev nor ordered stays behind every item of
// prev: the new top is among those, a handful to rank instead of the menu.
func topAfter(prev []ItemCount, before int, qty map[string]int64, items []order.Item, n int) []ItemCount {
	if len(prev) != min(n, before) {
		return Top(qty, n) // not the top this Apply made: rank everything
	}
	out := make([]ItemCount, 0, len(prev)+len(items))
	seen := func(sku string) bool {
		for _, c := range out {
			if c.SKU == sku {
				return true
			}
		}
		return false
	}
	for _, c := range prev {
		if !seen(c.SKU) {
			out = append(out, ItemCount{SKU: c.SKU, Qty: qty[c.SKU]})
		}
	}
	for _, it := range items {
		if !seen(it.SKU) {
			out = append(out, ItemCount{SKU: it.SKU, Qty: qty[it.SKU]})
		}
	}
	sortTop(out)
	return out[:min(n, len(out))]
}

// Top ranks the n items with the most units, ties by sku.
func Top(qty map[string]int64, n int) []ItemCount {
	out := make([]ItemCount, 0, len(qty))
	for sku, q := range qty {
		out = append(out, ItemCount{SKU: sku, Qty: q})
	}
	sortTop(out)
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// sortTop orders items by units, most first, ties by sku.
func sortTop(items []ItemCount) {
	slices.SortFunc(items, func(a, b ItemCount) int {
		return cmp.Or(cmp.Compare(b.Qty, a.Qty), strings.Compare(a.SKU, b.SKU))
	})
}
