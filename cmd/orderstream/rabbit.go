package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/delivery"
	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/views"
)

func init() {
	register("deliver", "deliver notifications from RabbitMQ on one channel (email, sms, push): competing workers", setupDeliver)
	register("watch", "print the notifications RabbitMQ routes under a key pattern, live", setupWatch)
}

// amqpURLUsage is the usage of --amqp-url in every command.
const amqpURLUsage = "RabbitMQ URL, e.g. amqp://guest:guest@127.0.0.1:5672/"

// relayFlags are the flags of the notification relay in process and demo.
type relayFlags struct{ url string }

func addRelayFlags(fs *flag.FlagSet) *relayFlags {
	r := &relayFlags{}
	fs.StringVar(&r.url, "amqp-url", "", amqpURLUsage+": also relay the notifications topic to the exchange "+delivery.Exchange+" (empty = no relay)")
	return r
}

// run relays notifications until ctx ends, when --amqp-url is set, with
// its metrics on reg, supervised by sup as the component "relay".
func (r *relayFlags) run(ctx context.Context, kc kafkaconf.Config, reg prometheus.Registerer, sup supervise.Options, logger *slog.Logger) error {
	if r.url == "" {
		return nil
	}
	return delivery.Relay(ctx, delivery.RelayConfig{Kafka: kc, URL: r.url, Metrics: delivery.NewMetrics(reg), Logger: logger, Supervise: sup})
}

type deliverConfig struct {
	url      string
	channel  string
	bind     string
	workers  int
	sendTime time.Duration
	out      string
	http     string
}

func setupDeliver(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &deliverConfig{}
	fs.StringVar(&c.url, "amqp-url", "amqp://guest:guest@127.0.0.1:5672/", amqpURLUsage)
	fs.StringVar(&c.channel, "channel", "", "delivery channel: email, sms or push")
	fs.StringVar(&c.bind, "bind", "", "comma separated routing key patterns <status>.<restaurant_id> the channel's queue is bound to (default per channel: "+defaultBindings()+")")
	fs.IntVar(&c.workers, "workers", 1, "competing workers in this process")
	fs.DurationVar(&c.sendTime, "send-time", 0, "how long sending one notification takes (simulated)")
	fs.StringVar(&c.out, "out", "", "append the delivered notifications to this file instead of standard output")
	fs.StringVar(&c.http, "http", "", "address of /metrics and /healthz (empty = off)")
	return func(ctx context.Context, e *env) error { return runDeliver(ctx, e, c) }
}

func defaultBindings() string {
	var parts []string
	for _, ch := range []string{"email", "sms", "push"} {
		parts = append(parts, ch+" "+strings.Join(delivery.Channels[ch], ","))
	}
	return strings.Join(parts, "; ")
}

func runDeliver(ctx context.Context, e *env, c *deliverConfig) (err error) {
	if c.url == "" {
		return errors.New("--amqp-url is required")
	}
	keys := splitList(c.bind)
	if len(keys) == 0 {
		keys = delivery.Channels[c.channel]
	}
	var out io.Writer = e.stdout
	if c.out != "" {
		f, err := os.OpenFile(c.out, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer func() { err = errors.Join(err, f.Close()) }()
		out = f
	}
	reg := prometheus.NewRegistry()
	m := delivery.NewMetrics(reg)
	wc := delivery.WorkerConfig{URL: c.url, Channel: c.channel, Keys: keys, Workers: c.workers, SendTime: c.sendTime, Out: out, Metrics: m, Logger: e.logger}
	if err := wc.Validate(); err != nil {
		return fmt.Errorf("--channel/--bind/--workers: %w", err)
	}
	g, ctx := errgroup.WithContext(ctx)
	// Workers: competing consumers of the channel's queue.
	g.Go(func() error { return delivery.Deliver(ctx, wc) })
	// Operations endpoint: metrics and liveness.
	if c.http != "" {
		serveOps(ctx, g, c.http, reg, e.logger)
	}
	return g.Wait()
}

// serveOps serves /metrics of reg and /healthz on addr in g.
func serveOps(ctx context.Context, g *errgroup.Group, addr string, reg *prometheus.Registry, logger *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	srv := views.NewServer(addr, mux)
	g.Go(func() error { return views.Serve(ctx, srv) })
	logger.Info("operations endpoint", "url", "http://"+addr+"/metrics")
}

type watchConfig struct {
	url string
	key string
}

func setupWatch(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &watchConfig{}
	fs.StringVar(&c.url, "amqp-url", "amqp://guest:guest@127.0.0.1:5672/", amqpURLUsage)
	fs.StringVar(&c.key, "key", "#", "comma separated routing key patterns <status>.<restaurant_id> to watch, e.g. 'delivered.*' or '*.r-7' (# = all)")
	return func(ctx context.Context, e *env) error {
		if c.url == "" {
			return errors.New("--amqp-url is required")
		}
		keys := splitList(c.key)
		if len(keys) == 0 {
			return errors.New("--key: no pattern")
		}
		return delivery.Watch(ctx, delivery.WatchConfig{URL: c.url, Keys: keys, Out: e.stdout, Logger: e.logger})
	}
}
