package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
)

func init() {
	register("emit", "simulate users placing orders on the orders topic", setupEmit)
}

// emitConfig is the configuration of the emit command.
type emitConfig struct {
	kafka kafkaconf.Config
	sim   simulator.Config
}

func (c emitConfig) validate() error {
	if err := c.kafka.Validate(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	if err := c.sim.Validate(); err != nil {
		return fmt.Errorf("simulator: %w", err)
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
	return func(ctx context.Context, env *env) error {
		cfg := emitConfig{sim: sim}
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

// runEmit places orders until cfg.sim.Count are placed or ctx ends, then
// flushes the emitter and prints a summary line.
func runEmit(ctx context.Context, cfg emitConfig, env *env) error {
	logger := env.logger.With("command", "emit")

	// Topic: goka's emitter does not create the topic it writes to.
	if _, err := topics.Ensure(ctx, cfg.kafka, []topics.Spec{{Name: string(order.Stream)}}); err != nil {
		return fmt.Errorf("ensure topic %s: %w", order.Stream, err)
	}

	// Emitter: closed after the simulator stops, flushing what is queued.
	em, err := emitters.New(cfg.kafka, logger)
	if err != nil {
		return err
	}

	// Simulator: runs until Count orders are placed, ctx ends (SIGINT) or
	// the emitter fails.
	logger.Info("placing orders", "rate", cfg.sim.Rate, "count", cfg.sim.Count,
		"restaurants", cfg.sim.Restaurants, "users", cfg.sim.Users, "seed", cfg.sim.Seed)
	stats, runErr := simulator.Run(ctx, cfg.sim, em, terminalOrNil(env.stdout))
	closeErr := em.Close()

	fmt.Fprintf(env.stdout, "emitted %d orders in %v (%.1f orders/s), %d failed\n",
		stats.Sent, stats.Elapsed.Round(time.Millisecond), stats.Rate(), stats.Failed)
	return errors.Join(runErr, closeErr)
}

// terminalOrNil returns w if it is a terminal, else nil: a line redrawn with
// \r is only noise in a file or pipe.
func terminalOrNil(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return w
	}
	return nil
}
