package integrationtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
)

// Sizes of the rankings the API shows, restated here so that a change in
// the code shows up as a failing test rather than a silently adapted one.
const (
	topItems       = 5
	topRestaurants = 10
)

// The figures of the API's answers the tests check, under their JSON
// names. Decoding ignores fields the API may add beside them; a renamed
// field decodes as zero and fails the comparison.
type (
	restaurantFigures struct {
		RestaurantID  string      `json:"restaurant_id"`
		Orders        int64       `json:"orders"`
		RevenueCents  int64       `json:"revenue_cents"`
		Items         int64       `json:"items"`
		AvgOrderCents int64       `json:"avg_order_cents"`
		FirstOrderAt  time.Time   `json:"first_order_at"`
		LastOrderAt   time.Time   `json:"last_order_at"`
		TopItems      []itemCount `json:"top_items"`
	}
	itemCount struct {
		SKU string `json:"sku"`
		Qty int64  `json:"qty"`
	}
	restaurantList struct {
		Restaurants []restaurantFigures `json:"restaurants"`
	}
	userFigures struct {
		UserID              string    `json:"user_id"`
		Orders              int64     `json:"orders"`
		SpentCents          int64     `json:"spent_cents"`
		FavouriteRestaurant string    `json:"favourite_restaurant"`
		LastOrderAt         time.Time `json:"last_order_at"`
	}
	statsFigures struct {
		Orders         int64    `json:"orders"`
		RevenueCents   int64    `json:"revenue_cents"`
		Items          int64    `json:"items"`
		Restaurants    int64    `json:"restaurants"`
		Users          int64    `json:"users"`
		TopRestaurants []ranked `json:"top_restaurants"`
	}
	ranked struct {
		RestaurantID string `json:"restaurant_id"`
		RevenueCents int64  `json:"revenue_cents"`
		Orders       int64  `json:"orders"`
	}
)

// getFigures decodes the body of a 200 answer to GET url into v, a
// figures type; otherwise it returns a description of what came back.
func getFigures(t *testing.T, url string, v any) error {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, code, strings.TrimSpace(body))
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return fmt.Errorf("GET %s: decode %q: %v", url, body, err)
	}
	return nil
}

// ledger is every order placed in a test, deduplicated by order_id the way
// the lifecycle does it: the first order with an id counts, later ones are
// duplicates. It is safe for concurrent use.
type ledger struct {
	mu     sync.Mutex
	byID   map[string]order.Order
	placed int // every order added, duplicates included
}

func newLedger() *ledger { return &ledger{byID: map[string]order.Order{}} }

// add records o, reporting whether its order_id was new.
func (l *ledger) add(o order.Order) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.placed++
	if _, ok := l.byID[o.OrderID]; ok {
		return false
	}
	l.byID[o.OrderID] = o
	return true
}

// counts returns the number of distinct orders and of duplicates added.
func (l *ledger) counts() (distinct, duplicates int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.byID), l.placed - len(l.byID)
}

// expected is what the API must show for the orders of a ledger,
// recomputed from scratch, independently of the processors' code.
type expected struct {
	orders      int
	restaurants map[string]restaurantFigures
	users       map[string]userFigures
	stats       statsFigures
}

func (l *ledger) expect() expected {
	l.mu.Lock()
	orders := slices.Collect(maps.Values(l.byID))
	l.mu.Unlock()

	e := expected{
		orders:      len(orders),
		restaurants: map[string]restaurantFigures{},
		users:       map[string]userFigures{},
	}
	itemQty := map[string]map[string]int64{} // restaurant → sku → units
	userAt := map[string]map[string]int64{}  // user → restaurant → orders
	for _, o := range orders {
		var units int64
		for _, it := range o.Items {
			units += it.Qty
		}
		at := o.PlacedAt.UTC()

		r, ok := e.restaurants[o.RestaurantID]
		if !ok {
			r = restaurantFigures{RestaurantID: o.RestaurantID, FirstOrderAt: at, LastOrderAt: at}
			itemQty[o.RestaurantID] = map[string]int64{}
		}
		r.Orders++
		r.RevenueCents += o.TotalCents
		r.Items += units
		if at.Before(r.FirstOrderAt) {
			r.FirstOrderAt = at
		}
		if at.After(r.LastOrderAt) {
			r.LastOrderAt = at
		}
		for _, it := range o.Items {
			itemQty[o.RestaurantID][it.SKU] += it.Qty
		}
		e.restaurants[o.RestaurantID] = r

		u, ok := e.users[o.UserID]
		if !ok {
			u = userFigures{UserID: o.UserID, LastOrderAt: at}
			userAt[o.UserID] = map[string]int64{}
		}
		u.Orders++
		u.SpentCents += o.TotalCents
		if at.After(u.LastOrderAt) {
			u.LastOrderAt = at
		}
		userAt[o.UserID][o.RestaurantID]++
		e.users[o.UserID] = u

		e.stats.Orders++
		e.stats.RevenueCents += o.TotalCents
		e.stats.Items += units
	}

	for id, r := range e.restaurants {
		r.AvgOrderCents = r.RevenueCents / r.Orders
		var top []itemCount
		for sku, qty := range itemQty[id] {
			top = append(top, itemCount{SKU: sku, Qty: qty})
		}
		slices.SortFunc(top, func(a, b itemCount) int {
			return cmp.Or(cmp.Compare(b.Qty, a.Qty), cmp.Compare(a.SKU, b.SKU))
		})
		r.TopItems = top[:min(len(top), topItems)]
		e.restaurants[id] = r
	}
	for id, u := range e.users {
		// Most orders, ties to the smaller id.
		var best string
		for rid, n := range userAt[id] {
			if best == "" || n > userAt[id][best] || n == userAt[id][best] && rid < best {
				best = rid
			}
		}
		u.FavouriteRestaurant = best
		e.users[id] = u
	}

	e.stats.Restaurants = int64(len(e.restaurants))
	e.stats.Users = int64(len(e.users))
	e.stats.TopRestaurants = []ranked{}
	for _, r := range e.byRevenue() {
		if len(e.stats.TopRestaurants) == topRestaurants {
			break
		}
		e.stats.TopRestaurants = append(e.stats.TopRestaurants,
			ranked{RestaurantID: r.RestaurantID, RevenueCents: r.RevenueCents, Orders: r.Orders})
	}
	return e
}

// byRevenue lists the restaurants best first by revenue, then orders, then
// the smaller id.
func (e expected) byRevenue() []restaurantFigures {
	list := slices.Collect(maps.Values(e.restaurants))
	slices.SortFunc(list, func(a, b restaurantFigures) int {
		return cmp.Or(cmp.Compare(b.RevenueCents, a.RevenueCents), cmp.Compare(b.Orders, a.Orders), cmp.Compare(a.RestaurantID, b.RestaurantID))
	})
	return list
}

// byOrders lists the restaurants best first by orders, then revenue, then
// the smaller id.
func (e expected) byOrders() []restaurantFigures {
	list := slices.Collect(maps.Values(e.restaurants))
	slices.SortFunc(list, func(a, b restaurantFigures) int {
		return cmp.Or(cmp.Compare(b.Orders, a.Orders), cmp.Compare(b.RevenueCents, a.RevenueCents), cmp.Compare(a.RestaurantID, b.RestaurantID))
	})
	return list
}

// canon is v as JSON with every time in UTC: two values are equal when
// their canon is.
func canon(v any) string {
	switch x := v.(type) {
	case restaurantFigures:
		x.FirstOrderAt, x.LastOrderAt = x.FirstOrderAt.UTC(), x.LastOrderAt.UTC()
		v = x
	case userFigures:
		x.LastOrderAt = x.LastOrderAt.UTC()
		v = x
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("unencodable %T: %v", v, err)
	}
	return string(b)
}

// diffs collects mismatches, keeping the first few for the report.
type diffs struct {
	n     int
	shown []string
}

func (d *diffs) add(format string, args ...any) {
	d.n++
	if len(d.shown) < 6 {
		d.shown = append(d.shown, fmt.Sprintf(format, args...))
	}
}

func (d *diffs) String() string {
	if d.n == 0 {
		return "no differences"
	}
	return fmt.Sprintf("%d differences:\n%s", d.n, strings.Join(d.shown, "\n"))
}

// checkSummary compares GET /api/stats and the full list of restaurants
// (GET /api/restaurants?sort=revenue&limit=1000) with e: two requests that
// together cover every total and every restaurant.
func checkSummary(t *testing.T, base string, e expected) (string, bool) {
	t.Helper()
	var d diffs
	var stats statsFigures
	if err := getFigures(t, base+"/api/stats", &stats); err != nil {
		return err.Error(), false
	}
	if got, want := canon(stats), canon(e.stats); got != want {
		d.add("GET /api/stats:\n got  %s\n want %s", got, want)
	}
	var list restaurantList
	if err := getFigures(t, base+"/api/restaurants?sort=revenue&limit=1000", &list); err != nil {
		return err.Error(), false
	}
	diffList(&d, "GET /api/restaurants?sort=revenue&limit=1000", list.Restaurants, e.byRevenue())
	return d.String(), d.n == 0
}

// diffList adds to d every position where got and want differ.
func diffList(d *diffs, what string, got, want []restaurantFigures) {
	if len(got) != len(want) {
		d.add("%s: %d restaurants, want %d", what, len(got), len(want))
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = canon(got[i])
		}
		if i < len(want) {
			w = canon(want[i])
		}
		if g != w {
			d.add("%s [%d]:\n got  %s\n want %s", what, i, g, w)
		}
	}
}

// checkEach compares GET /api/restaurants/{id} of every restaurant and
// GET /api/users/{id} of every user with e.
func checkEach(t *testing.T, base string, e expected) (string, bool) {
	t.Helper()
	var d diffs
	for _, id := range slices.Sorted(maps.Keys(e.restaurants)) {
		var got restaurantFigures
		if err := getFigures(t, base+"/api/restaurants/"+url.PathEscape(id), &got); err != nil {
			d.add("%v", err)
			continue
		}
		if g, w := canon(got), canon(e.restaurants[id]); g != w {
			d.add("restaurant %s:\n got  %s\n want %s", id, g, w)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.users)) {
		var got userFigures
		if err := getFigures(t, base+"/api/users/"+url.PathEscape(id), &got); err != nil {
			d.add("%v", err)
			continue
		}
		if g, w := canon(got), canon(e.users[id]); g != w {
			d.add("user %s:\n got  %s\n want %s", id, g, w)
		}
	}
	return d.String(), d.n == 0
}

// checkTopByOrders compares GET /api/restaurants?sort=orders&limit=5 with e.
func checkTopByOrders(t *testing.T, base string, e expected) (string, bool) {
	t.Helper()
	var list restaurantList
	if err := getFigures(t, base+"/api/restaurants?sort=orders&limit=5", &list); err != nil {
		return err.Error(), false
	}
	want := e.byOrders()
	var d diffs
	diffList(&d, "GET /api/restaurants?sort=orders&limit=5", list.Restaurants, want[:min(5, len(want))])
	return d.String(), d.n == 0
}

// waitExact waits until the API of s shows exactly what e says; see
// waitExactAt.
func waitExact(t *testing.T, s *system, e expected) {
	t.Helper()
	waitExactAt(t, s.base, s, e)
}

// waitExactAt waits until the API at base shows exactly what e says: the
// totals and the restaurant list first (cheap to poll), then every
// restaurant and user one by one, then the top five by orders.
func waitExactAt(t *testing.T, base string, s failer, e expected) {
	t.Helper()
	waitFor(t, s, fmt.Sprintf("the totals of %d orders", e.orders), func() (string, bool) { return checkSummary(t, base, e) })
	waitFor(t, s, "every restaurant and user", func() (string, bool) { return checkEach(t, base, e) })
	waitFor(t, s, "the top restaurants by orders", func() (string, bool) { return checkTopByOrders(t, base, e) })
}

// assertStillExact checks, without waiting, that what matched before still
// does: nothing was counted twice after the totals were reached.
func assertStillExact(t *testing.T, s *system, e expected) {
	t.Helper()
	for _, check := range []func(*testing.T, string, expected) (string, bool){checkSummary, checkEach, checkTopByOrders} {
		if msg, ok := check(t, s.base, e); !ok {
			t.Errorf("after matching once, the API changed: %s", msg)
		}
	}
}
