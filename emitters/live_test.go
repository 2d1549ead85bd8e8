package emitters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/orderstream/orderstream/emitters"
)

// TestLive emits through a Live emitter only while its Run runs, and
// finds what it emitted on the topic once Run returned.
func TestLive(t *testing.T) {
	cfg := startKafka(t)
	l := emitters.NewLive(cfg, testLogger)
	o := testOrder("o-1", "r-1")
	if err := l.Emit(context.Background(), o); !errors.Is(err, emitters.ErrNoProducer) {
		t.Fatalf("Emit before Run = %v, want ErrNoProducer", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	for !l.Ready() {
		select {
		case err := <-done:
			t.Fatalf("Run = %v before it was ready", err)
		default:
			time.Sleep(time.Millisecond)
		}
	}
	if err := l.Emit(context.Background(), o); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if err := l.Emit(context.Background(), o); !errors.Is(err, emitters.ErrNoProducer) {
		t.Errorf("Emit after Run = %v, want ErrNoProducer", err)
	}
	if keys, _ := readAll(t, cfg); len(keys) != 1 || keys[0] != "r-1" {
		t.Errorf("topic holds keys %v, want [r-1]", keys)
	}
}
