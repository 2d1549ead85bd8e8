// Package emitters puts orders on the public "orders" topic: the goka
// Emitter, and the Sink interface through which the simulator
// (emitters/simulator) and the HTTP intake (emitters/intake) reach it. It
// also writes the users' status requests (Requests) and the catalog
// (PublishCatalog).
package emitters

import (
	"context"

	"github.com/orderstream/orderstream/order"
)

// Sink accepts placed orders. The simulator and the HTTP intake write to a
// Sink rather than to Kafka so that tests can hand them a fake.
//
// Emit returns once the order is durably accepted, or with an error when it
// is not or ctx ends first; it must be safe for concurrent use, because that
// is how callers reach high rates.
type Sink interface {
	Emit(ctx context.Context, o *order.Order) error
}
