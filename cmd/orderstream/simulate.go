package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/runner"
)

// addKitchenFlags registers the kitchen's delays, defaulting to d.
func addKitchenFlags(fs *flag.FlagSet, k *kitchen.Config, d kitchen.Config) {
	fs.DurationVar(&k.PrepMin, "prep-min", d.PrepMin, "shortest time a simulated kitchen takes from accepted to ready")
	fs.DurationVar(&k.PrepMax, "prep-max", d.PrepMax, "longest time a simulated kitchen takes from accepted to ready")
	fs.DurationVar(&k.DeliveryMin, "delivery-min", d.DeliveryMin, "shortest time a simulated courier takes from ready to delivered")
	fs.DurationVar(&k.DeliveryMax, "delivery-max", d.DeliveryMax, "longest time a simulated courier takes from ready to delivered")
}

// kitchenGraph is the kitchen's group graph, for topic provisioning.
func kitchenGraph() *goka.GroupGraph {
	return kitchen.Define(kitchen.DefaultConfig, time.Now).GroupGraph
}

// publishCatalog publishes the simulator's catalog to the restaurants
// topic, so the restaurants orders are placed with have names.
func publishCatalog(ctx context.Context, kc kafkaconf.Config, sim simulator.Config, logger *slog.Logger) error {
	c, err := simulator.NewCatalog(sim.Restaurants, sim.Seed)
	if err != nil {
		return fmt.Errorf("simulator catalog: %w", err)
	}
	if err := emitters.PublishCatalog(ctx, kc, &c, logger); err != nil {
		return err
	}
	logger.Info("catalog published", "restaurants", len(c.Restaurants))
	return nil
}

// runKitchen runs the simulated kitchens and couriers until ctx ends,
// keeping their jobs under dataDir (in memory if empty).
func runKitchen(ctx context.Context, kc kafkaconf.Config, cfg kitchen.Config, dataDir string, started func(*goka.Processor), logger *slog.Logger) error {
	if _, err := topics.Ensure(ctx, kc, topics.FromGraphs(kitchenGraph())); err != nil {
		return fmt.Errorf("ensure kitchen topics: %w", err)
	}
	rc := runner.Config{Kafka: kc, DataDir: dataDir, Logger: logger, Started: started}
	return kitchen.Run(ctx, rc, cfg, logger.With("component", "kitchen"))
}
