// Package integrationtest runs the whole system through the real Kafka
// protocol: the embedded broker on a loopback port, goka emitters,
// processors and views, and the HTTP API behind a real server. Nothing is
// mocked; every assertion is on exact values recomputed from the orders the
// test itself placed.
package integrationtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

// Bounds of every wait: generous, since the race detector on two cores
// slows everything several times. They bound hangs; nothing asserts speed.
const (
	waitTimeout  = 60 * time.Second
	pollInterval = 100 * time.Millisecond
	stopTimeout  = 60 * time.Second
	// stallTimeout ends a wait early once what it observes has not
	// changed for this long: a wrong total that stays wrong is a result,
	// not slowness.
	stallTimeout = 30 * time.Second
)

// skipShort skips the calling test under -short: every test here starts a
// broker and the whole pipeline.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts a broker, processors, views and HTTP")
	}
}

// logBuffer collects the system's log lines; a failing test prints the tail.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	lines := strings.Split(strings.TrimRight(b.buf.String(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// newLogger returns a logger for the system under test whose output is
// shown, in its last 150 lines, only if the test fails.
func newLogger(t *testing.T) *slog.Logger {
	t.Helper()
	buf := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("last log lines of the system:\n%s", buf.tail(150))
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// testBroker is an embedded broker that can be stopped and started again
// on the same data directory and address.
type testBroker struct {
	t   *testing.T
	cfg broker.Config
	b   *broker.Broker
}

// startBroker starts a broker configured by cfg (Listen "127.0.0.1:0" for
// any port) logging to logger; it is closed when the test ends, after the
// systems started later (cleanups run last in, first out).
func startBroker(t *testing.T, cfg broker.Config, logger *slog.Logger) *testBroker {
	t.Helper()
	cfg.Logger = logger.With("component", "broker")
	tb := &testBroker{t: t, cfg: cfg}
	tb.start()
	t.Cleanup(func() {
		if tb.b != nil {
			if err := tb.b.Close(); err != nil {
				t.Errorf("close broker: %v", err)
			}
		}
	})
	return tb
}

func (tb *testBroker) start() {
	tb.t.Helper()
	b, err := broker.Start(tb.cfg)
	if err != nil {
		tb.t.Fatalf("start broker: %v", err)
	}
	tb.b = b
	// A restart must come back where clients expect it.
	tb.cfg.Listen = b.Addr()
}

// stop closes the broker, saving its state; start brings it back on the
// same address and data directory.
func (tb *testBroker) stop() {
	tb.t.Helper()
	err := tb.b.Close()
	tb.b = nil
	if err != nil {
		tb.t.Fatalf("close broker: %v", err)
	}
}

// restart stops the broker and starts it again at once.
func (tb *testBroker) restart() {
	tb.t.Helper()
	tb.stop()
	tb.start()
}

func (tb *testBroker) addr() string { return tb.cfg.Listen }

// kafkaConfig is the configuration of every orderstream client in the tests.
func kafkaConfig(addr string) kafkaconf.Config {
	return kafkaconf.Config{Brokers: []string{addr}, Partitions: 3, Replication: 1, ClientID: "integrationtest"}
}

// ensureTopics provisions every topic of the system, as `orderstream topics`
// does.
func ensureTopics(t *testing.T, kc kafkaconf.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := topics.Ensure(ctx, kc, processors.Topics()); err != nil {
		t.Fatalf("ensure topics: %v", err)
	}
}

// system is what `orderstream demo` runs besides the broker: every
// processor, the views, and the HTTP server with the order intake, wired as
// serveAll wires them. It can be stopped and started again on the same data
// directory. Its metrics live as long as the system value, across restarts,
// so counters add up over the whole test.
type system struct {
	t       *testing.T
	kafka   kafkaconf.Config
	dataDir string
	logger  *slog.Logger
	metrics *metrics.Metrics

	// Set by start, cleared by stop.
	base    string // http://127.0.0.1:port
	started time.Time
	cancel  context.CancelFunc
	done    chan struct{} // closed when everything has returned
	err     error         // what they returned, joined; read after done

	mu    sync.Mutex
	procs []*goka.Processor
}

// newSystem returns a stopped system; it is stopped (if running) when the
// test ends.
func newSystem(t *testing.T, kc kafkaconf.Config, dataDir string, logger *slog.Logger) *system {
	s := &system{t: t, kafka: kc, dataDir: dataDir, logger: logger, metrics: metrics.New()}
	t.Cleanup(func() {
		if s.cancel != nil {
			s.stop()
		}
	})
	return s
}

// hooks counts the processors' decisions in the metrics, as the process
// and demo commands do.
func (s *system) hooks() processors.Hooks {
	m := s.metrics
	return processors.Hooks{
		Ingest: ingest.Hooks{Invalid: func(reason order.Reason, err error) {
			m.InvalidOrders.WithLabelValues(string(reason)).Inc()
			s.logger.Warn("invalid order dead-lettered", "reason", reason, "err", err)
		}},
		Lifecycle: lifecycle.Hooks{Duplicate: func(orderID string) {
			m.DuplicateOrders.Inc()
			s.logger.Info("duplicate order dropped", "order_id", orderID)
		}},
	}
}

// start runs processors, views and the HTTP server in the background.
func (s *system) start() {
	t := s.t
	t.Helper()
	if s.cancel != nil {
		t.Fatal("system already running")
	}
	s.mu.Lock()
	s.procs = nil
	s.mu.Unlock()
	logger := s.logger.With("command", "serve")

	set, err := views.New(s.kafka, s.dataDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	em, err := emitters.New(s.kafka, logger)
	if err != nil {
		t.Fatal(err)
	}
	sink := countedSink{sink: em, emitted: s.metrics.OrdersEmitted.WithLabelValues(metrics.SourceIntake)}
	h, err := views.NewHandler(views.HandlerConfig{
		Views:   set,
		Intake:  intake.NewHandler(sink, logger),
		Metrics: s.metrics,
		Logger:  logger,
	})
	if err != nil {
		t.Fatal(errors.Join(err, em.Close()))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(errors.Join(err, em.Close()))
	}
	srv := views.NewServer(ln.Addr().String(), h)
	rc := runner.Config{Kafka: s.kafka, DataDir: s.dataDir, Logger: s.logger, Started: func(p *goka.Processor) {
		s.mu.Lock()
		s.procs = append(s.procs, p)
		s.mu.Unlock()
		h.AttachProcessor(p)
	}}

	ctx, cancel := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(ctx)
	// The views outlive the server, so no request reaches a closing view;
	// the processors stop with the server.
	viewCtx, stopViews := context.WithCancel(context.Background())
	g.Go(func() error { return set.Run(viewCtx) })
	g.Go(func() error {
		defer stopViews()
		return views.ServeListener(gctx, srv, ln)
	})
	g.Go(func() error { return processors.Run(gctx, rc, processors.All(s.hooks())) })

	done := make(chan struct{})
	go func() {
		defer close(done)
		err := g.Wait()
		stopViews()
		s.err = errors.Join(err, em.Close())
	}()
	s.base, s.started, s.cancel, s.done, s.err = "http://"+ln.Addr().String(), time.Now(), cancel, done, nil
}

// stop cancels everything and waits for it to return, failing the test on
// any error or if it takes longer than stopTimeout.
func (s *system) stop() {
	s.t.Helper()
	if err := s.halt(); err != nil {
		s.t.Errorf("system returned: %v", err)
	}
}

// halt is stop for a system that may have failed: it returns the error
// rather than failing the test, and fails it only on a hang.
func (s *system) halt() error {
	t := s.t
	t.Helper()
	cancel := s.cancel
	s.cancel = nil
	cancel()
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		t.Fatalf("system did not stop within %v", stopTimeout)
	}
	return s.err
}

// failed returns what the system returned if it stopped on its own.
func (s *system) failed() error {
	if s.done == nil {
		return nil
	}
	select {
	case <-s.done:
		return fmt.Errorf("system stopped on its own: %v", s.err)
	default:
		return nil
	}
}

// waitReady waits until /readyz answers 200 (every view has caught up with
// its table) and every processor started so far has recovered its table,
// and returns how long that took since start. It is for logging how fast
// a restart is ready; the tests' assertions wait for exact totals anyway.
func (s *system) waitReady() time.Duration {
	s.t.Helper()
	waitFor(s.t, s, "the system to be ready", func() (string, bool) {
		code, body := get(s.t, s.base+"/readyz")
		if code != http.StatusOK {
			return fmt.Sprintf("/readyz %d %s", code, body), false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		var recovering []string
		for _, p := range s.procs {
			if !p.Recovered() {
				recovering = append(recovering, string(p.Graph().Group()))
			}
		}
		if len(s.procs) == 0 || len(recovering) > 0 {
			return fmt.Sprintf("%d processors started, recovering: %v", len(s.procs), recovering), false
		}
		return "", true
	})
	return time.Since(s.started)
}

// countedSink counts the orders its sink accepted, as serveAll's does.
type countedSink struct {
	sink    emitters.Sink
	emitted prometheus.Counter
}

func (c countedSink) Emit(ctx context.Context, o *order.Order) error {
	if err := c.sink.Emit(ctx, o); err != nil {
		return err
	}
	c.emitted.Inc()
	return nil
}

// recordingSink hands orders to an emitter and records those Kafka
// acknowledged into a ledger, so the test knows every order placed.
type recordingSink struct {
	sink   emitters.Sink
	ledger *ledger
}

func (r recordingSink) Emit(ctx context.Context, o *order.Order) error {
	if err := r.sink.Emit(ctx, o); err != nil {
		return err
	}
	r.ledger.add(*o)
	return nil
}

// simulate runs the simulator with cfg through a fresh emitter on kc and
// records every acknowledged order in l. Every order must be acknowledged.
func simulate(ctx context.Context, kc kafkaconf.Config, cfg simulator.Config, l *ledger, logger *slog.Logger) (simulator.Stats, error) {
	em, err := emitters.New(kc, logger.With("component", "simulator"))
	if err != nil {
		return simulator.Stats{}, err
	}
	stats, err := simulator.Run(ctx, cfg, recordingSink{sink: em, ledger: l}, nil)
	err = errors.Join(err, em.Close())
	if err == nil && (stats.Sent != int64(cfg.Count) || stats.Failed != 0) {
		err = fmt.Errorf("simulator sent %d and failed %d orders, want %d and 0", stats.Sent, stats.Failed, cfg.Count)
	}
	return stats, err
}

// failer is a running system, in this process or another, that may have
// stopped on its own.
type failer interface {
	failed() error
}

// waitFor polls f until it reports done, at most waitTimeout, and fails
// the test with f's last observation. A system s (if not nil) that stops
// on its own ends the wait at once, and so does an observation that has
// not changed for stallTimeout.
func waitFor(t *testing.T, s failer, what string, f func() (last string, done bool)) {
	t.Helper()
	start := time.Now()
	deadline := start.Add(waitTimeout)
	var previous string
	changed := start
	for {
		last, ok := f()
		if ok {
			return
		}
		if s != nil {
			if err := s.failed(); err != nil {
				t.Fatalf("waiting for %s: %v; last observed: %s", what, err, last)
			}
		}
		now := time.Now()
		if last != previous {
			previous, changed = last, now
		}
		if now.Sub(changed) > stallTimeout {
			t.Fatalf("waiting for %s: no change for %v (%v in all); last observed: %s", what, stallTimeout, now.Sub(start).Round(time.Second), last)
		}
		if now.After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last observed: %s", waitTimeout, what, last)
		}
		time.Sleep(pollInterval)
	}
}
