// Package simulator is users placing orders: a generated catalog of
// restaurants, Zipf-skewed popularity of restaurants, users and dishes, and
// a paced loop that hands the orders to an emitters.Sink. Everything but the
// order ids and times is deterministic from a seed.
package simulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/order"
)

// Tuning values of Run.
const (
	// MaxRate bounds Config.Rate, in orders per second.
	MaxRate = 1_000_000
	// Workers is the number of goroutines calling Sink.Emit. A Kafka sink
	// answers after a round trip of a few milliseconds, so a rate of
	// thousands per second needs that many orders in flight at once.
	Workers = 64
	// TickInterval is how often Run wakes up to issue the orders that have
	// fallen due since the last tick, as one batch.
	TickInterval = 10 * time.Millisecond
	// MaxLag bounds catching up after a stall (a slow sink): orders more
	// than this far behind schedule are skipped instead of sent in a burst.
	MaxLag = time.Second
	// ProgressInterval is how often the progress line is redrawn.
	ProgressInterval = 250 * time.Millisecond
	// DrainTimeout is how long Run waits, once ctx ends, for the orders
	// already handed to the sink.
	DrainTimeout = 5 * time.Second
)

// errDrainTimeout cancels the emits still in flight DrainTimeout after the
// run was stopped.
var errDrainTimeout = errors.New("orders in flight not acknowledged in time")

// Config says how many orders to place, how fast, and in which world.
type Config struct {
	Rate        float64 // orders per second
	Count       int     // orders to place; 0 places orders until ctx ends
	Restaurants int
	Users       int
	Seed        uint64
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case math.IsNaN(c.Rate) || c.Rate <= 0 || c.Rate > MaxRate:
		return fmt.Errorf("rate %v: want more than 0 and at most %d orders/s", c.Rate, MaxRate)
	case c.Count < 0:
		return fmt.Errorf("count %d: want 0 (unbounded) or more", c.Count)
	case c.Restaurants < 1 || c.Restaurants > MaxRestaurants:
		return fmt.Errorf("restaurants %d: want 1..%d", c.Restaurants, MaxRestaurants)
	case c.Users < 1 || c.Users > MaxUsers:
		return fmt.Errorf("users %d: want 1..%d", c.Users, MaxUsers)
	}
	return nil
}

// Stats is the outcome of a run.
type Stats struct {
	Sent    int64 // orders the sink accepted
	Failed  int64 // orders the sink refused or did not confirm
	Elapsed time.Duration
}

// Rate is the achieved rate in orders per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Sent) / s.Elapsed.Seconds()
}

// Run places orders at cfg.Rate into sink until cfg.Count are placed, ctx
// ends, or the sink fails. Stopping because ctx ended is not an error: it
// is how an unbounded run ends, and Stats tells how far a bounded one got.
// The first sink error stops the run and is returned.
//
// When ctx ends, orders already handed to the sink get DrainTimeout to be
// confirmed. A progress line is redrawn on progress (when not nil) a few
// times a second; write errors on it are ignored.
func Run(ctx context.Context, cfg Config, sink emitters.Sink, progress io.Writer) (Stats, error) {
	gen, err := NewGenerator(cfg, NewRunID())
	if err != nil {
		return Stats{}, fmt.Errorf("simulator: %w", err)
	}
	start := time.Now()

	// Emits outlive ctx by up to DrainTimeout, and end early when one fails.
	emitCtx, cancelEmits := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelEmits(nil)
	returned := make(chan struct{})
	defer close(returned)
	go cancelAfterDrain(ctx, returned, cancelEmits)

	var sent, failed atomic.Int64
	work := make(chan *order.Order)
	var workers errgroup.Group
	for range Workers {
		workers.Go(func() error {
			for o := range work {
				if err := sink.Emit(emitCtx, o); err != nil {
					failed.Add(1)
					cancelEmits(err)
					return fmt.Errorf("simulator: %w", err)
				}
				sent.Add(1)
			}
			return nil
		})
	}

	p := &progressLine{w: progress, start: start, last: start}
	issue(ctx, emitCtx, cfg, gen, work, func(now time.Time) { p.draw(now, sent.Load(), failed.Load()) })
	close(work)
	err = workers.Wait()

	stats := Stats{Sent: sent.Load(), Failed: failed.Load(), Elapsed: time.Since(start)}
	p.finish(stats)
	return stats, err
}

// issue generates orders on schedule and hands them to the workers until
// cfg.Count are issued or either context ends. redraw is called every
// ProgressInterval.
func issue(ctx, emitCtx context.Context, cfg Config, gen *Generator, work chan<- *order.Order, redraw func(time.Time)) {
	tick := time.NewTicker(TickInterval)
	defer tick.Stop()
	redrawTick := time.NewTicker(ProgressInterval)
	defer redrawTick.Stop()

	pace := newPacer(cfg.Rate, time.Now())
	issued := 0
	for cfg.Count == 0 || issued < cfg.Count {
		select {
		case <-ctx.Done():
			return
		case <-emitCtx.Done():
			return
		case now := <-redrawTick.C:
			redraw(now)
		case now := <-tick.C:
			n := pace.due(now)
			if cfg.Count > 0 {
				n = min(n, cfg.Count-issued)
			}
			for range n {
				select {
				case work <- gen.Next(time.Now()):
					issued++
				case <-ctx.Done():
					return
				case <-emitCtx.Done():
					return
				}
			}
		}
	}
}

// cancelAfterDrain cancels the emits DrainTimeout after ctx ends, unless
// Run has returned by then.
func cancelAfterDrain(ctx context.Context, returned <-chan struct{}, cancel context.CancelCauseFunc) {
	select {
	case <-returned:
		return
	case <-ctx.Done():
	}
	t := time.NewTimer(DrainTimeout)
	defer t.Stop()
	select {
	case <-returned:
	case <-t.C:
		cancel(errDrainTimeout)
	}
}

// pacer is a token bucket that starts with one token, fills at rate and
// holds at most MaxLag worth of orders.
type pacer struct {
	rate   float64
	start  time.Time
	issued int64 // orders issued or skipped since start
	burst  int64
}

func newPacer(rate float64, start time.Time) *pacer {
	return &pacer{rate: rate, start: start, burst: max(1, int64(math.Ceil(rate*MaxLag.Seconds())))}
}

// due returns the number of orders to issue at now and counts them issued.
func (p *pacer) due(now time.Time) int {
	n := 1 + int64(p.rate*now.Sub(p.start).Seconds()) - p.issued
	if n > p.burst {
		p.issued += n - p.burst // skipped
		n = p.burst
	}
	n = max(n, 0)
	p.issued += n
	return int(n)
}

// progressLine redraws one status line with \r; it does nothing without a
// writer.
type progressLine struct {
	w        io.Writer
	start    time.Time
	last     time.Time
	lastSent int64
	drawn    bool
}

func (p *progressLine) draw(now time.Time, sent, failed int64) {
	if p.w == nil {
		return
	}
	rate := 0.0
	if d := now.Sub(p.last).Seconds(); d > 0 {
		rate = float64(sent-p.lastSent) / d
	}
	p.last, p.lastSent = now, sent
	line := fmt.Sprintf("sent %d orders, %.0f/s", sent, rate)
	if failed > 0 {
		line += fmt.Sprintf(", %d failed", failed)
	}
	// Padding overwrites the rest of a longer previous line.
	_, _ = fmt.Fprintf(p.w, "\r%-48s", line)
	p.drawn = true
}

// finish ends a drawn progress line so that what follows starts on its own.
func (p *progressLine) finish(s Stats) {
	if p.w == nil || !p.drawn {
		return
	}
	_, _ = fmt.Fprintf(p.w, "\r%-48s\n", fmt.Sprintf("sent %d orders, %.0f/s overall", s.Sent, s.Rate()))
}
