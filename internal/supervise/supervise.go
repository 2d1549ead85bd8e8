// Package supervise keeps a command's long-running components running:
// a component that fails for a reason that can pass (the broker away, a
// timeout, a rebalance) is built anew and run again after a capped,
// jittered exponential backoff; one that fails for a reason that cannot
// pass (bad credentials, a missing topic, a corrupt store) stops the
// command with its error. Classify holds the table of which is which.
//
// goka processors and views cannot be Run twice, so a component's Run
// builds a fresh instance each time it is called and closes it before it
// returns; what it keeps between runs (local tables on disk) is reused.
//
//	err := supervise.Run(ctx, supervise.Options{Logger: logger, Board: board},
//		supervise.Component{Name: "processor/registry", Run: runRegistry},
//		supervise.Component{Name: "view/catalog", Run: catalog.Run, Ready: catalog.Recovered},
//	)
package supervise

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Component is one thing a supervisor runs.
type Component struct {
	// Name identifies the component on /readyz, in the restart metric and
	// in the log ("processor/registry", "view/catalog", "events").
	Name string
	// Run builds a fresh instance of the component and runs it until ctx
	// ends (then it returns nil) or it fails. It is called again after
	// each failure that can pass, so it must not reuse an instance that
	// has run.
	Run func(ctx context.Context) error
	// Ready, if set, reports whether the running instance has caught up
	// (a view or processor recovered its tables); /readyz shows it as
	// recovering until then.
	Ready func() bool
}

// Options are how Run supervises.
type Options struct {
	// Logger receives a WARN line per restart and an ERROR line when a
	// component fails for good; nil discards them.
	Logger *slog.Logger
	// Board, if set, tracks the components' states for /readyz.
	Board *Board
	// Restarted, if set, is called before each restart of a component
	// with the reason (for orderstream_component_restarts_total).
	Restarted func(component, reason string)
	// Backoff is the wait between runs; zero fields take DefaultBackoff's.
	Backoff Backoff
}

// Run runs every component until ctx ends, restarting each that fails
// for a reason that can pass. It returns nil once ctx ended and every
// component returned, or, as soon as one component fails for a reason
// that cannot pass, that error (after stopping the others).
func Run(ctx context.Context, opts Options, comps ...Component) error {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Board == nil {
		opts.Board = new(Board)
	}
	opts.Backoff = opts.Backoff.withDefaults()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		fatal error
	)
	for _, c := range comps {
		e := opts.Board.add(c.Name, c.Ready)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := supervise(ctx, opts, c, e); err != nil {
				once.Do(func() { fatal = err })
				cancel(err)
			}
		}()
	}
	wg.Wait()
	return fatal
}

// supervise runs one component until ctx ends or it fails for good.
func supervise(ctx context.Context, opts Options, c Component, e *entry) error {
	logger := opts.Logger.With("component", c.Name)
	failures := 0
	for {
		opts.Board.set(e, func(s *ComponentStatus) { s.State = StateRunning })
		start := time.Now()
		err := run(ctx, c)
		if ctx.Err() != nil {
			opts.Board.set(e, func(s *ComponentStatus) { s.State = StateStopped })
			return nil
		}
		reason, permanent := Classify(err)
		if permanent {
			opts.Board.set(e, func(s *ComponentStatus) {
				s.State, s.Reason, s.Error = StateFailed, reason, errText(err)
			})
			logger.Error("component failed; stopping", "reason", reason, "err", err)
			return fmt.Errorf("%s: %w", c.Name, err)
		}
		if time.Since(start) >= opts.Backoff.Stable {
			failures = 0
		}
		failures++
		wait := opts.Backoff.Delay(failures, jitter)
		opts.Board.set(e, func(s *ComponentStatus) {
			s.State, s.Reason, s.Error = StateRestarting, reason, errText(err)
			s.Restarts++
		})
		if opts.Restarted != nil {
			opts.Restarted(c.Name, reason)
		}
		logger.Warn("component failed; restarting", "reason", reason, "err", err,
			"after", wait.Round(time.Millisecond), "failures_in_a_row", failures)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			opts.Board.set(e, func(s *ComponentStatus) { s.State = StateStopped })
			return nil
		case <-t.C:
		}
	}
}

// run runs c once, turning a panic into an error: a component that
// panics is restarted like one that failed (its state is rebuilt).
func run(ctx context.Context, c Component) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return c.Run(ctx)
}

func errText(err error) string {
	if err == nil {
		return "returned without being asked to stop"
	}
	return err.Error()
}
