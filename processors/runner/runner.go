// Package runner builds goka processors from group graphs with the
// project's Kafka configuration and local storage, and runs them.
package runner

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Config is how processors are built.
type Config struct {
	Kafka kafkaconf.Config
	// DataDir holds one LevelDB per table partition under
	// DataDir/processors/<group>; empty means in-memory storage.
	DataDir string
	Logger  *slog.Logger
	// Started, if set, is called with each processor before it runs
	// (to attach it to the monitor and the metrics).
	Started func(*goka.Processor)
}

// StoragePath is where a group keeps its local tables under dataDir.
func StoragePath(dataDir string, group goka.Group) string {
	return filepath.Join(dataDir, "processors", string(group))
}

// Build creates the processor for gg.
func Build(cfg Config, gg *goka.GroupGraph, opts ...goka.ProcessorOption) (*goka.Processor, error) {
	group := gg.Group()
	logger := cfg.Logger.With("processor", string(group))
	all := append(cfg.Kafka.ProcessorOptions(logger), opts...)
	if cfg.DataDir != "" {
		all = append(all, goka.WithStorageBuilder(storage.DefaultBuilder(StoragePath(cfg.DataDir, group))))
	} else {
		all = append(all, goka.WithStorageBuilder(storage.MemoryBuilder()))
	}
	p, err := goka.NewProcessor(cfg.Kafka.Brokers, gg, all...)
	if err != nil {
		return nil, fmt.Errorf("create processor %s: %w", group, err)
	}
	return p, nil
}

// Run builds the processor for gg and runs it until ctx ends.
func Run(ctx context.Context, cfg Config, gg *goka.GroupGraph, opts ...goka.ProcessorOption) error {
	p, err := Build(cfg, gg, opts...)
	if err != nil {
		return err
	}
	if cfg.Started != nil {
		cfg.Started(p)
	}
	cfg.Logger.Info("processor starting", "processor", string(gg.Group()))
	if err := p.Run(ctx); err != nil {
		return fmt.Errorf("processor %s: %w", gg.Group(), err)
	}
	return nil
}
