package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/views"
)

func init() {
	register("serve", "serve the views over HTTP: JSON API, order intake, goka monitor and query UI, /metrics", setupServe)
}

// serveConfig is what serveAll runs.
type serveConfig struct {
	kafka kafkaconf.Config
	// http is the listen address; port 0 picks a free port.
	http string
	// dataDir holds the views' LevelDBs under dataDir/views; empty keeps
	// them in memory.
	dataDir string
	// metrics, if set, is used instead of a fresh registry, so that a
	// caller running more in the process (the demo) exports it all on one
	// /metrics.
	metrics *metrics.Metrics
	// supervise, if its Board is set, is the caller's supervision (the
	// demo's, which also supervises its processors); otherwise serveAll
	// makes its own.
	supervise supervise.Options
}

// sidecar is something that runs in the same process as the views and the
// HTTP server, in their errgroup, with the handler to attach to: the demo
// runs its processors with runner.Config{Started: h.AttachProcessor}, which
// puts them on the monitor and on /metrics. It must return when ctx ends.
type sidecar func(ctx context.Context, h *views.Handler) error

func setupServe(fs *flag.FlagSet) func(context.Context, *env) error {
	kf := addKafkaFlags(fs)
	httpAddr := fs.String("http", "127.0.0.1:8080", "address of the HTTP API, UI and /metrics")
	dataDir := fs.String("data-dir", "./data", "directory of the views' local LevelDB copies of the tables (empty = in memory)")
	return func(ctx context.Context, e *env) error {
		kc, err := kf.config("orderstream-serve")
		if err != nil {
			return err
		}
		return serveAll(ctx, e, serveConfig{kafka: kc, http: *httpAddr, dataDir: *dataDir})
	}
}

// serveAll serves the views, the order intake, goka's UI and the metrics
// until ctx ends or a component fails, running extra beside them.
//
// Shutdown runs in dependency order: the HTTP server stops taking requests
// and drains the ones in flight, and only then do the views close and the
// intake's emitter flush; their errors are joined.
func serveAll(ctx context.Context, e *env, cfg serveConfig, extra ...sidecar) (err error) {
	logger := e.logger.With("command", "serve")

	// Topics: the views need their table topics, the intake the orders
	// topic; creating them is idempotent.
	if _, err := topics.Ensure(ctx, cfg.kafka, processors.Topics()); err != nil {
		return fmt.Errorf("ensure topics: %w", err)
	}

	// Metrics: shared with the caller's, if any.
	m := cfg.metrics
	if m == nil {
		m = metrics.New()
	}

	// Supervision: every long-running component is restarted when it
	// fails for a reason that can pass; their states are on /readyz.
	sup := cfg.supervise
	if sup.Board == nil {
		sup = supervision(m, logger)
	}

	// Views: the restaurant, user, global, lifecycle and inbox tables and
	// the catalog, in LevelDB under dataDir/views.
	set, err := views.New(cfg.kafka, cfg.dataDir, logger)
	if err != nil {
		return err
	}

	// Intake: POST /api/orders onto the orders topic, through a producer
	// that runs supervised and flushes once the server has stopped.
	em := emitters.NewLive(cfg.kafka, logger)
	sink := countedSink{sink: em, emitted: m.OrdersEmitted.WithLabelValues(metrics.SourceIntake)}

	// Cancellations: POST /api/orders/{id}/cancel onto the lifecycle's
	// requests; flushed once the server has stopped.
	requests, err := emitters.NewRequests(cfg.kafka, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, requests.Close()) }()

	// Event stream: GET /api/events, fed by a plain consumer; it ends the
	// streams when the context ends, so the server can drain.
	hub := views.NewHub(cfg.kafka, logger)

	// HTTP: API, event stream, probes, goka UI, metrics.
	h, err := views.NewHandler(views.HandlerConfig{
		Views:    set,
		Board:    sup.Board,
		Intake:   intake.NewHandler(sink, logger, intake.WithPlaced(set.Orders().Placed)),
		Metrics:  m,
		Logger:   logger,
		Events:   hub,
		Requests: requests,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.http)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.http, err)
	}
	srv := views.NewServer(cfg.http, h)
	printURLs(e.stdout, ln.Addr())

	events := supervise.Component{Name: "events", Run: hub.Run}
	producer := supervise.Component{Name: "intake", Run: em.Run, Ready: em.Ready}
	sup.Board.Register(append(set.Components(), events, producer)...)
	g, gctx := errgroup.WithContext(ctx)
	// The views outlive the server, so no request reaches a closing view.
	viewCtx, stopViews := context.WithCancel(context.WithoutCancel(ctx))
	defer stopViews()
	// The intake's producer too, so that it flushes what the last
	// requests emitted.
	g.Go(func() error { return supervise.Run(viewCtx, sup, append(set.Components(), producer)...) })
	g.Go(func() error {
		return supervise.Run(gctx, sup, events)
	})
	g.Go(func() error {
		defer stopViews()
		return views.ServeListener(gctx, srv, ln)
	})
	for _, run := range extra {
		g.Go(func() error { return run(gctx, h) })
	}
	return g.Wait()
}

// printURLs tells the user where to look once the server listens.
func printURLs(w io.Writer, addr net.Addr) {
	base := "http://" + urlHost(addr)
	fmt.Fprintf(w, "serving on %s\n", base)
	for _, u := range []struct{ name, path string }{
		{"dashboard", "/"},
		{"API", "/api/stats"},
		{"monitor", views.MonitorPath + "/"},
		{"query", views.QueryPath + "/"},
		{"metrics", "/metrics"},
	} {
		fmt.Fprintf(w, "  %-9s %s%s\n", u.name, base, u.path)
	}
}

// urlHost is addr as a URL host; a wildcard address is shown as localhost.
func urlHost(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

// countedSink counts the orders its sink accepted.
type countedSink struct {
	sink    emitters.Sink
	emitted prometheus.Counter
}

func (s countedSink) Emit(ctx context.Context, o *order.Order) error {
	if err := s.sink.Emit(ctx, o); err != nil {
		return err
	}
	s.emitted.Inc()
	return nil
}
