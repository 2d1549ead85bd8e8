package intake

import (
	"fmt"
	"strings"
	"sync"

	"github.com/orderstream/orderstream/order"
)

// Placed is what the intake can learn of the order already placed under
// an order id: enough to tell a retry from another order.
type Placed struct {
	RestaurantID string
	UserID       string
	TotalCents   int64
}

// Lookup returns the order placed under orderID, or nil when none is
// known (never placed, not yet visible, or retired); an error means it
// could not be looked up.
type Lookup func(orderID string) (*Placed, error)

// WithPlaced lets the handler refuse, with 409, a request that reuses the
// order id (or the Idempotency-Key) of an order placed before with
// another restaurant, user or total. A retry of the same order is placed
// again, as before, and dropped downstream as a duplicate.
//
// The lookup sees an order once the pipeline has placed it, usually well
// under a second after its 202, until the audit retention removes it
// after it finished; the handler also remembers the last RecentOrders
// orders it placed itself, so a conflicting request to the same server
// is refused as soon as the first was answered. A conflicting request
// outside both, or one that differs only in items with the same total,
// is answered 202 and is then not placed: the lifecycle keeps the first
// copy, counts the second in orderstream_conflicting_orders_total, and
// verify lists it.
func WithPlaced(lookup Lookup) Option {
	return func(h *handler) {
		h.placed = lookup
		h.recent = &recent{byID: map[string]Placed{}}
	}
}

// RecentOrders is how many of the orders it placed the handler remembers.
const RecentOrders = 10_000

// recent is the last RecentOrders orders a handler placed.
type recent struct {
	mu   sync.Mutex
	byID map[string]Placed
	ids  []string // ring, in the order placed
	next int
}

func (r *recent) get(id string) *Placed {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.byID[id]; ok {
		return &p
	}
	return nil
}

func (r *recent) add(id string, p Placed) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.byID[id]; ok {
		return // the first copy stays
	}
	if len(r.ids) < RecentOrders {
		r.ids = append(r.ids, id)
	} else {
		delete(r.byID, r.ids[r.next])
		r.ids[r.next] = id
		r.next = (r.next + 1) % RecentOrders
	}
	r.byID[id] = p
}

// placedOK notes that o was placed.
func (h *handler) placedOK(o *order.Order) {
	if h.recent != nil {
		h.recent.add(o.OrderID, Placed{RestaurantID: o.RestaurantID, UserID: o.UserID, TotalCents: o.TotalCents})
	}
}

// conflict is the error of a request that conflicts with the order placed
// before under its order id, "" if none is known or they agree.
func (h *handler) conflict(o *order.Order) string {
	if h.placed == nil {
		return ""
	}
	// The audit view is the lifecycle's word; what this handler placed
	// itself stands in until the view shows it.
	p, err := h.placed(o.OrderID)
	if err != nil {
		// The lifecycle still keeps the first copy and counts this one.
		h.logger.Debug("order id not looked up", "order_id", o.OrderID, "err", err)
	}
	if p == nil {
		p = h.recent.get(o.OrderID)
	}
	if p == nil {
		return ""
	}
	var diffs []string
	if p.RestaurantID != o.RestaurantID {
		diffs = append(diffs, fmt.Sprintf("restaurant_id %q (this request %q)", p.RestaurantID, o.RestaurantID))
	}
	if p.UserID != o.UserID {
		diffs = append(diffs, fmt.Sprintf("user_id %q (this request %q)", p.UserID, o.UserID))
	}
	if p.TotalCents != o.TotalCents {
		diffs = append(diffs, fmt.Sprintf("total_cents %d (this request %d)", p.TotalCents, o.TotalCents))
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("order_id %q is already used by another order, with %s; "+
		"send a new order under a new order_id or Idempotency-Key", o.OrderID, strings.Join(diffs, ", "))
}
