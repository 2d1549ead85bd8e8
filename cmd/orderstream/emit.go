package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/kitchen"
)

func init() {
	register("emit", "simulate users placing orders on the orders topic, and the kitchens and couriers serving them", setupEmit)
}

// emitConfig is the configuration of the emit command.
type emitConfig struct {
	kafka kafkaconf.Config
	sim   simulator.Config
	// kitchen, unless off, runs the kitchens and couriers beside the
	// simulator.
	kitchen   kitchen.Config
	noKitchen bool
	noCatalog bool
}

func (c emitConfig) validate() error {
	if err := c.kafka.Validate(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	if err := c.sim.Validate(); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	if err := c.kitchen.Validate(); err != nil {
		return fmt.Errorf("kitchen: %w", err)
	}
	return nil
}

func setupEmit(fs *flag.FlagSet) func(context.Context, *env) error {
	kf := addKafkaFlags(fs)
	var sim simulator.Config
	fs.Float64Var(&sim.Rate, "rate", 50, "orders per second")
	fs.IntVar(&sim.Count, "count", 0, "orders to place; 0 places orders until interrupted")
	fs.IntVar(&sim.Restaurants, "restaurants", 50, fmt.Sprintf("restaurants in the simulated catalog, 1..%d", simulator.MaxRestaurants))
	fs.IntVar(&sim.Users, "users", 5000, fmt.Sprintf("users placing orders, 1..%d", simulator.MaxUsers))
	fs.Uint64Var(&sim.Seed, "seed", 1, "seed of the catalog and of the orders (order ids differ in every run)")
	var kc kitchen.Config
	addKitchenFlags(fs, &kc, kitchen.DefaultConfig)
	withKitchen := fs.Bool("kitchen", true, "run the simulated kitchens and couriers while placing orders")
	withCatalog := fs.Bool("catalog", true, "publish the simulated catalog to the restaurants topic first")
	return func(ctx context.Context, env *env) error {
		cfg := emitConfig{sim: sim, kitchen: kc, noKitchen: !*withKitchen, noCatalog: !*withCatalog}
		var err error
		if cfg.kafka, err = kf.config("orderstream-emit"); err != nil {
			return fmt.Errorf("kafka flags: %w", err)
		}
		if err := cfg.validate(); err != nil {
			return err
		}
		return runEmit(ctx, cfg, env)
	}
}

// runEmit publishes the catalog, then places orders until cfg.sim.Count
// are placed or ctx ends, with the kitchen running meanwhile, then
// flushes the emitter and prints a summary line. Orders still being
// prepared or delivered when it ends stay where they are until a kitchen
// runs again.
func runEmit(ctx context.Context, cfg emitConfig, env *env) error {
	logger := env.logger.With("command", "emit")

	// Topics: goka's emitters do not create the topics they write to.
	specs := []topics.Spec{{Name: string(order.Stream)}, {Name: string(catalog.Table), Table: true}}
	if _, err := topics.Ensure(ctx, cfg.kafka, specs); err != nil {
		return fmt.Errorf("ensure topics: %w", err)
	}

	// Catalog: the restaurants orders are placed with.
	if !cfg.noCatalog {
		if err := publishCatalog(ctx, cfg.kafka, cfg.sim, logger); err != nil {
			return err
		}
	}

	// Emitter: closed after the simulator stops, flushing what is queued.
	em, err := emitters.New(cfg.kafka, logger)
	if err != nil {
		return err
	}

	// Kitchen: beside the simulator, stopped once it is done, and
	// stopping it if it fails; its jobs live in its table topic.
	g, gctx := errgroup.WithContext(ctx)
	kitchenCtx, stopKitchen := context.WithCancel(gctx)
	defer stopKitchen()
	if !cfg.noKitchen {
		g.Go(func() error { return runKitchen(kitchenCtx, cfg.kafka, cfg.kitchen, "", nil, logger) })
	}

	// Simulator: runs until Count orders are placed, ctx ends (SIGINT) or
	// the emitter fails.
	logger.Info("placing orders", "rate", cfg.sim.Rate, "count", cfg.sim.Count,
		"restaurants", cfg.sim.Restaurants, "users", cfg.sim.Users, "seed", cfg.sim.Seed)
	stats, runErr := simulator.Run(gctx, cfg.sim, em, terminalOrNil(env.stdout))
	closeErr := em.Close()
	stopKitchen()
	kitchenErr := g.Wait()

	fmt.Fprintf(env.stdout, "emitted %d orders in %v (%.1f orders/s), %d failed\n",
		stats.Sent, stats.Elapsed.Round(time.Millisecond), stats.Rate(), stats.Failed)
	return errors.Join(runErr, closeErr, kitchenErr)
}

// terminalOrNil returns w if it is a terminal, else nil: a line redrawn with
// \r is only noise in a file or pipe.
func terminalOrNil(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
}
