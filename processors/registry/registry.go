// Package registry is the one place an order id becomes known. Keyed by
// order_id, it drops orders it has seen before (producer retries, client
// retries of POST /api/orders) and announces each new order to the
// processors keyed by restaurant and by user, and to the lifecycle, where
// its status history starts.
package registry

import (
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// Group is the goka group of the registry; its table is Table.
const Group goka.Group = "registry"

// Table is the registry's group table: order_id → Entry.
var Table = goka.GroupTable(Group)

// Streams of new orders, keyed for the processors that read them.
const (
	ByRestaurant goka.Stream = "placed-by-restaurant"
	ByUser       goka.Stream = "placed-by-user"
)

// Entry is what the registry remembers of an order.
type Entry struct {
	OrderID      string    `json:"order_id"`
	RestaurantID string    `json:"restaurant_id"`
	UserID       string    `json:"user_id"`
	TotalCents   int64     `json:"total_cents"`
	PlacedAt     time.Time `json:"placed_at"`
	// Source is where the order was on "orders"; At where the registry
	// accepted it. Together they tell a redelivery from a duplicate.
	Source exactly.Pos `json:"source"`
	At     exactly.Pos `json:"at"`
	// Digest is the order's order.Digest, to tell a second copy of the
	// same order from another order under the same id; empty in entries
	// written before it was kept.
	Digest string `json:"digest,omitempty"`
}

// EntryCodec encodes *Entry.
type EntryCodec = jsoncodec.Codec[Entry]

// Placed announces a new order. Seq is its position in the registry's
// input: downstream tables deduplicate by it.
type Placed struct {
	Order order.Order `json:"order"`
	Seq   exactly.Pos `json:"seq"`
}

// PlacedCodec encodes *Placed.
type PlacedCodec = jsoncodec.Codec[Placed]

// Hooks observe what the registry decides; nil fields are skipped.
type Hooks struct {
	// Duplicate is called with every copy of an order id after the first.
	Duplicate func(orderID string)
	// Conflict is called, after Duplicate, with a copy that differs from
	// the first (see Conflicts): another order under a used order id, not
	// placed. detail says how it differs.
	Conflict func(orderID, detail string)
}

// Define returns the registry group graph.
func Define(h Hooks) *goka.GroupGraph {
	return goka.DefineGroup(Group,
		goka.Input(ingest.Output, new(ingest.PlacementCodec), h.register),
		goka.Persist(new(EntryCodec)),
		goka.Output(ByRestaurant, new(PlacedCodec)),
		goka.Output(ByUser, new(PlacedCodec)),
		goka.Output(lifecycle.Requests, new(lifecycle.RequestCodec)),
	)
}

// Verdict is what the registry does with a placement.
type Verdict int

// The verdicts.
const (
	// New: first sighting of the order id.
	New Verdict = iota
	// Redelivery: this very message was applied before a crash; its
	// writes are repeated, since some may have been lost.
	Redelivery
	// Repeat: ingest delivered the same record of "orders" again.
	Repeat
	// Duplicate: another record carried an order id seen before.
	Duplicate
)

// Judge decides what to do with the placement p arriving at position at,
// given the entry stored for its order id (nil if none).
func Judge(e *Entry, p *ingest.Placement, at exactly.Pos) Verdict {
	switch {
	case e == nil:
		return New
	case e.At == at:
		return Redelivery
	case e.Source == p.Source:
		return Repeat
	default:
		return Duplicate
	}
}

func (h Hooks) register(ctx goka.Context, msg any) {
	p := msg.(*ingest.Placement)
	at := exactly.Pos{Partition: ctx.Partition(), Offset: ctx.Offset()}
	e, _ := ctx.Value().(*Entry)
	switch Judge(e, p, at) {
	case New:
		e = &Entry{
			OrderID:      p.Order.OrderID,
			RestaurantID: p.Order.RestaurantID,
			UserID:       p.Order.UserID,
			TotalCents:   p.Order.TotalCents,
			PlacedAt:     p.Order.PlacedAt,
			Source:       p.Source,
			At:           at,
			Digest:       p.Order.Digest(),
		}
	case Redelivery:
	case Repeat:
		return
	case Duplicate:
		if h.Duplicate != nil {
			h.Duplicate(p.Order.OrderID)
		}
		if detail := Conflicts(e, &p.Order); detail != "" && h.Conflict != nil {
			h.Conflict(p.Order.OrderID, detail)
		}
		return
	}
	ctx.SetValue(e)
	placed := &Placed{Order: p.Order, Seq: at}
	ctx.Emit(ByRestaurant, p.Order.RestaurantID, placed)
	ctx.Emit(ByUser, p.Order.UserID, placed)
	ctx.Emit(lifecycle.Requests, p.Order.OrderID, PlacedRequest(&p.Order))
}

// Conflicts says how o, a later copy of the order id of e, differs from
// the order e registered, "" if it is the same order (placed_at aside:
// the HTTP intake stamps a retry anew). An entry without a digest is
// compared by restaurant, user and total only.
func Conflicts(e *Entry, o *order.Order) string {
	first := order.Order{RestaurantID: e.RestaurantID, UserID: e.UserID, TotalCents: e.TotalCents}
	detail := first.Conflict(&order.Order{RestaurantID: o.RestaurantID, UserID: o.UserID, TotalCents: o.TotalCents})
	if detail == "" && e.Digest != "" && e.Digest != o.Digest() {
		detail = "other items"
	}
	return detail
}

// PlacedRequest starts the lifecycle of o. The lifecycle refuses it as a
// repeat when it was sent before, so a redelivery may send it again.
func PlacedRequest(o *order.Order) *lifecycle.Request {
	return &lifecycle.Request{
		OrderID:      o.OrderID,
		Status:       order.StatusPlaced,
		At:           o.PlacedAt,
		RestaurantID: o.RestaurantID,
		UserID:       o.UserID,
		TotalCents:   o.TotalCents,
	}
}
