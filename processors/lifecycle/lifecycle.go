// Package lifecycle is the audit service and the single writer of every
// order's status. Keyed by order_id, it receives requests from the actors
// (the registry announcing a placed order, the restaurant accepting or
// rejecting it, the kitchen and the courier, the user cancelling), applies
// the state machine of order.CanMove, keeps the order with its full
// history, and publishes each validated change on "order-status". Requests
// the state machine refuses are dropped: that is how races such as a
// cancel arriving as the kitchen marks the order ready are resolved, the
// same way on every replay.
package lifecycle

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
)

// Group is the goka group of the lifecycle processor; its table is Table.
const Group goka.Group = "lifecycle"

// Table is the audit table: order_id → Order.
var Table = goka.GroupTable(Group)

// Topics of the lifecycle.
const (
	// Requests is the input: what the actors ask for, keyed by order_id.
	Requests goka.Stream = "status-requests"
	// Changes is the public record of every validated change, keyed by
	// order_id.
	Changes goka.Stream = "order-status"
	// ByRestaurant carries the changes, and refused acceptances, to the
	// restaurant processor, keyed by restaurant_id.
	ByRestaurant goka.Stream = "status-by-restaurant"
)

// Request asks for an order to move to Status. At is when the actor
// decided; Reason says why, for rejections and cancellations.
type Request struct {
	OrderID string       `json:"order_id"`
	Status  order.Status `json:"status"`
	At      time.Time    `json:"at"`
	Reason  string       `json:"reason,omitempty"`
	// The order's parties and total, on the placed request only.
	RestaurantID string `json:"restaurant_id,omitempty"`
	UserID       string `json:"user_id,omitempty"`
	TotalCents   int64  `json:"total_cents,omitempty"`
}

// RequestCodec encodes *Request.
type RequestCodec = jsoncodec.Codec[Request]

// Change is one validated status change, the record of "order-status".
// Seq is the position of the request that caused it on Requests: it is the
// same however often the change is re-emitted, and consumers deduplicate
// by it.
type Change struct {
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	UserID       string       `json:"user_id"`
	Status       order.Status `json:"status"`
	At           time.Time    `json:"at"`
	Reason       string       `json:"reason"`
	Seq          exactly.Pos  `json:"seq"`
}

// ChangeCodec encodes *Change.
type ChangeCodec = jsoncodec.Codec[Change]

// Update is a change as the restaurant processor receives it, with what
// its statistics need from the order's history.
type Update struct {
	Change
	// From is the status the order left.
	From order.Status `json:"from,omitempty"`
	// PrepMs (on ready) is the time from accepted to ready; DeliveryMs
	// (on delivered) from ready to delivered.
	PrepMs     int64 `json:"prep_ms,omitempty"`
	DeliveryMs int64 `json:"delivery_ms,omitempty"`
	// Dropped marks an acceptance the lifecycle refused, the order having
	// been cancelled first: Status is accepted, but nothing changed, and
	// the restaurant must not count the order as open.
	Dropped bool `json:"dropped,omitempty"`
}

// UpdateCodec encodes *Update.
type UpdateCodec = jsoncodec.Codec[Update]

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
}

// OrderCodec encodes *Order.
type OrderCodec = jsoncodec.Codec[Order]

// Hooks observe what the lifecycle refuses; nil fields are skipped.
type Hooks struct {
	// Refused is called with a request the state machine dropped, the
	// order's status (empty for an unknown order) and the verdict.
	Refused func(r *Request, current order.Status, v Verdict)
}

// Define returns the lifecycle group graph.
func Define(h Hooks) *goka.GroupGraph {
	return goka.DefineGroup(Group,
		goka.Input(Requests, new(RequestCodec), h.apply),
		goka.Visitor(VisitRetire, retire),
		goka.Visitor(VisitRelease, release),
		// Not jsoncodec.Owned: an order's next request comes seconds to
		// minutes after the last, when the value it encoded is long
		// forgotten under load, and keeping it cost more than the hand
		// decoding it saves (BenchmarkTableCodec).
		goka.Persist(new(OrderCodec)),
		goka.Output(Changes, new(ChangeCodec)),
		goka.Output(ByRestaurant, new(UpdateCodec)),
		// The release sweep's cancellations.
		goka.Output(Requests, new(RequestCodec)),
	)
}

func (h Hooks) apply(ctx goka.Context, msg any) {
	r := msg.(*Request)
	at := exactly.Pos{Partition: ctx.Partition(), Offset: ctx.Offset()}
	o, _ := ctx.Value().(*Order)
	current := order.Status("")
	if o != nil {
		current = o.Status
	}
	next, out := Process(o, r, at)
	if out.Verdict.Refused() && h.Refused != nil {
		h.Refused(r, current, out.Verdict)
	}
	if next != nil {
		ctx.SetValue(next)
	}
	if u := out.Update; u != nil {
		if !u.Dropped {
			ctx.Emit(Changes, u.OrderID, &u.Change)
		}
		ctx.Emit(ByRestaurant, u.RestaurantID, u)
	}
}
