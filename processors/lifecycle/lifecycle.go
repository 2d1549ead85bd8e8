// Package lifecycle is the one processor keyed by order_id: the registry
// of orders, the audit service and the single writer of every order's
// status. It receives requests from the actors (ingest placing a new
// order, the restaurant accepting or rejecting it, the kitchen and the
// courier, the user cancelling), drops a second copy of an order id,
// applies the state machine of order.CanMove, keeps the order with its
// full history, and publishes each validated change where it is needed:
// on "order-status", as a notification for the order's user on
// "notifications", to the restaurant (the placed order whole, then its
// changes) and, for a new order, to the user's statistics. Requests the
// state machine refuses are dropped: that is how races such as a cancel
// arriving as the kitchen marks the order ready are resolved, the same way
// on every replay.
package lifecycle

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
)

// Group is the goka group of the lifecycle processor; its table is Table.
const Group goka.Group = "lifecycle"

// Table is the audit table: order_id → Order.
var Table = goka.GroupTable(Group)

// Entry is one step of an order's history.
type Entry struct {
	Status order.Status `json:"status"`
	At     time.Time    `json:"at"`
	Reason string       `json:"reason,omitempty"`
	// Seq is the position of the request that made the step.
	Seq exactly.Pos `json:"seq"`
}

// Order is an order as the audit table keeps it.
type Order struct {
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	UserID       string       `json:"user_id"`
	TotalCents   int64        `json:"total_cents"`
	Status       order.Status `json:"status"`
	// History is every step, in the order applied; times never decrease.
	History []Entry `json:"history"`
	// Applied is the highest position on Requests applied, refused
	// requests included.
	Applied exactly.Applied `json:"applied"`
	// Source is where the counted copy of the order was on "orders", and
	// Digest its order.Digest: a later copy from another record is a
	// duplicate, and one with another digest a conflict.
	Source exactly.Pos `json:"source"`
	Digest string      `json:"digest,omitempty"`
	// Retired marks what the retention sweep leaves of a finished order:
	// no history, only what tells a later copy of its id from a new order
	// (see Retire). The API shows it as unknown.
	Retired bool `json:"retired,omitempty"`
}

// OrderCodec encodes *Order.
type OrderCodec = jsoncodec.Codec[Order]

// Hooks observe what the lifecycle refuses; nil fields are skipped.
type Hooks struct {
	// Refused is called with a request the state machine dropped, the
	// order's status (empty for an unknown order) and the verdict.
	Refused func(r *streams.Request, current order.Status, v Verdict)
	// Duplicate is called with every copy of an order id after the first.
	Duplicate func(orderID string)
	// Conflict is called, after Duplicate, with a copy that differs from
	// the first (see Conflicts): another order under a used order id, not
	// placed. detail says how it differs.
	Conflict func(orderID, detail string)
}

// keepClean is how many unchanged orders a partition of the table cache
// keeps decoded: the restaurant's acceptance comes milliseconds after the
// placement, the kitchen's steps seconds later.
const keepClean = 1024

// Define returns the lifecycle group graph, naming restaurants in
// notifications by names. Its table is cached (processors/cache); every
// callback and visit reads and writes it through the cache.
func Define(h Hooks, names Names) runner.Graph {
	t := cache.New[Order](cache.KeepClean(keepClean))
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.Requests, new(streams.RequestCodec), h.apply(t, names)),
		goka.Visitor(VisitRetire, retirer{t}.retire),
		goka.Visitor(VisitRelease, releaser{t}.release),
		goka.Persist(new(OrderCodec)),
		goka.Output(streams.Changes, new(streams.ChangeCodec)),
		goka.Output(streams.Notifications, new(streams.NotificationCodec)),
		goka.Output(streams.ByRestaurant, new(streams.UpdateCodec)),
		goka.Output(streams.ByUser, new(streams.PlacedCodec)),
		// The release sweep's cancellations.
		goka.Output(streams.Requests, new(streams.RequestCodec)),
	), Cache: t}
}

func (h Hooks) apply(t *cache.Table[Order], names Names) func(ctx goka.Context, msg any) {
	return func(ctx goka.Context, msg any) {
		r := msg.(*streams.Request)
		at := exactly.Pos{Partition: ctx.Partition(), Offset: ctx.Offset()}
		t.Change(ctx, func(o *Order) (*Order, bool) {
			current := order.Status("")
			if o != nil {
				current = o.Status
			}
			// Process marks the request applied on the order it is
			// given, so it returns an order for every known id: the
			// value changes whenever there is one.
			next, out := Process(o, r, at)
			switch {
			case out.Verdict == Duplicate:
				if h.Duplicate != nil {
					h.Duplicate(r.OrderID)
				}
				if detail := Conflicts(o, r.Order); detail != "" && h.Conflict != nil {
					h.Conflict(r.OrderID, detail)
				}
			case out.Verdict.Refused() && h.Refused != nil:
				h.Refused(r, current, out.Verdict)
			}
			if u := out.Update; u != nil {
				if !u.Dropped {
					ctx.Emit(streams.Changes, u.OrderID, &u.Change)
					ctx.Emit(streams.Notifications, u.UserID, NewNotification(&u.Change, names(u.RestaurantID)))
				}
				ctx.Emit(streams.ByRestaurant, u.RestaurantID, u)
				if p := u.Placed(); p != nil {
					ctx.Emit(streams.ByUser, u.UserID, p)
				}
			}
			return next, next != nil
		})
	}
}

// Conflicts says how o, a later copy of the order id of e, differs from
// the order e registered, "" if it is the same order (placed_at aside:
// the HTTP intake stamps a retry anew). An entry without a digest is
// compared by restaurant, user and total only.
func Conflicts(e *Order, o *order.Order) string {
	if e == nil || o == nil {
		return ""
	}
	first := order.Order{RestaurantID: e.RestaurantID, UserID: e.UserID, TotalCents: e.TotalCents}
	detail := first.Conflict(&order.Order{RestaurantID: o.RestaurantID, UserID: o.UserID, TotalCents: o.TotalCents})
	if detail == "" && e.Digest != "" && e.Digest != o.Digest() {
		detail = "other items"
	}
	return detail
}
