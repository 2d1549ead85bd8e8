package emitters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/order"
)

// ErrNilOrder is returned by Emit for a nil order.
var ErrNilOrder = errors.New("nil order")

// Emitter is the Sink that writes orders to the "orders" topic, keyed by
// restaurant_id.
//
// Emit waits for Kafka's acknowledgement, so one caller gets one round trip
// per order; the producer underneath batches whatever concurrent callers
// hand it into one request per broker, so throughput grows with the number
// of goroutines calling Emit (the simulator runs simulator.Workers of them).
// That is why there is no EmitSync here: goka's waits on one message at a
// time from a single caller.
type Emitter struct {
	em *goka.Emitter

	closeOnce sync.Once
	closeErr  error
}

var _ Sink = (*Emitter)(nil)

// New connects an Emitter to the brokers of cfg.
func New(cfg kafkaconf.Config, logger *slog.Logger) (*Emitter, error) {
	opts := cfg.EmitterOptions(logger)
	if cfg.ClientID != "" {
		opts = append(opts, goka.WithEmitterClientID(cfg.ClientID))
	}
	em, err := goka.NewEmitter(cfg.Brokers, order.Stream, new(order.Codec), opts...)
	if err != nil {
		return nil, fmt.Errorf("create emitter %s: %w", order.Stream, err)
	}
	return &Emitter{em: em}, nil
}

// Emit writes o and waits until Kafka acknowledges it or ctx ends. It does
// not validate o: the ingest processor dead-letters invalid orders, and
// tests rely on being able to send some.
//
// When ctx ends first, Emit returns its error but o stays queued and may
// still be written; Close waits for it. Emit may block briefly without
// watching ctx while the producer's input buffer is full.
func (e *Emitter) Emit(ctx context.Context, o *order.Order) error {
	if o == nil {
		return fmt.Errorf("emit to %s: %w", order.Stream, ErrNilOrder)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("emit order %s: %w", o.OrderID, context.Cause(ctx))
	}
	promise, err := e.em.Emit(o.RestaurantID, o)
	if err != nil {
		return fmt.Errorf("emit order %s: %w", o.OrderID, err)
	}
	// Buffered: the callback must not block when nobody is waiting any more.
	acked := make(chan error, 1)
	promise.Then(func(err error) { acked <- err })
	select {
	case err := <-acked:
		if err != nil {
			return fmt.Errorf("emit order %s: %w", o.OrderID, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("emit order %s: %w", o.OrderID, context.Cause(ctx))
	}
}

// Close waits until every queued order is acknowledged or has failed, then
// closes the producer. Emit returns goka.ErrEmitterAlreadyClosed afterwards.
// Calling Close again returns the first call's result (goka's Finish panics
// when called twice).
func (e *Emitter) Close() error {
	e.closeOnce.Do(func() {
		if err := e.em.Finish(); err != nil {
			e.closeErr = fmt.Errorf("close emitter %s: %w", order.Stream, err)
		}
	})
	return e.closeErr
}
