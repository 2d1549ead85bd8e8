package simulator

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
)

// recorder is a Sink that keeps what it is sent and fails from the
// failAt-th order on, when failAt > 0.
type recorder struct {
	mu     sync.Mutex
	orders []*order.Order
	calls  atomic.Int64
	failAt int64
}

var errSinkDown = errors.New("sink down")

func (r *recorder) Emit(ctx context.Context, o *order.Order) error {
	if n := r.calls.Add(1); r.failAt > 0 && n >= r.failAt {
		return errSinkDown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.orders = append(r.orders, o)
	return nil
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.orders)
}

func TestConfigValidate(t *testing.T) {
	ok := testConfig()
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"valid", func(*Config) {}, ""},
		{"max", func(c *Config) { c.Rate, c.Restaurants, c.Users = MaxRate, MaxRestaurants, MaxUsers }, ""},
		{"zero rate", func(c *Config) { c.Rate = 0 }, "rate 0"},
		{"negative rate", func(c *Config) { c.Rate = -1 }, "rate -1"},
		{"NaN rate", func(c *Config) { c.Rate = math.NaN() }, "rate NaN"},
		{"infinite rate", func(c *Config) { c.Rate = math.Inf(1) }, "rate +Inf"},
		{"negative count", func(c *Config) { c.Count = -1 }, "count -1"},
		{"no restaurants", func(c *Config) { c.Restaurants = 0 }, "restaurants 0"},
		{"too many restaurants", func(c *Config) { c.Restaurants = MaxRestaurants + 1 }, "restaurants 10000"},
		{"no users", func(c *Config) { c.Users = 0 }, "users 0"},
		{"too many users", func(c *Config) { c.Users = MaxUsers + 1 }, "users 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want prefix %q", err, tt.wantErr)
			}
		})
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	tests := []struct {
		name  string
		rate  float64
		ticks []time.Duration // since start
		want  []int
	}{
		{"first order at once", 1, []time.Duration{0, 500 * time.Millisecond, time.Second}, []int{1, 0, 1}},
		{"batches per tick", 1000, []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 25 * time.Millisecond}, []int{11, 10, 5}},
		{"fractional rate", 0.5, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}, []int{1, 1, 0, 1}},
		{"stall skips beyond MaxLag", 100, []time.Duration{0, 10 * time.Second, 10*time.Second + 10*time.Millisecond}, []int{1, 100, 1}},
		{"clock going back", 100, []time.Duration{time.Second, 0}, []int{100, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPacer(tt.rate, start)
			for i, d := range tt.ticks {
				if got := p.due(start.Add(d)); got != tt.want[i] {
					t.Errorf("tick %d at %v: %d due, want %d", i, d, got, tt.want[i])
				}
			}
		})
	}
}

func TestRunCount(t *testing.T) {
	for _, count := range []int{1, 7, 2000} {
		sink := &recorder{}
		cfg := testConfig()
		cfg.Rate, cfg.Count = 100_000, count
		stats, err := Run(context.Background(), cfg, sink, nil)
		if err != nil {
			t.Fatal(err)
		}
		if stats.Sent != int64(count) || stats.Failed != 0 || sink.len() != count {
			t.Errorf("count %d: stats %+v, sink got %d", count, stats, sink.len())
		}
		ids := map[string]bool{}
		for _, o := range sink.orders {
			if err := o.Validate(); err != nil {
				t.Fatal(err)
			}
			ids[o.OrderID] = true
		}
		if len(ids) != count {
			t.Errorf("count %d: %d distinct order ids", count, len(ids))
		}
	}
}

func TestRunPaces(t *testing.T) {
	sink := &recorder{}
	cfg := testConfig()
	cfg.Rate, cfg.Count = 200, 40 // 1 at once, then 39 over 195ms
	stats, err := Run(context.Background(), cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Sent != 40 || stats.Elapsed < 190*time.Millisecond || stats.Elapsed > 2*time.Second {
		t.Errorf("stats %+v: want 40 orders in about 200ms", stats)
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	var cancelled time.Time
	sink := &slowSink{onEmit: func() {
		if calls.Add(1) == 100 {
			cancelled = time.Now()
			cancel()
		}
	}}
	cfg := testConfig()
	cfg.Rate = 10_000
	stats, err := Run(ctx, cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(cancelled); took > time.Second {
		t.Errorf("Run returned %v after cancellation", took)
	}
	if stats.Sent < 100 || stats.Failed != 0 || stats.Sent != sink.sent.Load() {
		t.Errorf("stats %+v, sink accepted %d", stats, sink.sent.Load())
	}
}

func TestRunSinkFailure(t *testing.T) {
	sink := &recorder{failAt: 10}
	cfg := testConfig()
	cfg.Rate = 100_000
	stats, err := Run(context.Background(), cfg, sink, nil)
	if !errors.Is(err, errSinkDown) {
		t.Fatalf("error %v, want %v", err, errSinkDown)
	}
	if stats.Failed < 1 || stats.Sent != 9 {
		t.Errorf("stats %+v, want 9 sent and some failed", stats)
	}
}

func TestRunInvalidConfig(t *testing.T) {
	if _, err := Run(context.Background(), Config{}, &recorder{}, nil); err == nil {
		t.Error("no error")
	}
}

func TestRunProgress(t *testing.T) {
	var out bytes.Buffer
	cfg := testConfig()
	cfg.Rate, cfg.Count = 1000, 400 // 400ms: at least one redraw
	if _, err := Run(context.Background(), cfg, &recorder{}, &out); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	if !strings.HasPrefix(s, "\rsent ") || !strings.Contains(s, "sent 400 orders") || !strings.HasSuffix(s, "\n") {
		t.Errorf("progress %q", s)
	}
}

// BenchmarkRun measures Run against a sink that accepts at once: the
// simulator's own ceiling.
func BenchmarkRun(b *testing.B) {
	cfg := testConfig()
	cfg.Rate, cfg.Count = MaxRate, b.N
	b.ReportAllocs()
	stats, err := Run(context.Background(), cfg, discard{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(stats.Rate(), "orders/s")
}

type discard struct{}

func (discard) Emit(context.Context, *order.Order) error { return nil }

// slowSink takes delay to accept an order, or gives up when ctx ends. It
// calls onEmit, if set, first.
type slowSink struct {
	delay  time.Duration
	onEmit func()
	sent   atomic.Int64
}

func (s *slowSink) Emit(ctx context.Context, _ *order.Order) error {
	if s.onEmit != nil {
		s.onEmit()
	}
	select {
	case <-time.After(s.delay):
		s.sent.Add(1)
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func TestRunDrainsInFlight(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Stop the run once orders are in flight.
	sink := &slowSink{delay: 200 * time.Millisecond, onEmit: cancel}
	cfg := testConfig()
	cfg.Rate = 1000
	stats, err := Run(ctx, cfg, sink, nil)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Failed != 0 || stats.Sent != sink.sent.Load() || stats.Sent < 1 || stats.Sent > Workers {
		t.Errorf("stats %+v, sink accepted %d: want every order in flight accepted", stats, sink.sent.Load())
	}
}

func TestRunDrainTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("waits DrainTimeout")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &slowSink{delay: time.Hour, onEmit: cancel}
	cfg := testConfig()
	begin := time.Now()
	_, err := Run(ctx, cfg, sink, nil)
	if !errors.Is(err, errDrainTimeout) {
		t.Errorf("error %v, want %v", err, errDrainTimeout)
	}
	if took := time.Since(begin); took > DrainTimeout+time.Second {
		t.Errorf("returned after %v", took)
	}
}
