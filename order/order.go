// Package order defines the public input of the system: the topic "orders"
// and the JSON order any Kafka client may write to it.
package order

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// Stream is the public input topic. Producers key it by restaurant_id with
// whatever partitioner they have; the ingest processor repartitions it.
const Stream goka.Stream = "orders"

// Limits that keep every sum far from int64 overflow.
const (
	MaxItems      = 100
	MaxQty        = 10_000
	MaxPriceCents = 100_000_000 // one million in major units
	MaxIDLen      = 128
)

// Item is one line of an order.
type Item struct {
	SKU        string `json:"sku"`
	Qty        int64  `json:"qty"`
	PriceCents int64  `json:"price_cents"`
}

// Order is a placed order as it travels on the "orders" topic.
type Order struct {
	OrderID      string    `json:"order_id"`
	RestaurantID string    `json:"restaurant_id"`
	UserID       string    `json:"user_id"`
	Items        []Item    `json:"items"`
	TotalCents   int64     `json:"total_cents"`
	PlacedAt     time.Time `json:"placed_at"`
}

// Codec encodes and decodes *Order.
type Codec = jsoncodec.Codec[Order]

// Reason says why an order is invalid. Its values label metrics and
// dead-letter records, so they are part of the contract.
type Reason string

// The reasons an order is refused.
const (
	ReasonMalformed         Reason = "malformed_json"
	ReasonMissingOrderID    Reason = "missing_order_id"
	ReasonMissingRestaurant Reason = "missing_restaurant_id"
	ReasonMissingUser       Reason = "missing_user_id"
	ReasonIDTooLong         Reason = "id_too_long"
	ReasonNoItems           Reason = "no_items"
	ReasonTooManyItems      Reason = "too_many_items"
	ReasonMissingSKU        Reason = "missing_sku"
	ReasonBadQty            Reason = "bad_qty"
	ReasonBadPrice          Reason = "bad_price"
	ReasonTotalMismatch     Reason = "total_mismatch"
	ReasonMissingPlacedAt   Reason = "missing_placed_at"
	// ReasonBadID: an id outside the id alphabet (see CheckID).
	ReasonBadID Reason = "bad_id"
)

// Reasons lists every Reason, so metrics can start each at zero.
var Reasons = []Reason{
	ReasonMalformed, ReasonMissingOrderID, ReasonMissingRestaurant, ReasonMissingUser,
	ReasonIDTooLong, ReasonNoItems, ReasonTooManyItems, ReasonMissingSKU, ReasonBadQty,
	ReasonBadPrice, ReasonTotalMismatch, ReasonMissingPlacedAt, ReasonBadID,
}

// InvalidError is returned by Validate and Parse; callers branch on Reason.
type InvalidError struct {
	Reason Reason
	Detail string
}

func (e *InvalidError) Error() string {
	if e.Detail == "" {
		return "invalid order: " + string(e.Reason)
	}
	return fmt.Sprintf("invalid order: %s: %s", e.Reason, e.Detail)
}

func invalid(r Reason, format string, args ...any) *InvalidError {
	return &InvalidError{Reason: r, Detail: fmt.Sprintf(format, args...)}
}

// ReasonOf returns the Reason of an InvalidError, or ReasonMalformed.
func ReasonOf(err error) Reason {
	var ie *InvalidError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return ReasonMalformed
}

// Sum is the total of qty x price_cents over items. It assumes the items
// passed ValidateItems, which keeps it far from overflow.
func Sum(items []Item) int64 {
	var total int64
	for _, it := range items {
		total += it.Qty * it.PriceCents
	}
	return total
}

// Quantity is the number of units in an order (the sum of qty).
func (o *Order) Quantity() int64 {
	var n int64
	for _, it := range o.Items {
		n += it.Qty
	}
	return n
}

// ValidateItems checks the item list alone; the HTTP intake uses it before
// it has an order id or a total.
func ValidateItems(items []Item) error {
	if len(items) == 0 {
		return invalid(ReasonNoItems, "an order needs at least one item")
	}
	if len(items) > MaxItems {
		return invalid(ReasonTooManyItems, "%d items, at most %d", len(items), MaxItems)
	}
	for i, it := range items {
		if err := CheckID(fmt.Sprintf("item %d sku", i), it.SKU); err != nil {
			return err
		}
		switch {
		case it.Qty < 1 || it.Qty > MaxQty:
			return invalid(ReasonBadQty, "item %d qty %d, want 1..%d", i, it.Qty, MaxQty)
		case it.PriceCents < 0 || it.PriceCents > MaxPriceCents:
			return invalid(ReasonBadPrice, "item %d price_cents %d, want 0..%d", i, it.PriceCents, MaxPriceCents)
		}
	}
	return nil
}

// ValidateIDs checks the restaurant and user ids (see CheckID).
func ValidateIDs(restaurantID, userID string) error {
	if err := CheckID("restaurant_id", restaurantID); err != nil {
		return err
	}
	return CheckID("user_id", userID)
}

// Validate reports whether o is a valid order, as an *InvalidError.
func (o *Order) Validate() error {
	if err := CheckID("order_id", o.OrderID); err != nil {
		return err
	}
	if err := ValidateIDs(o.RestaurantID, o.UserID); err != nil {
		return err
	}
	if err := ValidateItems(o.Items); err != nil {
		return err
	}
	if sum := Sum(o.Items); sum != o.TotalCents {
		return invalid(ReasonTotalMismatch, "total_cents %d, items sum to %d", o.TotalCents, sum)
	}
	if o.PlacedAt.IsZero() {
		return invalid(ReasonMissingPlacedAt, "placed_at is missing")
	}
	return nil
}

// Parse decodes and validates one record of the "orders" topic. A record
// that is not valid UTF-8 is malformed (JSON text is UTF-8): decoding it
// would silently replace the invalid bytes.
func Parse(data []byte) (*Order, error) {
	var o Order
	if !o.DecodeJSON(data) { // the common form, decoded by hand
		if !utf8.Valid(data) {
			return nil, invalid(ReasonMalformed, "record is not valid UTF-8")
		}
		o = Order{}
		if err := json.Unmarshal(data, &o); err != nil {
			return nil, invalid(ReasonMalformed, "%v", err)
		}
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &o, nil
}
