package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

func init() {
	register("demo", "run everything in one process: broker, topics, processors, views, HTTP and the simulator", setupDemo)
}

type demoConfig struct {
	dataDir     string
	kafkaListen string
	kafka       *kafkaFlags
	http        string
	sim         simulator.Config
	kitchen     kitchen.Config
	relay       *relayFlags
	// runKitchen runs the simulated kitchens and couriers, whatever the
	// order rate: orders posted through the API move on too.
	runKitchen bool
	settings
}

func setupDemo(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &demoConfig{kafka: addKafkaFlags(fs)}
	// Unlike the other commands, demo starts its own broker unless told
	// to use a cluster.
	c.kafka.brokers = ""
	brokersFlag := fs.Lookup("brokers")
	brokersFlag.DefValue, brokersFlag.Usage = "", "use this Kafka cluster instead of the embedded broker"
	fs.StringVar(&c.dataDir, "data-dir", "./data", "directory of all state: broker log, processor and view tables")
	fs.StringVar(&c.kafkaListen, "kafka-listen", "127.0.0.1:9092", "listen address of the embedded broker")
	fs.StringVar(&c.http, "http", "127.0.0.1:8080", "address of the HTTP API, UI and /metrics")
	fs.Float64Var(&c.sim.Rate, "rate", 20, "simulated orders per second (0 = no simulator)")
	fs.IntVar(&c.sim.Restaurants, "restaurants", 50, "simulated restaurants")
	fs.IntVar(&c.sim.Users, "users", 5000, "simulated users")
	fs.Uint64Var(&c.sim.Seed, "seed", 1, "simulator seed")
	addKitchenFlags(fs, &c.kitchen, kitchen.DefaultConfig)
	fs.BoolVar(&c.runKitchen, "kitchen", true, "run the simulated kitchens and couriers, which move accepted orders to ready and delivered (whatever --rate)")
	c.addFlags(fs, defaultDemoAuditRetention)
	c.relay = addRelayFlags(fs)
	return func(ctx context.Context, e *env) error { return runDemo(ctx, e, c) }
}

func runDemo(ctx context.Context, e *env, c *demoConfig) (err error) {
	if c.dataDir == "" {
		return errors.New("--data-dir is required")
	}
	if c.sim.Rate > 0 {
		if err := c.sim.Validate(); err != nil {
			return err
		}
	}
	if c.runKitchen {
		if err := c.kitchen.Validate(); err != nil {
			return err
		}
	}

	// Broker: embedded unless --brokers names a cluster. It starts first
	// and stops last, after everything that talks to it.
	if c.kafka.brokers == "" {
		b, err := broker.Start(broker.Config{
			Listen:  c.kafkaListen,
			DataDir: filepath.Join(c.dataDir, "broker"),
			Logger:  e.logger.With("component", "broker"),
		})
		if err != nil {
			return fmt.Errorf("start embedded broker: %w", err)
		}
		defer func() { err = errors.Join(err, b.Close()) }()
		c.kafka.brokers = b.Addr()
		fmt.Fprintf(e.stdout, "embedded Kafka broker on %s (data in %s)\n", b.Addr(), c.dataDir)
	}
	kc, err := c.kafka.config("orderstream-demo")
	if err != nil {
		return err
	}
	m := metrics.New()
	pc, err := c.settings.config(m, e.logger)
	if err != nil {
		return err
	}

	// Supervision: one for every component of the demo, so that /readyz
	// shows them all.
	sup := supervision(m, e.logger)
	procs := processors.AllWith(pc)
	sup.Board.Register(processors.Components(runner.Config{}, procs)...)

	// Processors: every group, attached to the monitor and /metrics.
	runProcessors := func(ctx context.Context, h *views.Handler) error {
		return processors.Run(ctx, observed(runner.Config{
			Kafka:     kc,
			DataDir:   c.dataDir,
			Logger:    e.logger,
			Started:   h.AttachProcessor,
			Supervise: sup,
		}, m, procs), procs)
	}
	// Consumer lag of the groups, per partition, every few seconds.
	lag := func(ctx context.Context, _ *views.Handler) error { return runLag(ctx, kc, m, e.logger) }
	// Purge of the consumed records of the internal streams.
	purged := func(ctx context.Context, _ *views.Handler) error {
		return runPurge(ctx, kc, c.purgeInterval, m, e.logger)
	}
	sidecars := []sidecar{runProcessors, lag, purged}

	// Relay: notifications to RabbitMQ, with --amqp-url.
	if c.relay.url != "" {
		sidecars = append(sidecars, func(ctx context.Context, _ *views.Handler) error {
			return c.relay.run(ctx, kc, m.Registry(), sup, e.logger)
		})
	}

	// Simulator: the catalog and users placing orders at --rate.
	if c.sim.Rate > 0 {
		sup.Board.Register(supervise.Component{Name: "simulator"})
		fmt.Fprintf(e.stdout, "simulator: %g orders/s over %d restaurants and %d users\n", c.sim.Rate, c.sim.Restaurants, c.sim.Users)
		simulate := func(ctx context.Context) (err error) {
			logger := e.logger.With("component", "simulator")
			if err := publishCatalog(ctx, kc, c.sim, logger); err != nil {
				return err
			}
			em, err := emitters.New(kc, logger)
			if err != nil {
				return err
			}
			defer func() { err = errors.Join(err, em.Close()) }()
			sink := countedSink{sink: em, emitted: m.OrdersEmitted.WithLabelValues(metrics.SourceSimulator)}
			_, err = simulator.Run(ctx, c.sim, sink, nil)
			return err
		}
		sidecars = append(sidecars, func(ctx context.Context, _ *views.Handler) error {
			return supervise.Run(ctx, sup, supervise.Component{Name: "simulator", Run: simulate})
		})
	}

	// Kitchens and couriers: accepted orders move on to ready and
	// delivered, those of the simulator and of the API alike.
	if c.runKitchen {
		sup.Board.Register(supervise.Component{Name: "kitchen"})
		sidecars = append(sidecars, func(ctx context.Context, h *views.Handler) error {
			return supervise.Run(ctx, sup, supervise.Component{Name: "kitchen", Run: func(ctx context.Context) error {
				return runKitchen(ctx, kc, c.kitchen, c.dataDir, h.AttachProcessor, e.logger)
			}})
		})
	}

	// Views and HTTP, with the processors and the simulator beside them.
	return serveAll(ctx, e, serveConfig{kafka: kc, http: c.http, dataDir: c.dataDir, metrics: m, supervise: sup}, sidecars...)
}
