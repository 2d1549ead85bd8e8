package intake

import (
	"fmt"
	"strings"

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
// after it finished. A conflicting request outside that window, or one
// that differs only in items with the same total, is answered 202 and is
// then not placed: the registry keeps the first copy, counts the second
// in orderstream_conflicting_orders_total, and verify lists it.
func WithPlaced(lookup Lookup) Option {
	return func(h *handler) { h.placed = lookup }
}

// conflict is the error of a request that conflicts with the order placed
// before under its order id, "" if none is known or they agree.
func (h *handler) conflict(o *order.Order) string {
	if h.placed == nil {
		return ""
	}
	p, err := h.placed(o.OrderID)
	if err != nil {
		// The registry still keeps the first copy and counts this one.
		h.logger.Debug("order id not looked up", "order_id", o.OrderID, "err", err)
		return ""
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
