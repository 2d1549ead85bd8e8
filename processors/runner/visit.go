package runner

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"golang.org/x/sync/errgroup"
)

// Visits returns a Tend that visits every key of the processor's table
// with the visitor name every interval, handing it meta(now), until ctx
// ends; a visit under way when it does is finished first. A visit that
// fails (a rebalance aborts it) is logged and the next one is tried on
// schedule; goka runs visits one key at a time between messages, so they
// see and write the table as callbacks do. No visit starts before the
// processor has recovered.
func Visits(name string, every time.Duration, meta func(now time.Time) any, logger *slog.Logger) Tend {
	return func(ctx context.Context, p *goka.Processor) error {
		log := logger.With("processor", string(p.Graph().Group()), "visitor", name)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case now := <-tick.C:
				// A partition still recovering has no storage to visit.
				if !p.Recovered() {
					continue
				}
				// Not cancelled with ctx: a visit runs to its end, and
				// RunTended stops the processor only after it.
				n, err := p.VisitAllWithStats(context.WithoutCancel(ctx), name, meta(now))
				switch {
				case errors.Is(err, goka.ErrVisitAborted):
					log.Debug("visit aborted", "visited", n)
				case err != nil:
					log.Warn("visit failed", "visited", n, "err", err)
				default:
					log.Debug("visited", "visited", n)
				}
			}
		}
	}
}

// Together is the tends ts run side by side, nil if there are none: it
// returns when ctx ends or one of them fails.
func Together(ts ...Tend) Tend {
	switch len(ts) {
	case 0:
		return nil
	case 1:
		return ts[0]
	}
	return func(ctx context.Context, p *goka.Processor) error {
		g, gctx := errgroup.WithContext(ctx)
		for _, t := range ts {
			g.Go(func() error { return t(gctx, p) })
		}
		return g.Wait()
	}
}
