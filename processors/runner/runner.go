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
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/writeback"
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
		all = append(all, goka.WithStorageBuilder(writeback.Builder(StoragePath(cfg.DataDir, group))))
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
	return RunTended(ctx, cfg, gg, nil, opts...)
}

// Tend is work done beside a running processor, such as periodic visits
// of its table. It must return when ctx ends.
type Tend func(ctx context.Context, p *goka.Processor) error

// RunTended is Run with tend (if not nil) running beside the processor:
// both stop when ctx ends or either fails. When ctx ends, tend returns
// first and the processor stops after it, so that no visit is cut short
// by the processor stopping under it (goka then still counts the visits
// in flight after VisitAll returned: a data race).
func RunTended(ctx context.Context, cfg Config, gg *goka.GroupGraph, tend Tend, opts ...goka.ProcessorOption) error {
	p, err := Build(cfg, gg, opts...)
	if err != nil {
		return err
	}
	if cfg.Started != nil {
		cfg.Started(p)
	}
	cfg.Logger.Info("processor starting", "processor", string(gg.Group()))
	run := func(ctx context.Context) error {
		err := p.Run(ctx)
		if err != nil && ctx.Err() != nil {
			// Stopped while starting up or rebalancing, goka reports
			// the cancellation as an error; the caller asked for it.
			cfg.Logger.Debug("processor stopped early", "processor", string(gg.Group()), "err", err)
			return nil
		}
		if err != nil {
			return fmt.Errorf("processor %s: %w", gg.Group(), err)
		}
		return nil
	}
	if tend == nil {
		return run(ctx)
	}
	g, gctx := errgroup.WithContext(ctx)
	procCtx, stopProc := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProc()
	g.Go(func() error { return run(procCtx) })
	g.Go(func() error {
		defer stopProc()
		return tend(gctx, p)
	})
	return g.Wait()
}
