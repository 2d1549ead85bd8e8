package notifier

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Catalog names restaurants from a view of the catalog table that runs
// beside the notifier. A goka Lookup would be the natural join, but goka
// runs a processor's lookup tables without reconnecting: the first
// consumer error (a broker restart) stops the lookup, and the processor
// with it. A view of its own reconnects and catches up again.
type Catalog struct {
	view atomic.Pointer[goka.View]
}

// Name is the name of the restaurant id in the catalog, or id while the
// catalog does not know it (or is still loading).
func (c *Catalog) Name(id string) string {
	v := c.view.Load()
	if v == nil || !v.Recovered() {
		return id
	}
	if r, _ := v.Get(id); r != nil {
		if r := r.(*catalog.Restaurant); r.Name != "" {
			return r.Name
		}
	}
	return id
}

// CatalogRetry is how long Run waits before it starts a stopped catalog
// view again.
const CatalogRetry = 2 * time.Second

// Run keeps a view of the catalog, in memory, until ctx ends. The names
// are a nicety: a view that fails (or cannot start, the broker away) is
// started again after CatalogRetry, never stopping the notifier; the ids
// stand in meanwhile.
func (c *Catalog) Run(ctx context.Context, kc kafkaconf.Config, logger *slog.Logger) error {
	logger = logger.With("view", string(catalog.Table))
	for {
		err := c.run(ctx, kc, logger)
		if ctx.Err() != nil {
			return nil
		}
		logger.Warn("catalog view stopped; starting it again", "err", err, "after", CatalogRetry)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(CatalogRetry):
		}
	}
}

// run runs one view of the catalog until it stops.
func (c *Catalog) run(ctx context.Context, kc kafkaconf.Config, logger *slog.Logger) error {
	opts := append(kc.ViewOptions(logger), goka.WithViewStorageBuilder(storage.MemoryBuilder()))
	// Shared: every notification reads a restaurant, menu and all; decode
	// each stored value once.
	v, err := goka.NewView(kc.Brokers, catalog.Table, jsoncodec.NewShared[catalog.Restaurant](0), opts...)
	if err != nil {
		return err
	}
	c.view.Store(v)
	return v.Run(ctx)
}
