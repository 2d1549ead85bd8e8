package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/orderstream/orderstream/internal/broker"
)

func init() {
	register("broker", "run the embedded Kafka-protocol broker", setupBroker)
}

type brokerConfig struct {
	listen          string
	dataDir         string
	compactInterval time.Duration
}

func setupBroker(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &brokerConfig{}
	fs.StringVar(&c.listen, "listen", "127.0.0.1:9092", "host:port to listen on and advertise to clients (port 0 picks a free port)")
	fs.StringVar(&c.dataDir, "data-dir", "", "directory keeping topics, records and committed offsets across restarts (empty = in memory)")
	fs.DurationVar(&c.compactInterval, "compact-interval", broker.DefaultCompactInterval, "how often table (compacted) topics are cleaned")
	return func(ctx context.Context, e *env) error { return runBroker(ctx, e, c) }
}

func runBroker(ctx context.Context, e *env, c *brokerConfig) error {
	logger := e.logger.With("component", "broker")
	cfg := broker.Config{
		Listen:          c.listen,
		DataDir:         c.dataDir,
		CompactInterval: c.compactInterval,
		Logger:          logger,
	}
	// Zero is a valid Config field (the default) but not a useful flag.
	if c.compactInterval <= 0 {
		return fmt.Errorf("--compact-interval %v: want a positive duration", c.compactInterval)
	}
	b, err := broker.Start(cfg)
	if err != nil {
		return err
	}
	data := c.dataDir
	if data == "" {
		data = "(memory: nothing survives a restart)"
	}
	logger.Info("broker listening", "addr", b.Addr(), "data_dir", data, "compact_interval", c.compactInterval)
	err = b.Run(ctx)
	logger.Info("broker stopped")
	return err
}
