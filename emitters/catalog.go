package emitters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// PublishCatalog writes every restaurant of c to the compacted catalog
// topic, keyed by id, and returns once Kafka has acknowledged them all. A
// restaurant published before is replaced; one not in c is left as it
// was.
func PublishCatalog(ctx context.Context, cfg kafkaconf.Config, c *catalog.Catalog, logger *slog.Logger) (err error) {
	opts := cfg.EmitterOptions(logger)
	if cfg.ClientID != "" {
		opts = append(opts, goka.WithEmitterClientID(cfg.ClientID+"-catalog"))
	}
	em, err := goka.NewEmitter(cfg.Brokers, goka.Stream(catalog.Table), new(catalog.Codec), opts...)
	if err != nil {
		return fmt.Errorf("create emitter %s: %w", catalog.Table, err)
	}
	defer func() { err = errors.Join(err, finish(em, string(catalog.Table))) }()
	// Emit all, then wait: one round trip for the whole catalog.
	promises := make([]chan error, len(c.Restaurants))
	for i := range c.Restaurants {
		r := &c.Restaurants[i]
		p, err := em.Emit(r.ID, r)
		if err != nil {
			return fmt.Errorf("publish restaurant %s: %w", r.ID, err)
		}
		done := make(chan error, 1)
		p.Then(func(err error) { done <- err })
		promises[i] = done
	}
	for i, done := range promises {
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("publish restaurant %s: %w", c.Restaurants[i].ID, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("publish catalog: %w", context.Cause(ctx))
		}
	}
	return nil
}
