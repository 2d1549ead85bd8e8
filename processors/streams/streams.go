// Package streams declares what flows between the processors: every
// stream (a topic goka reads or writes as a stream), the record type on it
// and that type's codec. Processors import this package, never each other:
// what one writes and another reads is declared once, here.
//
// Two of the streams are public contracts, read by any service that cares:
// Changes ("order-status") and Notifications ("notifications"). The others
// are internal; their names and formats may change between versions.
//
// The records encode as jsoncodec's Marshal does, without reflection on the
// hot path (json.go); the golden files in testdata pin the bytes.
package streams

import (
	"fmt"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
)

// The lifecycle's input, and its outputs to the processors and to the
// world (Notifications is the other).
const (
	// Requests is the input: what the actors ask for, keyed by order_id.
	Requests goka.Stream = "status-requests"
	// Changes is the public record of every validated change, keyed by
	// order_id.
	Changes goka.Stream = "order-status"
	// ByRestaurant carries the changes, and refused acceptances, to the
	// restaurant processor, keyed by restaurant_id; the placed update
	// carries the whole order.
	ByRestaurant goka.Stream = "status-by-restaurant"
	// ByUser carries every new order to the user processor, keyed by
	// user_id.
	ByUser goka.Stream = "placed-by-user"
)

// Placed announces a new order to the user processor. Seq is the
// position of its placed request on Requests: downstream tables
// deduplicate by it.
type Placed struct {
	Order order.Order `json:"order"`
	Seq   exactly.Pos `json:"seq"`
}

// PlacedCodec encodes *Placed.
type PlacedCodec = jsoncodec.Codec[Placed]

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
	// On the placed request only, which ingest writes: the whole order,
	// and where it was on "orders" (to tell a copy ingest wrote again
	// from another record under the same order id).
	Order  *order.Order `json:"order,omitempty"`
	Source *exactly.Pos `json:"source,omitempty"`
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
	// Order is the whole order, on the placed update only: the
	// restaurant counts it from this one stream.
	Order *order.Order `json:"order,omitempty"`
}

// Placed is the new order u announces, nil unless u is the placed update
// of an order.
func (u *Update) Placed() *Placed {
	if u.Dropped || u.Status != order.StatusPlaced || u.Order == nil {
		return nil
	}
	return &Placed{Order: *u.Order, Seq: u.Seq}
}

// UpdateCodec encodes *Update.
type UpdateCodec = jsoncodec.Codec[Update]

// PlacedRequest starts the lifecycle of o, read at position source of
// "orders": ingest writes one for every valid record.
func PlacedRequest(o *order.Order, source exactly.Pos) *Request {
	return &Request{
		OrderID:      o.OrderID,
		Status:       order.StatusPlaced,
		At:           o.PlacedAt,
		RestaurantID: o.RestaurantID,
		UserID:       o.UserID,
		TotalCents:   o.TotalCents,
		Order:        o,
		Source:       &source,
	}
}

// Notifications is the public stream of messages to users, keyed by
// user_id: the lifecycle writes one with every change.
const Notifications goka.Stream = "notifications"

// Notification is a message to a user about one of their orders. Seq is
// the identity of the change it tells of (Change.Seq), the same
// on every redelivery, so inboxes keep each once.
type Notification struct {
	UserID       string       `json:"user_id"`
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	Status       order.Status `json:"status"`
	Message      string       `json:"message"`
	At           time.Time    `json:"at"`
	Seq          exactly.Pos  `json:"seq"`
}

// NotificationCodec encodes *Notification.
type NotificationCodec = jsoncodec.Codec[Notification]

// Deltas carries the restaurant and user processors' contributions to the
// global statistics, keyed by ShardKey: the global processor's input.
const Deltas goka.Stream = "global-deltas"

// Handoffs are the internal streams that only hand records from one
// processor to the next. Once every group reading one has committed past a
// record, nothing reads it again: process purges them (internal/purge), as
// Kafka Streams purges its repartition topics. Requests is internal too but
// kept for its retention, since verify replays it.
var Handoffs = []goka.Stream{ByRestaurant, ByUser, Deltas}

// Delta is one event's contribution, sent by the processor that owns the
// order's restaurant or user: a placed order, or a change of its status.
// Seq is the identity the shard deduplicates by: the position, on the
// lifecycle's input, of the request that placed the order or made the
// change. Each shard has one upstream partition, which receives the
// lifecycle's updates in order from every lifecycle partition.
type Delta struct {
	Seq            exactly.Pos `json:"seq"`
	Orders         int64       `json:"orders,omitempty"`
	RevenueCents   int64       `json:"revenue_cents,omitempty"`
	Items          int64       `json:"items,omitempty"`
	NewRestaurants int64       `json:"new_restaurants,omitempty"`
	NewUsers       int64       `json:"new_users,omitempty"`
	// Restaurant, when set, is the restaurant's standing after the order.
	Restaurant *Ranked `json:"restaurant,omitempty"`
	// PlacedAt, on a placed order, is its event time for the per-minute
	// series.
	PlacedAt time.Time `json:"placed_at,omitzero"`
	// Status counts: +1 for the change they name; Open is +1 when an order
	// is accepted and -1 when an accepted one finishes.
	Accepted  int64 `json:"accepted,omitempty"`
	Rejected  int64 `json:"rejected,omitempty"`
	Cancelled int64 `json:"cancelled,omitempty"`
	Delivered int64 `json:"delivered,omitempty"`
	Open      int64 `json:"open,omitempty"`
}

// DeltaCodec encodes *Delta.
type DeltaCodec = jsoncodec.Codec[Delta]

// DeltaBatch is what one upstream partition sends the global processor
// at a time: its deltas of an interval (DeltaInterval), in the order it
// made them. The shard applies each delta by its own Seq, so a batch
// redelivered, or made again with other bounds after a crash, adds each
// delta once.
type DeltaBatch struct {
	Deltas []Delta `json:"deltas"`
}

// DeltaInterval is how long the restaurant and user processors gather
// their deltas before they send them, one record per partition: the
// global table is written every 100 ms anyway (global.FlushInterval), and
// a record per order and status change was a tenth of every record the
// system wrote.
const DeltaInterval = 100 * time.Millisecond

// NewDeltaOutbox returns the outbox through which group sends its deltas:
// a DeltaBatch per partition at most every DeltaInterval, keyed by
// ShardKey. Its graph declares Deltas an output with a DeltaBatchCodec.
func NewDeltaOutbox(group goka.Group) *cache.Outbox[Delta] {
	return cache.NewOutbox(Deltas, new(DeltaBatchCodec),
		func(partition int32) string { return ShardKey(group, partition) },
		func(deltas []Delta) any { return &DeltaBatch{Deltas: deltas} },
		DeltaInterval)
}

// Ranked is a restaurant's standing in a top list.
type Ranked struct {
	RestaurantID string `json:"restaurant_id"`
	RevenueCents int64  `json:"revenue_cents"`
	Orders       int64  `json:"orders"`
}

// ShardKey names the shard of an upstream processor's partition, e.g.
// "restaurant/2".
func ShardKey(source goka.Group, partition int32) string {
	return fmt.Sprintf("%s/%d", source, partition)
}
