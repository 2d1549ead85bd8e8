package lifecycle

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/liveview"
)

// Catalog names restaurants from a view of the catalog table that runs
// beside the lifecycle. A goka Lookup would be the natural join, but goka
// runs a processor's lookup tables without reconnecting: the first
// consumer error (a broker restart) stops the lookup, and the processor
// with it. A view of its own is supervised apart (see Run) and, while it
// restarts, the ids stand in for the names.
//
// The view is a liveview.View: the lifecycle's callbacks never read an
// instance that goka is closing.
type Catalog struct {
	view atomic.Pointer[liveview.View]
}

// Name is the name of the restaurant id in the catalog, or id while the
// catalog does not know it (or is still loading, or restarting).
func (c *Catalog) Name(id string) string {
	v := c.current()
	if v == nil {
		return id
	}
	if r, _ := v.Get(id); r != nil {
		if r := r.(*catalog.Restaurant); r.Name != "" {
			return r.Name
		}
	}
	return id
}

// Recovered reports whether the catalog view runs and has caught up.
func (c *Catalog) Recovered() bool {
	v := c.current()
	return v != nil && v.Recovered()
}

func (c *Catalog) current() *liveview.View { return c.view.Load() }

// Run runs one instance of the catalog view, in memory, until ctx ends or
// it fails: a supervisor runs it again (see processors.Run). The names
// are a nicety; the lifecycle never waits for them.
func (c *Catalog) Run(ctx context.Context, kc kafkaconf.Config, logger *slog.Logger) error {
	v := c.view.Load()
	if v == nil {
		logger = logger.With("view", string(catalog.Table))
		// Shared: every notification reads a restaurant, menu and all;
		// decode each stored value once.
		var err error
		v, err = liveview.New(kc.Brokers, catalog.Table, jsoncodec.NewShared[catalog.Restaurant](0),
			storage.MemoryBuilder(), nil, kc.ViewOptions(logger)...)
		if err != nil {
			return err
		}
		if !c.view.CompareAndSwap(nil, v) {
			v = c.view.Load()
		}
	}
	return v.Run(ctx)
}
