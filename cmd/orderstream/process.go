package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/purge"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/views"
)

func init() {
	register("process", "run the processors (goka groups) with local LevelDB state", setupProcess)
}

type processConfig struct {
	kafka   *kafkaFlags
	dataDir string
	only    string
	http    string
	relay   *relayFlags
	settings
}

// settings are the processors' own settings, flags of process and demo.
type settings struct {
	capacity      int
	retention     time.Duration
	acceptTimeout time.Duration
	purgeInterval time.Duration
	txnInterval   time.Duration
}

// Defaults of the settings in process; demo retires orders sooner.
const (
	defaultAuditRetention     = time.Hour
	defaultDemoAuditRetention = 10 * time.Minute
)

func (s *settings) addFlags(fs *flag.FlagSet, retention time.Duration) {
	fs.IntVar(&s.capacity, "capacity", restaurant.DefaultCapacity, "open orders a restaurant takes before it rejects more")
	fs.DurationVar(&s.retention, "audit-retention", retention, "how long a finished order stays in the audit table (0 = for ever)")
	fs.DurationVar(&s.acceptTimeout, "accept-timeout", lifecycle.DefaultAcceptTimeout,
		"how long an order may stay accepted before it is cancelled with the reason \"not ready within ...\" (0 = for ever)")
	fs.DurationVar(&s.purgeInterval, "purge-interval", purge.Interval,
		"how often the records of the internal streams between processors that every group reading them has committed past are deleted (0 = never: they stay for their 7-day retention)")
	fs.DurationVar(&s.txnInterval, "transaction-interval", ingest.TransactionInterval,
		"least time between two of ingest's transactions: the orders that arrive meanwhile are validated and handed on together; longer costs less CPU per order and holds each order back longer (Kafka Streams' commit.interval.ms)")
}

// config validates s and returns the processors' configuration.
func (s *settings) config(m *metrics.Metrics, logger *slog.Logger) (processors.Config, error) {
	if s.capacity < 1 {
		return processors.Config{}, fmt.Errorf("--capacity %d: want at least 1", s.capacity)
	}
	if s.retention < 0 {
		return processors.Config{}, fmt.Errorf("--audit-retention %v: want 0 or more", s.retention)
	}
	if s.acceptTimeout < 0 {
		return processors.Config{}, fmt.Errorf("--accept-timeout %v: want 0 or more", s.acceptTimeout)
	}
	if s.purgeInterval < 0 {
		return processors.Config{}, fmt.Errorf("--purge-interval %v: want 0 or more", s.purgeInterval)
	}
	if s.txnInterval <= 0 {
		return processors.Config{}, fmt.Errorf("--transaction-interval %v: want more than 0", s.txnInterval)
	}
	return processors.Config{
		Hooks:               processorHooks(m, logger),
		Restaurant:          restaurant.Config{Capacity: s.capacity},
		AuditRetention:      s.retention,
		AcceptTimeout:       s.acceptTimeout,
		TransactionInterval: s.txnInterval,
		Logger:              logger,
	}, nil
}

func setupProcess(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &processConfig{kafka: addKafkaFlags(fs)}
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory of the processors' local LevelDB state")
	fs.StringVar(&c.only, "only", "", "comma separated processors to run (default all: "+strings.Join(processors.Names(), ",")+")")
	fs.StringVar(&c.http, "http", "127.0.0.1:9100", "address of /metrics, /healthz and /readyz (empty = off)")
	c.addFlags(fs, defaultAuditRetention)
	c.relay = addRelayFlags(fs)
	return func(ctx context.Context, e *env) error { return runProcess(ctx, e, c) }
}

func runProcess(ctx context.Context, e *env, c *processConfig) error {
	kc, err := c.kafka.config("orderstream-process")
	if err != nil {
		return err
	}
	if c.dataDir == "" {
		return errors.New("--data-dir is required")
	}
	m := metrics.New()
	pc, err := c.settings.config(m, e.logger)
	if err != nil {
		return err
	}
	procs, err := processors.Select(processors.AllWith(pc), splitList(c.only))
	if err != nil {
		return err
	}
	if _, err := topics.Ensure(ctx, kc, processors.Topics()); err != nil {
		return fmt.Errorf("ensure topics: %w", err)
	}
	// Supervision: a processor that fails for a reason that can pass is
	// rebuilt and run again; /readyz shows each one's state.
	sup := supervision(m, e.logger)
	rc := observed(runner.Config{Kafka: kc, DataDir: c.dataDir, Logger: e.logger, Started: m.AttachProcessor, Supervise: sup}, m, procs)
	sup.Board.Register(processors.Components(rc, procs)...)

	g, ctx := errgroup.WithContext(ctx)
	// Processors: one goka group each, until the context ends.
	g.Go(func() error { return processors.Run(ctx, rc, procs) })
	// Consumer lag of the groups, per partition, every few seconds.
	g.Go(func() error { return runLag(ctx, kc, m, e.logger) })
	// Purge of the consumed records of the internal streams.
	g.Go(func() error { return runPurge(ctx, kc, c.purgeInterval, m, e.logger) })
	// Relay: notifications to RabbitMQ, with --amqp-url.
	g.Go(func() error { return c.relay.run(ctx, kc, m.Registry(), sup, e.logger) })
	// Operations endpoint: metrics and probes.
	if c.http != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
			httpjson.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})
		mux.Handle("GET /readyz", sup.Board)
		srv := views.NewServer(c.http, mux)
		g.Go(func() error { return views.Serve(ctx, srv) })
		e.logger.Info("operations endpoint", "url", "http://"+c.http+"/metrics")
	}
	return g.Wait()
}

// processorHooks counts the processors' decisions in m and logs them.
func processorHooks(m *metrics.Metrics, logger *slog.Logger) processors.Hooks {
	return processors.Hooks{
		Ingest: ingest.Hooks{Invalid: func(reason order.Reason, err error) {
			m.InvalidOrders.WithLabelValues(string(reason)).Inc()
			logger.Warn("invalid order dead-lettered", "reason", reason, "err", err)
		}, Ended: ingestEnded(m)},
		Lifecycle: lifecycle.Hooks{Duplicate: func(orderID string) {
			m.DuplicateOrders.Inc()
			logger.Info("duplicate order dropped", "order_id", orderID)
		}, Conflict: func(orderID, detail string) {
			m.ConflictingOrders.Inc()
			logger.Warn("conflicting order dropped: its order_id was used by another order", "order_id", orderID, "differs", detail)
		}, Refused: func(r *streams.Request, current order.Status, v lifecycle.Verdict) {
			m.StatusRequestsRefused.WithLabelValues(v.String()).Inc()
			// Repeats are routine (retried requests); lost races are
			// worth a line.
			level := slog.LevelDebug
			if v == lifecycle.Invalid {
				level = slog.LevelInfo
			}
			logger.Log(context.Background(), level, "status request refused",
				"order_id", r.OrderID, "status", current, "requested", r.Status, "verdict", v)
		}},
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
