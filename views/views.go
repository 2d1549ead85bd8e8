// Package views serves the group tables of the processors and the
// catalog: typed wrappers over goka views, so that no caller type-asserts
// a table value, and the HTTP JSON API, the event stream, goka's monitor
// and query UI and the metrics endpoint on top.
package views

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/writeback"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/user"
)

// ErrNotFound is returned by the getters for a key the table does not hold.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is returned while a view has not recovered yet and after
// it stopped: the data is not there to be read, through no fault of the
// caller.
var ErrUnavailable = errors.New("view unavailable")

// Set is the views of the tables the API serves, run together.
type Set struct {
	guard  *guard
	tables []*table
	logger *slog.Logger

	restaurants *Restaurants
	users       *Users
	global      *Global
	orders      *Orders
	inboxes     *Inboxes
	catalog     *Catalog
}

// StoragePath is where the view of table keeps its LevelDB under dataDir.
func StoragePath(dataDir string, table goka.Table) string {
	return filepath.Join(dataDir, "views", string(table))
}

// New creates the views of the restaurant, user, global, lifecycle and
// inbox tables and of the catalog. Their table topics must exist. Each keeps its local copy in a LevelDB under
// StoragePath(dataDir, table), or in memory when dataDir is empty. extra
// options come last, so tests can pass goka.WithViewTester.
func New(cfg kafkaconf.Config, dataDir string, logger *slog.Logger, extra ...goka.ViewOption) (*Set, error) {
	s := &Set{guard: new(guard), logger: logger}
	specs := []struct {
		table goka.Table
		codec goka.Codec
	}{
		// Read on every request and never changed by their readers:
		// each stored value is decoded once (see Restaurants.Get).
		{restaurant.Table, jsoncodec.NewShared[restaurant.Stats](0)},
		{user.Table, new(user.StatsCodec)},
		{global.Table, jsoncodec.NewShared[global.Shard](0)},
		{lifecycle.Table, new(lifecycle.OrderCodec)},
		{inbox.Table, new(inbox.InboxCodec)},
		{catalog.Table, jsoncodec.NewShared[catalog.Restaurant](0)},
	}
	for _, spec := range specs {
		opts := cfg.ViewOptions(logger.With("view", string(spec.table)))
		if dataDir == "" {
			opts = append(opts, goka.WithViewStorageBuilder(storage.MemoryBuilder()))
		} else {
			opts = append(opts, goka.WithViewStorageBuilder(writeback.Builder(StoragePath(dataDir, spec.table))))
		}
		if cfg.ClientID != "" {
			opts = append(opts, goka.WithViewClientID(cfg.ClientID+"-view-"+string(spec.table)))
		}
		opts = append(opts, extra...)
		v, err := goka.NewView(cfg.Brokers, spec.table, spec.codec, opts...)
		if err != nil {
			return nil, fmt.Errorf("create view %s: %w", spec.table, err)
		}
		s.tables = append(s.tables, &table{name: spec.table, view: v, guard: s.guard})
	}
	s.restaurants = &Restaurants{t: s.tables[0]}
	s.users = &Users{t: s.tables[1]}
	s.global = &Global{t: s.tables[2]}
	s.orders = &Orders{t: s.tables[3]}
	s.inboxes = &Inboxes{t: s.tables[4]}
	s.catalog = &Catalog{t: s.tables[5]}
	return s, nil
}

// Restaurants is the view of restaurant.Table.
func (s *Set) Restaurants() *Restaurants { return s.restaurants }

// Users is the view of user.Table.
func (s *Set) Users() *Users { return s.users }

// Global is the view of global.Table.
func (s *Set) Global() *Global { return s.global }

// Orders is the view of lifecycle.Table.
func (s *Set) Orders() *Orders { return s.orders }

// Inboxes is the view of inbox.Table.
func (s *Set) Inboxes() *Inboxes { return s.inboxes }

// Catalog is the view of catalog.Table.
func (s *Set) Catalog() *Catalog { return s.catalog }

// Run runs every view until ctx ends or one of them fails, and returns
// their errors joined. Run may be called once: goka closes a view's storage
// when it stops. Reads are refused with ErrUnavailable from the moment ctx
// ends, and the storage closes only after the reads in flight have
// finished. (A view that fails on its own closes its storage under goka's
// control; the views run with auto-reconnect, so that is rare.)
func (s *Set) Run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	// The views get a context of their own, cancelled only once no read
	// can reach them any more.
	viewCtx, stopViews := context.WithCancel(context.WithoutCancel(ctx))
	defer stopViews()
	for _, t := range s.tables {
		g.Go(func() error {
			s.logger.Debug("view starting", "view", string(t.name))
			err := t.view.Run(viewCtx)
			switch {
			case err != nil:
				return fmt.Errorf("view %s: %w", t.name, err)
			case viewCtx.Err() == nil:
				return fmt.Errorf("view %s stopped on its own", t.name)
			}
			return nil
		})
	}
	g.Go(func() error {
		<-gctx.Done()
		s.guard.close()
		stopViews()
		return nil
	})
	return g.Wait()
}

// NotReady lists the tables whose views have not recovered, in the order
// restaurant, user, global, lifecycle, inbox, catalog; all of them once
// the set has stopped.
func (s *Set) NotReady() []string {
	var out []string
	for _, t := range s.tables {
		if !t.recovered() {
			out = append(out, string(t.name))
		}
	}
	return out
}

// Recovered reports whether every view has recovered (caught up with its
// table topic) and the set has not stopped.
func (s *Set) Recovered() bool { return len(s.NotReady()) == 0 }

// Each calls f with every table and its goka view, to attach them to
// goka's monitor or to metrics.
func (s *Set) Each(f func(table string, v *goka.View)) {
	for _, t := range s.tables {
		f(string(t.name), t.view)
	}
}
