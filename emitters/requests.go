package emitters

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/processors/streams"
)

// Requests writes status requests to the lifecycle's input, keyed by
// order_id with goka's partitioner, as the lifecycle's table requires: the
// HTTP API sends the users' cancellations through it.
type Requests struct {
	em *goka.Emitter

	closeOnce sync.Once
	closeErr  error
}

// NewRequests connects a Requests to the brokers of cfg.
func NewRequests(cfg kafkaconf.Config, logger *slog.Logger) (*Requests, error) {
	opts := cfg.EmitterOptions(logger)
	if cfg.ClientID != "" {
		opts = append(opts, goka.WithEmitterClientID(cfg.ClientID+"-requests"))
	}
	em, err := goka.NewEmitter(cfg.Brokers, streams.Requests, new(streams.RequestCodec), opts...)
	if err != nil {
		return nil, fmt.Errorf("create emitter %s: %w", streams.Requests, err)
	}
	return &Requests{em: em}, nil
}

// Request writes r and waits until Kafka acknowledges it or ctx ends.
func (q *Requests) Request(ctx context.Context, r *streams.Request) error {
	if err := emitWait(ctx, q.em, r.OrderID, r); err != nil {
		return fmt.Errorf("request %s of order %s: %w", r.Status, r.OrderID, err)
	}
	return nil
}

// Close flushes and closes the emitter; later calls return the first
// call's result.
func (q *Requests) Close() error {
	q.closeOnce.Do(func() { q.closeErr = finish(q.em, string(streams.Requests)) })
	return q.closeErr
}
