package runner_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/processors/runner"
)

func TestStoragePath(t *testing.T) {
	if got, want := runner.StoragePath("/data", "registry"), filepath.Join("/data", "processors", "registry"); got != want {
		t.Errorf("StoragePath() = %q, want %q", got, want)
	}
}

func TestBuildInvalidGraph(t *testing.T) {
	cfg := runner.Config{Logger: slog.New(slog.DiscardHandler)}
	_, _, err := runner.Build(cfg, runner.Goka(goka.DefineGroup("bad"))) // no input
	if err == nil || !strings.HasPrefix(err.Error(), "create processor bad: ") || errors.Unwrap(err) == nil {
		t.Fatalf("Build() error = %v, want a wrapped %q error", err, "create processor bad: ")
	}
	err = runner.Run(context.Background(), cfg, runner.Goka(goka.DefineGroup("bad")))
	if err == nil || !strings.HasPrefix(err.Error(), "create processor bad: ") {
		t.Fatalf("Run() error = %v, want %q", err, "create processor bad: ")
	}
}

// counter is a one-table group: key → number of messages.
func counter(fail bool) *goka.GroupGraph {
	return goka.DefineGroup("counter",
		goka.Input("in", new(codec.String), func(ctx goka.Context, _ any) {
			if fail {
				ctx.Fail(errors.New("boom"))
			}
			n, _ := ctx.Value().(int64)
			ctx.SetValue(n + 1)
		}),
		goka.Persist(new(codec.Int64)),
	)
}

// runWith runs gg with cfg in tt, waits until Started has been called, and
// returns the channel that receives Run's result.
func runWith(t *testing.T, ctx context.Context, cfg runner.Config, tt *tester.Tester, gg *goka.GroupGraph) <-chan error {
	t.Helper()
	var started *goka.Processor
	ready := make(chan struct{})
	cfg.Started = func(p *goka.Processor) { started = p; close(ready) }
	done := make(chan error, 1)
	go func() { done <- runner.Run(ctx, cfg, runner.Goka(gg), goka.WithTester(tt)) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Run() returned before start: %v", err)
	}
	if started == nil {
		t.Fatal("Started called with nil")
	}
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
		return nil
	}
}

// TestRunDataDir: with a data dir the group's table lives in LevelDB under
// StoragePath, and Run returns nil once ctx ends.
func TestRunDataDir(t *testing.T) {
	dir := t.TempDir()
	tt := tester.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := runWith(t, ctx, runner.Config{Logger: slog.New(slog.DiscardHandler), DataDir: dir}, tt, counter(false))
	tt.Consume("in", "k", "v")
	cancel()
	if err := wait(t, done); err != nil {
		t.Errorf("Run() = %v, want nil after cancel", err)
	}
	if entries, err := os.ReadDir(runner.StoragePath(dir, "counter")); err != nil || len(entries) == 0 {
		t.Errorf("no table under %s: %v", runner.StoragePath(dir, "counter"), err)
	}
}

func TestRunCallbackFails(t *testing.T) {
	tt := tester.New(t)
	done := runWith(t, context.Background(), runner.Config{Logger: slog.New(slog.DiscardHandler)}, tt, counter(true))
	// The tester waits for the message; the failing callback stops the processor.
	go tt.Consume("in", "k", "v")
	err := wait(t, done)
	if err == nil || !strings.HasPrefix(err.Error(), "processor counter: ") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Run() = %v, want %q wrapping boom", err, "processor counter: ")
	}
}
