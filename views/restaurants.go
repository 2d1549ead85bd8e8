package views

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/orderstream/orderstream/processors/restaurant"
)

// By is an order of restaurant lists.
type By string

// The orders List knows; ties go to more orders (or revenue), then the
// smaller id, so a list is stable between calls.
const (
	ByRevenue By = "revenue"
	ByOrders  By = "orders"
)

// Valid reports whether List knows b.
func (b By) Valid() bool { return b == ByRevenue || b == ByOrders }

// Restaurants is the typed view of restaurant.Table.
type Restaurants struct{ t *table }

// Get returns the statistics of the restaurant id, ErrNotFound if it has
// no placed order, ErrUnavailable while the view is not recovered. The
// value is shared with other readers: it must not be changed.
func (r *Restaurants) Get(id string) (*restaurant.Stats, error) {
	return get[restaurant.Stats](r.t, id)
}

// List returns the first limit restaurants in the order by (all of them if
// limit <= 0). The values are shared, as Get's.
//
// It reads and decodes every restaurant of the local table and sorts them:
// O(n log n) time and O(n) memory per call. That is fine for the hundreds
// to thousands of restaurants the system has (a few milliseconds); a much
// larger table would want an index maintained by a processor instead.
func (r *Restaurants) List(by By, limit int) ([]*restaurant.Stats, error) {
	if !by.Valid() {
		return nil, fmt.Errorf("list restaurants: unknown order %q", by)
	}
	var all []*restaurant.Stats
	err := each(r.t, func(_ string, s *restaurant.Stats) error {
		all = append(all, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list restaurants: %w", err)
	}
	slices.SortFunc(all, compareBy(by))
	if limit > 0 && len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

// compareBy orders restaurants best first.
func compareBy(by By) func(a, b *restaurant.Stats) int {
	return func(a, b *restaurant.Stats) int {
		first, second := cmp.Compare(b.RevenueCents, a.RevenueCents), cmp.Compare(b.Orders, a.Orders)
		if by == ByOrders {
			first, second = second, first
		}
		return cmp.Or(first, second, cmp.Compare(a.RestaurantID, b.RestaurantID))
	}
}
