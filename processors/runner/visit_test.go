package runner_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/processors/runner"
)

// TestRunTendedVisits: the Tend from Visits visits the table on schedule
// with meta(now), and RunTended stops both when ctx ends.
func TestRunTendedVisits(t *testing.T) {
	visited := make(chan string, 1)
	gg := goka.DefineGroup("stamped",
		goka.Input("in", new(codec.String), func(ctx goka.Context, _ any) { ctx.SetValue("new") }),
		goka.Visitor("stamp", func(ctx goka.Context, meta any) {
			select {
			case visited <- ctx.Key() + " " + meta.(string):
			default:
			}
		}),
		goka.Persist(new(codec.String)),
	)
	tt := tester.New(t)
	logger := slog.New(slog.DiscardHandler)
	tend := runner.Visits("stamp", 5*time.Millisecond, func(time.Time) any { return "visited" }, logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	started := make(chan struct{})
	cfg := runner.Config{Logger: logger, Started: func(*goka.Processor) { close(started) }}
	go func() { done <- runner.RunTended(ctx, cfg, runner.Goka(gg), tend, goka.WithTester(tt)) }()
	<-started
	tt.Consume("in", "k", "v")
	select {
	case got := <-visited:
		if got != "k visited" {
			t.Errorf("visit of %q, want %q", got, "k visited")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("never visited")
	}
	cancel()
	if err := wait(t, done); err != nil {
		t.Errorf("RunTended() = %v, want nil after cancel", err)
	}
}

// TestRunTendedFails: a Tend that fails stops the processor.
func TestRunTendedFails(t *testing.T) {
	tt := tester.New(t)
	boom := errors.New("boom")
	err := runner.RunTended(context.Background(), runner.Config{Logger: slog.New(slog.DiscardHandler)}, runner.Goka(counter(false)),
		func(context.Context, *goka.Processor) error { return boom }, goka.WithTester(tt))
	if !errors.Is(err, boom) {
		t.Errorf("RunTended() = %v, want boom", err)
	}
}
