package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/orderstream/orderstream/order"
)

// Popularity skew: ranks are drawn from Zipf distributions with
// P(rank k) ∝ (v+k)^-s. A larger v flattens the head; a larger s steepens
// the tail. With these, the most popular of 50 restaurants gets about 10% of
// the orders, roughly eight times the median one.
const (
	restaurantZipfS = 1.2
	restaurantZipfV = 5
	userZipfS       = 1.1
	userZipfV       = 10
	menuZipfS       = 1.3
	menuZipfV       = 2
)

// Cumulative percentages of the number of lines in an order (1..5) and of the
// quantity on a line (1..3): most orders are small.
var (
	linesCDF = [...]int{35, 65, 85, 95, 100}
	qtyCDF   = [...]int{75, 93, 100}
)

// Generator draws orders from a catalog. It is deterministic: two generators
// built from the same seed produce the same orders, apart from the run id in
// order_id and the placed_at they are given. It is not safe for concurrent
// use.
type Generator struct {
	catalog     Catalog
	rng         *mrand.Rand
	restaurants *mrand.Zipf
	byRank      []*Restaurant // restaurant of each popularity rank
	users       *mrand.Zipf
	userIDs     []string // user of each popularity rank
	menus       [MaxMenuItems + 1]*mrand.Zipf
	idPrefix    []byte // run id and "-"
	seq         uint64
}

// NewRunID returns a random id for one run of the simulator. order_ids are
// the run id and a counter, so two runs never share an order_id, even with
// the same seed.
func NewRunID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}

// NewGenerator builds the catalog and the user base of cfg (its Restaurants,
// Users and Seed; pacing is Run's business) and returns a generator whose
// order_ids are "<runID>-<n>", n counting from 1.
func NewGenerator(cfg Config, runID string) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if runID == "" || len(runID) > order.MaxIDLen/2 {
		return nil, fmt.Errorf("run id %q: want 1..%d bytes", runID, order.MaxIDLen/2)
	}
	catalog, err := NewCatalog(cfg.Restaurants, cfg.Seed)
	if err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(cfg.Seed, ordersStream))
	g := &Generator{
		catalog:     catalog,
		rng:         rng,
		restaurants: mrand.NewZipf(rng, restaurantZipfS, restaurantZipfV, uint64(cfg.Restaurants-1)),
		users:       mrand.NewZipf(rng, userZipfS, userZipfV, uint64(cfg.Users-1)),
		idPrefix:    []byte(runID + "-"),
	}
	// Popularity is shuffled so that it is not tied to the id order.
	for _, i := range rng.Perm(cfg.Restaurants) {
		g.byRank = append(g.byRank, &g.catalog.Restaurants[i])
	}
	for _, i := range rng.Perm(cfg.Users) {
		g.userIDs = append(g.userIDs, UserID(i))
	}
	for n := MinMenuItems; n <= MaxMenuItems; n++ {
		g.menus[n] = mrand.NewZipf(rng, menuZipfS, menuZipfV, uint64(n-1))
	}
	return g, nil
}

// Catalog returns the catalog orders are drawn from. Callers must not modify it.
func (g *Generator) Catalog() Catalog { return g.catalog }

// Next returns the next order, placed at now (in UTC, truncated to the
// millisecond). It is valid by order.Validate.
func (g *Generator) Next(now time.Time) *order.Order {
	r := g.byRank[g.restaurants.Uint64()]
	menu := g.menus[len(r.Menu)]
	lines := draw(g.rng, linesCDF[:])
	items := make([]order.Item, 0, lines)
	for range lines {
		m := &r.Menu[menu.Uint64()]
		items = addItem(items, m, int64(draw(g.rng, qtyCDF[:])))
	}
	return &order.Order{
		OrderID:      g.nextID(),
		RestaurantID: r.ID,
		UserID:       g.userIDs[g.users.Uint64()],
		Items:        items,
		TotalCents:   order.Sum(items),
		PlacedAt:     now.UTC().Truncate(time.Millisecond),
	}
}

// nextID returns "<run id>-<n>" for the next n, in one allocation.
func (g *Generator) nextID() string {
	g.seq++
	var digits [20]byte
	var b strings.Builder
	b.Grow(len(g.idPrefix) + len(digits))
	b.Write(g.idPrefix)
	b.Write(strconv.AppendUint(digits[:0], g.seq, 10))
	return b.String()
}

// addItem adds qty of m, to its line if the order has one already: a cart
// holds one line per dish.
func addItem(items []order.Item, m *MenuItem, qty int64) []order.Item {
	for i := range items {
		if items[i].SKU == m.SKU {
			items[i].Qty += qty
			return items
		}
	}
	return append(items, order.Item{SKU: m.SKU, Qty: qty, PriceCents: m.PriceCents})
}

// draw returns 1 + the index of the first entry of cdf (cumulative
// percentages ending in 100) above a uniform draw from 0..99.
func draw(rng *mrand.Rand, cdf []int) int {
	n := rng.IntN(100)
	for i, c := range cdf {
		if n < c {
			return i + 1
		}
	}
	return len(cdf)
}
