package notifier

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/catalog"
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

// Run keeps a view of the catalog, in memory, until ctx ends.
func (c *Catalog) Run(ctx context.Context, kc kafkaconf.Config, logger *slog.Logger) error {
	opts := append(kc.ViewOptions(logger.With("view", string(catalog.Table))),
		goka.WithViewStorageBuilder(storage.MemoryBuilder()))
	v, err := goka.NewView(kc.Brokers, catalog.Table, new(catalog.Codec), opts...)
	if err != nil {
		return err
	}
	c.view.Store(v)
	return v.Run(ctx)
}
