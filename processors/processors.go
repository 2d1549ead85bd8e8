// Package processors lists the goka groups of the system and runs them
// together. Each group lives in its own package.
package processors

import (
	"context"
	"fmt"
	"strings"

	"github.com/lovoo/goka"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/registry"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/user"
)

// Hooks observe the processors' decisions (for metrics and logs).
type Hooks struct {
	Ingest   ingest.Hooks
	Registry registry.Hooks
}

// Processor is one group graph with the options it needs.
type Processor struct {
	Graph   *goka.GroupGraph
	Options []goka.ProcessorOption
}

// Name is the processor's group name.
func (p Processor) Name() string { return string(p.Graph.Group()) }

// All returns every processor of the system, upstream first.
func All(h Hooks) []Processor {
	return []Processor{
		{Graph: ingest.Define(h.Ingest), Options: ingest.Options()},
		{Graph: registry.Define(h.Registry)},
		{Graph: restaurant.Define()},
		{Graph: user.Define()},
		{Graph: global.Define()},
	}
}

// Graphs returns the graph of every processor, for topic provisioning.
func Graphs() []*goka.GroupGraph {
	var gs []*goka.GroupGraph
	for _, p := range All(Hooks{}) {
		gs = append(gs, p.Graph)
	}
	return gs
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

// Run runs the processors until ctx ends or one fails.
func Run(ctx context.Context, cfg runner.Config, procs []Processor) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, p := range procs {
		g.Go(func() error { return runner.Run(ctx, cfg, p.Graph, p.Options...) })
	}
	return g.Wait()
}
