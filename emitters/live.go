package emitters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/order"
)

// ErrNoProducer is returned by Live.Emit while no producer runs: before
// the first is built, and while a failed one is built again.
var ErrNoProducer = errors.New("no producer running")

// Live is a Sink whose Emitter runs as a supervised component: Run builds
// one and keeps it until its context ends; a supervisor runs it again,
// with a new Emitter, should building it fail (the broker away when the
// command starts). sarama's producer underneath reconnects by itself, so
// a running Emitter fails single orders (the intake answers 503), never
// for good.
type Live struct {
	cfg    kafkaconf.Config
	logger *slog.Logger

	// mu is held for reading by every Emit in flight, and for writing
	// while the Emitter is replaced: an Emitter is closed only once no
	// Emit can reach it.
	mu sync.RWMutex
	em *Emitter
}

var _ Sink = (*Live)(nil)

// NewLive returns a Live emitter of the orders topic on cfg's brokers; it
// emits once Run runs.
func NewLive(cfg kafkaconf.Config, logger *slog.Logger) *Live {
	return &Live{cfg: cfg, logger: logger}
}

// Emit hands o to the running Emitter (see Emitter.Emit), or returns
// ErrNoProducer.
func (l *Live) Emit(ctx context.Context, o *order.Order) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.em == nil {
		id := ""
		if o != nil {
			id = o.OrderID
		}
		return fmt.Errorf("emit order %s: %w", id, ErrNoProducer)
	}
	return l.em.Emit(ctx, o)
}

// Run builds an Emitter and serves Emit with it until ctx ends; then it
// waits for the Emits in flight and closes the Emitter, which flushes
// what it queued.
func (l *Live) Run(ctx context.Context) error {
	em, err := New(l.cfg, l.logger)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.em = em
	l.mu.Unlock()
	<-ctx.Done()
	l.mu.Lock()
	l.em = nil
	l.mu.Unlock()
	return em.Close()
}

// Ready reports whether a producer runs.
func (l *Live) Ready() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.em != nil
}
