// Package runner builds goka processors from group graphs with the
// project's Kafka configuration and local storage, and runs them.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/internal/writeback"
	"github.com/orderstream/orderstream/processors/cache"
)

// Config is how processors are built.
type Config struct {
	Kafka kafkaconf.Config
	// DataDir holds one LevelDB per table partition under
	// DataDir/processors/<group>; empty means in-memory storage.
	DataDir string
	Logger  *slog.Logger
	// Started, if set, is called with each processor before it runs
	// (to attach it to the monitor and the metrics); a processor rebuilt
	// after a failure is handed to it again.
	Started func(*goka.Processor)
	// CacheFlushed, if set, is called after every flush of a group's
	// table cache (processors/cache) with the records it wrote and its
	// error, for the metrics.
	CacheFlushed func(group goka.Group, records int, err error)
	// Supervise is how processors.Run supervises the processors: where
	// their states and restarts go.
	Supervise supervise.Options
}

// StoragePath is where a group keeps its local tables under dataDir.
func StoragePath(dataDir string, group goka.Group) string {
	return filepath.Join(dataDir, "processors", string(group))
}

// Graph is what a processor runs: its goka group graph and, if the group
// caches its table (processors/cache), that cache; if it gathers an
// output into batches (cache.Outbox), that outbox.
type Graph struct {
	*goka.GroupGraph
	Cache  cache.Cache
	Outbox cache.Cache
}

// Goka returns gg, a graph whose table writes through.
func Goka(gg *goka.GroupGraph) Graph { return Graph{GroupGraph: gg} }

// Build creates the processor for g. If g has a cache or an outbox, Build
// attaches them to the processor's local storage and a producer of their
// own; call the returned release once the processor stopped.
func Build(cfg Config, g Graph, opts ...goka.ProcessorOption) (p *goka.Processor, release func() error, err error) {
	gg := g.GroupGraph
	group := gg.Group()
	if err := gg.Validate(); err != nil {
		// A graph cannot become valid by trying again.
		return nil, nil, supervise.Permanent(supervise.ReasonConfig, fmt.Errorf("create processor %s: %w", group, err))
	}
	logger := cfg.Logger.With("processor", string(group))
	all := append(cfg.Kafka.ProcessorOptions(logger), opts...)
	build := storage.MemoryBuilder()
	if cfg.DataDir != "" {
		build = writeback.Builder(StoragePath(cfg.DataDir, group))
	}
	stores := &storages{built: map[storageKey]storage.Storage{}}
	all = append(all, goka.WithStorageBuilder(stores.wrap(build)))
	p, err = goka.NewProcessor(cfg.Kafka.Brokers, gg, all...)
	if err != nil {
		return nil, nil, fmt.Errorf("create processor %s: %w", group, err)
	}
	release = func() error { return nil }
	// Without brokers (goka's tester) there is nothing for the cache to
	// write to: the table writes through, as goka does.
	var attach []cache.Cache
	for _, c := range []cache.Cache{g.Cache, g.Outbox} {
		if c != nil {
			attach = append(attach, c)
		}
	}
	if len(attach) > 0 && len(cfg.Kafka.Brokers) > 0 {
		prod, err := cfg.Kafka.Producer(string(group)+"-cache", logger)
		if err != nil {
			return nil, nil, fmt.Errorf("processor %s: table cache producer: %w", group, err)
		}
		rt := &cache.Runtime{Storage: stores.get, Producer: prod}
		if table := gg.GroupTable(); table != nil {
			rt.Table, rt.Codec = goka.Table(table.Topic()), table.Codec()
		}
		if cfg.CacheFlushed != nil {
			rt.Flushed = func(records int, err error) { cfg.CacheFlushed(group, records, err) }
		}
		var detached []func()
		release = func() error {
			for _, d := range detached {
				d()
			}
			return prod.Close()
		}
		for _, c := range attach {
			detach, err := c.Attach(rt)
			if err != nil {
				return nil, nil, errors.Join(err, release())
			}
			detached = append(detached, detach)
		}
	}
	return p, release, nil
}

// storages records the local storages goka builds, for the table cache.
type storages struct {
	mu    sync.Mutex
	built map[storageKey]storage.Storage
}

type storageKey struct {
	topic     string
	partition int32
}

func (s *storages) wrap(build storage.Builder) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		st, err := build(topic, partition)
		if err == nil {
			s.mu.Lock()
			s.built[storageKey{topic, partition}] = st
			s.mu.Unlock()
		}
		return st, err
	}
}

func (s *storages) get(topic string, partition int32) (storage.Storage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.built[storageKey{topic, partition}]
	return st, ok
}

// Run builds the processor for g and runs it until ctx ends.
func Run(ctx context.Context, cfg Config, g Graph, opts ...goka.ProcessorOption) error {
	return RunTended(ctx, cfg, g, nil, opts...)
}

// Tend is work done beside a running processor, such as periodic visits
// of its table. It must return when ctx ends.
type Tend func(ctx context.Context, p *goka.Processor) error

// RunTended is Run with tend (if not nil) running beside the processor:
// both stop when ctx ends or either fails. When ctx ends, tend returns
// first and the processor stops after it, so that no visit is cut short
// by the processor stopping under it (goka then still counts the visits
// in flight after VisitAll returned: a data race).
func RunTended(ctx context.Context, cfg Config, graph Graph, tend Tend, opts ...goka.ProcessorOption) error {
	gg := graph.GroupGraph
	p, release, err := Build(cfg, graph, opts...)
	if err != nil {
		return err
	}
	defer func() {
		if err := release(); err != nil {
			cfg.Logger.Warn("closing the table cache", "processor", string(gg.Group()), "err", err)
		}
	}()
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
