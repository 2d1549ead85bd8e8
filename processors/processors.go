// Package processors lists the goka groups of the system and runs them
// together. Each group lives in its own package.
package processors

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/purge"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
)

// Hooks observe the processors' decisions (for metrics and logs).
type Hooks struct {
	Ingest    ingest.Hooks
	Lifecycle lifecycle.Hooks
}

// Config is the settings of the processors that have some.
type Config struct {
	Hooks      Hooks
	Restaurant restaurant.Config
	// AuditRetention is how long a finished order stays in the lifecycle
	// table; zero keeps orders forever.
	AuditRetention time.Duration
	// AcceptTimeout is how long an order may stay accepted before the
	// lifecycle asks for it to be cancelled; zero never releases one.
	AcceptTimeout time.Duration
	// TransactionInterval is the least time between two of ingest's
	// transactions; ingest.TransactionInterval when zero.
	TransactionInterval time.Duration
	// Logger logs the work done beside the processors (the retention
	// sweeps); nil discards it.
	Logger *slog.Logger
}

// Processor is one group graph with the options it needs, and what runs
// beside it.
type Processor struct {
	Graph   runner.Graph
	Options []goka.ProcessorOption
	Tend    runner.Tend
	// Beside, when set, runs next to the processor while it runs: what
	// its callbacks read that goka does not keep for them.
	Beside func(ctx context.Context, cfg runner.Config) error
	// BesideName names Beside as a component: "processor/<group>/<BesideName>".
	BesideName string
	// Run, when set, runs the processor instead of goka; Graph then only
	// describes its topics. Ingest is a Kafka transaction loop, since
	// goka is at-least-once.
	Run func(ctx context.Context, cfg runner.Config) error
}

// Goka reports whether p runs as a goka processor (and so is handed to
// runner.Config.Started).
func (p Processor) Goka() bool { return p.Run == nil }

// Name is the processor's group name.
func (p Processor) Name() string { return string(p.Graph.Group()) }

// All returns every processor of the system, upstream first, with the
// default settings and hooks h.
func All(h Hooks) []Processor { return AllWith(Config{Hooks: h}) }

// AllWith returns every processor of the system, upstream first,
// configured by cfg.
func AllWith(cfg Config) []Processor {
	h := cfg.Hooks
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// The lifecycle names restaurants in its notifications from a view of
	// the catalog beside it.
	names := new(lifecycle.Catalog)
	audit := Processor{Graph: lifecycle.Define(h.Lifecycle, names.Name), BesideName: "catalog-view",
		Beside: func(ctx context.Context, cfg runner.Config) error {
			return names.Run(ctx, cfg.Kafka, cfg.Logger)
		}}
	var sweeps []runner.Tend
	if r := cfg.AuditRetention; r > 0 {
		sweeps = append(sweeps, runner.Visits(lifecycle.VisitRetire, lifecycle.RetireInterval(r), lifecycle.Cutoff(r), logger))
	}
	if d := cfg.AcceptTimeout; d > 0 {
		sweeps = append(sweeps, runner.Visits(lifecycle.VisitRelease, lifecycle.ReleaseInterval(d), lifecycle.ReleaseMeta(d), logger))
	}
	audit.Tend = runner.Together(sweeps...)
	return []Processor{
		{Graph: runner.Goka(ingest.Define(h.Ingest)), Options: ingest.Options(), Run: runIngest(h.Ingest, cfg.TransactionInterval)},
		audit,
		{Graph: restaurant.Define(cfg.Restaurant)},
		{Graph: user.Define()},
		{Graph: global.Define()},
		{Graph: inbox.Define()},
	}
}

// Graphs returns the graph of every processor, for topic provisioning.
func Graphs() []*goka.GroupGraph {
	var gs []*goka.GroupGraph
	for _, p := range All(Hooks{}) {
		gs = append(gs, p.Graph.GroupGraph)
	}
	return gs
}

// Topics lists every topic the processors use, and those of extra, for
// provisioning: the topics of their graphs and the catalog, which the
// lifecycle reads beside its graph. The handoffs are marked purged.
func Topics(extra ...*goka.GroupGraph) []topics.Spec {
	readers := goka.DefineGroup("catalog-readers", goka.Lookup(catalog.Table, new(catalog.Codec)))
	specs := topics.FromGraphs(append(append(Graphs(), extra...), readers)...)
	for i, s := range specs {
		specs[i].Purged = !s.Table && slices.Contains(streams.Handoffs, goka.Stream(s.Name))
	}
	return specs
}

// Handoffs returns streams.Handoffs, each with the groups of the system
// that read it: what process purges. A stream no group reads is never
// purged.
func Handoffs() []purge.Stream {
	graphs := Graphs()
	var out []purge.Stream
	for _, h := range streams.Handoffs {
		s := purge.Stream{Topic: string(h)}
		for _, g := range graphs {
			if slices.ContainsFunc(g.InputStreams(), func(e goka.Edge) bool { return e.Topic() == string(h) }) {
				s.Readers = append(s.Readers, string(g.Group()))
			}
		}
		out = append(out, s)
	}
	return out
}

// Names lists the processors' names.
func Names() []string {
	var names []string
	for _, p := range All(Hooks{}) {
		names = append(names, p.Name())
	}
	return names
}

// Select keeps the processors named in only (all of them if only is empty).
func Select(all []Processor, only []string) ([]Processor, error) {
	if len(only) == 0 {
		return all, nil
	}
	byName := map[string]Processor{}
	for _, p := range all {
		byName[p.Name()] = p
	}
	var out []Processor
	for _, name := range only {
		p, ok := byName[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("unknown processor %q (have %s)", name, strings.Join(Names(), ", "))
		}
		out = append(out, p)
	}
	return out, nil
}

// Run runs the processors until ctx ends or one fails for a reason that
// cannot pass. Each processor, and what runs beside it, is a component of
// a supervisor (cfg.Supervise): one that fails for a reason that can pass
// is built anew and run again, reusing its local tables.
func Run(ctx context.Context, cfg runner.Config, procs []Processor) error {
	return supervise.Run(ctx, cfg.Supervise, Components(cfg, procs)...)
}

// Components are the supervised components of procs: "processor/<group>"
// for each, and "processor/<group>/<BesideName>" for what runs beside it.
func Components(cfg runner.Config, procs []Processor) []supervise.Component {
	var comps []supervise.Component
	for _, p := range procs {
		name := "processor/" + p.Name()
		if p.Beside != nil {
			comps = append(comps, supervise.Component{Name: name + "/" + p.BesideName, Run: func(ctx context.Context) error {
				return p.Beside(ctx, cfg)
			}})
		}
		if p.Run != nil {
			comps = append(comps, supervise.Component{Name: name, Run: func(ctx context.Context) error {
				return p.Run(ctx, cfg)
			}})
			continue
		}
		// The processor of the current run, for its readiness.
		var current atomic.Pointer[goka.Processor]
		pcfg := cfg
		pcfg.Started = func(gp *goka.Processor) {
			current.Store(gp)
			if cfg.Started != nil {
				cfg.Started(gp)
			}
		}
		comps = append(comps, supervise.Component{
			Name: name,
			Run: func(ctx context.Context) error {
				return runner.RunTended(ctx, pcfg, p.Graph, p.Tend, p.Options...)
			},
			Ready: func() bool {
				gp := current.Load()
				return gp != nil && gp.Recovered()
			},
		})
	}
	return comps
}

// runIngest runs ingest's transaction loop as instance of cfg.DataDir, a
// transaction at most every interval.
func runIngest(h ingest.Hooks, interval time.Duration) func(context.Context, runner.Config) error {
	return func(ctx context.Context, cfg runner.Config) error {
		id, err := ingest.InstanceID(cfg.DataDir)
		if err != nil {
			return err
		}
		return ingest.Run(ctx, ingest.Config{Kafka: cfg.Kafka, InstanceID: id, Interval: interval, Hooks: h, Logger: cfg.Logger})
	}
}
