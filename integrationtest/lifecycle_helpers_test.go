package integrationtest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

// lifecycleSystem is what `orderstream demo` runs for the order lifecycle:
// every processor, the views with the HTTP API, the order intake, the
// cancellations and the event stream, and (unless off) the simulated
// kitchen, wired as serveAll and runDemo wire them.
type lifecycleSystem struct {
	t        *testing.T
	base     string
	metrics  *metrics.Metrics
	requests *emitters.Requests
	cancel   context.CancelFunc
	done     chan error
}

type lifecycleOptions struct {
	capacity  int
	retention time.Duration
	kitchen   *kitchen.Config // nil: no kitchen; the test plays it
	// acceptTimeout releases accepted orders (zero: never).
	acceptTimeout time.Duration
}

// startLifecycle starts the system on kc with its state under dataDir and
// stops it when the test ends.
func startLifecycle(t *testing.T, kc kafkaconf.Config, dataDir string, opts lifecycleOptions, logger *slog.Logger) *lifecycleSystem {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := topics.Ensure(ctx, kc, processors.Topics(kitchen.Define(kitchen.DefaultConfig, time.Now).GroupGraph)); err != nil {
		t.Fatalf("ensure topics: %v", err)
	}

	set, err := views.New(kc, dataDir, logger)
	if err != nil {
		t.Fatal(err)
	}
	em, err := emitters.New(kc, logger)
	if err != nil {
		t.Fatal(err)
	}
	requests, err := emitters.NewRequests(kc, logger)
	if err != nil {
		t.Fatal(errors.Join(err, em.Close()))
	}
	hub := views.NewHub(kc, logger)
	m := metrics.New()
	h, err := views.NewHandler(views.HandlerConfig{
		Views: set, Intake: intake.NewHandler(em, logger, intake.WithPlaced(set.Orders().Placed)),
		Logger: logger, Events: hub, Requests: requests, Metrics: m,
	})
	if err != nil {
		t.Fatal(errors.Join(err, em.Close(), requests.Close()))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(errors.Join(err, em.Close(), requests.Close()))
	}
	srv := views.NewServer(ln.Addr().String(), h)
	rc := runner.Config{Kafka: kc, DataDir: dataDir, Logger: logger}
	procs := processors.AllWith(processors.Config{
		Restaurant:     restaurant.Config{Capacity: opts.capacity},
		AuditRetention: opts.retention,
		AcceptTimeout:  opts.acceptTimeout,
		Logger:         logger,
		Hooks: processors.Hooks{
			Ingest: ingest.Hooks{Invalid: func(reason order.Reason, err error) {
				m.InvalidOrders.WithLabelValues(string(reason)).Inc()
			}},
			Lifecycle: lifecycle.Hooks{
				Duplicate: func(string) { m.DuplicateOrders.Inc() },
				Conflict:  func(string, string) { m.ConflictingOrders.Inc() },
			},
		},
	})

	runCtx, stop := context.WithCancel(context.Background())
	g, gctx := errgroup.WithContext(runCtx)
	viewCtx, stopViews := context.WithCancel(context.Background())
	g.Go(func() error { return set.Run(viewCtx) })
	g.Go(func() error { return hub.Run(gctx) })
	g.Go(func() error {
		defer stopViews()
		return views.ServeListener(gctx, srv, ln)
	})
	g.Go(func() error { return processors.Run(gctx, rc, procs) })
	if opts.kitchen != nil {
		g.Go(func() error { return kitchen.Run(gctx, rc, *opts.kitchen, logger) })
	}
	s := &lifecycleSystem{t: t, base: "http://" + ln.Addr().String(), metrics: m, requests: requests, cancel: stop, done: make(chan error, 1)}
	go func() {
		err := g.Wait()
		stopViews()
		s.done <- errors.Join(err, em.Close(), requests.Close())
	}()
	t.Cleanup(s.stop)

	waitFor(t, nil, "the views to recover", func() (string, bool) {
		code, body := get(t, s.base+"/readyz")
		return body, code == http.StatusOK
	})
	return s
}

func (s *lifecycleSystem) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("system returned: %v", err)
		}
	case <-time.After(stopTimeout):
		s.t.Errorf("system did not stop within %v", stopTimeout)
	}
}

// placeOrder places an order of one 1000-cent dish over HTTP.
func (s *lifecycleSystem) placeOrder(t *testing.T, id, restaurantID, userID string) {
	t.Helper()
	body := fmt.Sprintf(`{"order_id":%q,"restaurant_id":%q,"user_id":%q,"items":[{"sku":"dish","qty":1,"price_cents":1000}]}`, id, restaurantID, userID)
	code, _, resp, err := post(s.base+"/api/orders", body, nil)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("place %s: %d %s %v", id, code, resp, err)
	}
}

// order reads GET /api/orders/{id}; ok is false on anything but a 200.
func (s *lifecycleSystem) order(t *testing.T, id string) (views.OrderResponse, bool) {
	t.Helper()
	var o views.OrderResponse
	err := getJSON(t, s.base+"/api/orders/"+id, &o)
	return o, err == nil
}

// waitStatus waits until the order id has status want.
func (s *lifecycleSystem) waitStatus(t *testing.T, id string, want string) views.OrderResponse {
	t.Helper()
	return s.waitStatusIn(t, id, order.Status(want))
}

// waitStatusIn waits until the order id has one of the statuses want.
func (s *lifecycleSystem) waitStatusIn(t *testing.T, id string, want ...order.Status) views.OrderResponse {
	t.Helper()
	var o views.OrderResponse
	waitFor(t, nil, fmt.Sprintf("order %s to be %v", id, want), func() (string, bool) {
		var ok bool
		o, ok = s.order(t, id)
		return fmt.Sprintf("%+v", o), ok && slices.Contains(want, o.Status)
	})
	return o
}

// publishTestCatalog publishes restaurants as `orderstream catalog load`
// does.
func publishTestCatalog(t *testing.T, kc kafkaconf.Config, restaurants ...catalog.Restaurant) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := emitters.PublishCatalog(ctx, kc, &catalog.Catalog{Restaurants: restaurants}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
}

// sseEvent is one event read from GET /api/events.
type sseEvent struct {
	Type string
	Data map[string]any
}

// sseClient reads GET /api/events in the background.
type sseClient struct {
	mu     sync.Mutex
	events []sseEvent
	err    error
	cancel context.CancelFunc
	done   chan struct{}
}

// openEvents connects to GET /api/events?query and waits for the stream
// to start; it is closed when the test ends.
func openEvents(t *testing.T, base, query string) *sseClient {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req) // no client timeout: a stream
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		t.Fatalf("GET /api/events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	c := &sseClient{cancel: cancel, done: make(chan struct{})}
	started := make(chan struct{})
	go func() {
		defer close(c.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == ": connected":
				close(started)
			case strings.HasPrefix(line, "event: "):
				typ = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				var data map[string]any
				err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &data)
				c.mu.Lock()
				if err != nil && c.err == nil {
					c.err = fmt.Errorf("event data %q: %v", line, err)
				}
				c.events = append(c.events, sseEvent{Type: typ, Data: data})
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
	})
	select {
	case <-started:
	case <-time.After(waitTimeout):
		t.Fatal("event stream did not start")
	}
	return c
}

// of returns the events received so far about the order id, as
// "type:status".
func (c *sseClient) of(id string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, e := range c.events {
		if e.Data["order_id"] == id {
			out = append(out, fmt.Sprintf("%s:%v", e.Type, e.Data["status"]))
		}
	}
	return out
}

// all returns every event received so far.
func (c *sseClient) all() ([]sseEvent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sseEvent(nil), c.events...), c.err
}
