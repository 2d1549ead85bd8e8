// Package views serves the group tables of the processors and the
// catalog: typed wrappers over goka views, so that no caller type-asserts
// a table value, and the HTTP JSON API, the event stream, goka's monitor
// and query UI and the metrics endpoint on top.
package views

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/liveview"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/internal/writeback"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/user"
)

// ErrNotFound is returned by the getters for a key the table does not hold.
var ErrNotFound = errors.New("not found")

// ErrUnavailable is returned while a view has not recovered yet, while it
// restarts and after it stopped: the data is not there to be read,
// through no fault of the caller.
var ErrUnavailable = liveview.ErrUnavailable

// Set is the views of the tables the API serves, run together.
type Set struct {
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
	return newSet(cfg, dataDir, nil, logger, extra...)
}

// newSet is New with the views' storage from st, if not nil (goka's
// tester keeps the tables in storages of its own).
func newSet(cfg kafkaconf.Config, dataDir string, st storage.Builder, logger *slog.Logger, extra ...goka.ViewOption) (*Set, error) {
	s := &Set{logger: logger}
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
		st := st
		switch {
		case st != nil:
		case dataDir == "":
			st = storage.MemoryBuilder()
		default:
			st = writeback.Builder(StoragePath(dataDir, spec.table))
		}
		if cfg.ClientID != "" {
			opts = append(opts, goka.WithViewClientID(cfg.ClientID+"-view-"+string(spec.table)))
		}
		opts = append(opts, extra...)
		v, err := liveview.New(cfg.Brokers, spec.table, spec.codec, st, nil, opts...)
		if err != nil {
			return nil, err
		}
		s.tables = append(s.tables, &table{name: spec.table, view: v})
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

// Run runs every view until ctx ends, each supervised: a view that fails
// for a reason that can pass is rebuilt and run again, reusing its local
// storage. It returns nil once ctx ended, or the error of a view that
// failed for a reason that cannot pass. Reads are refused with
// ErrUnavailable while a view restarts and once it stopped, and a view
// closes only after the reads in flight have finished (liveview).
// Commands that show the views on /readyz supervise Components instead.
func (s *Set) Run(ctx context.Context) error {
	return supervise.Run(ctx, supervise.Options{Logger: s.logger}, s.Components()...)
}

// Components are the views as supervised components, "view/<table>".
func (s *Set) Components() []supervise.Component {
	var comps []supervise.Component
	for _, t := range s.tables {
		comps = append(comps, supervise.Component{Name: "view/" + string(t.name), Run: t.view.Run, Ready: t.recovered})
	}
	return comps
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

// Each calls f with every table and its view, to attach them to metrics:
// the view's Stats are those of its current instance.
func (s *Set) Each(f func(table string, v *liveview.View)) {
	for _, t := range s.tables {
		f(string(t.name), t.view)
	}
}
