package processors_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/runner"
)

// TestRun runs ingest through processors.Run, with the tester standing in
// for Kafka, and checks that Run returns once the context ends.
func TestRun(t *testing.T) {
	tt := tester.New(t)
	p := processors.All(processors.Hooks{})[0]
	// Ingest's graph, run by goka in the tester instead of its transaction loop.
	p.Run = nil
	p.Options = append(p.Options, goka.WithTester(tt))
	// Started is called once the processor exists, so registered with tt.
	started := make(chan struct{})
	cfg := runner.Config{Logger: slog.New(slog.DiscardHandler), Started: func(*goka.Processor) { close(started) }}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- processors.Run(ctx, cfg, []processors.Processor{p}) }()
	<-started

	out := tt.NewQueueTracker(string(ingest.Output))
	tt.Consume(string(order.Stream), "r", []byte(`{"order_id":"o","restaurant_id":"r","user_id":"u",`+
		`"items":[{"sku":"s","qty":1,"price_cents":5}],"total_cents":5,"placed_at":"2025-03-14T12:00:00Z"}`))
	if key, _, ok := out.Next(); !ok || key != "o" {
		t.Errorf("status-requests: key %q ok %v, want o", key, ok)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// TestRunFails: one processor that cannot start, for a reason that cannot
// pass, stops them all.
func TestRunFails(t *testing.T) {
	tt := tester.New(t)
	good := processors.All(processors.Hooks{})[0]
	good.Run = nil
	good.Options = append(good.Options, goka.WithTester(tt))
	bad := processors.Processor{Graph: runner.Goka(goka.DefineGroup("bad"))} // no input: invalid
	cfg := runner.Config{Logger: slog.New(slog.DiscardHandler)}

	done := make(chan error, 1)
	go func() { done <- processors.Run(context.Background(), cfg, []processors.Processor{good, bad}) }()
	select {
	case err := <-done:
		if err == nil || !strings.HasPrefix(err.Error(), "processor/bad: create processor bad: ") {
			t.Errorf("Run() = %v, want the error of processor bad", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after a processor failed")
	}
}
