// Package liveview runs a goka view that is rebuilt whole each time it
// runs, and lets readers reach only an instance that is open.
//
// goka closes a view's partitions when its Run returns, failed or
// stopped, and clears its partition slice unsynchronised, without waiting
// for the partitions to close; a Get, Recovered or Stats racing with that
// reads a slice being cleared, and can divide by its zero length (the
// notifier's catalog view did). So readers here never touch goka's
// partitions: Get and Each read the partition storages this package built
// for the instance, behind the instance's lock, and the instance is closed
// to readers (the write lock taken, so after the reads in flight) before
// goka may close it: before its context is cancelled, and, should it stop
// on its own, when goka first closes one of its storages. A failed view is
// replaced by a new instance (goka views cannot be Run twice) on the next
// Run; its local storage is reused.
package liveview

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
)

// ErrUnavailable is returned by Get and Each while no instance is open and caught
// up: before the first recovery, and while a failed view is rebuilt.
var ErrUnavailable = errors.New("view unavailable")

// View is a goka view of one table, rebuilt on each Run.
type View struct {
	table   goka.Table
	st      storage.Builder
	codec   goka.Codec
	build   func(st storage.Builder) (*goka.View, error)
	current atomic.Pointer[instance]
	started func(*goka.View)
	// next is an instance built but not run yet: the first, built by New.
	next  *instance
	first *goka.View
	mu    sync.Mutex
}

// New returns a View of table: each Run runs a fresh instance,
// goka.NewView(brokers, table, codec, opts..., storage st). New builds the
// first, so that a missing topic or a bad option shows at once. started,
// if not nil, is called with every instance before it runs.
func New(brokers []string, table goka.Table, codec goka.Codec, st storage.Builder, started func(*goka.View), opts ...goka.ViewOption) (*View, error) {
	v := &View{table: table, st: st, codec: codec, started: started}
	v.build = func(guarded storage.Builder) (*goka.View, error) {
		all := append(append([]goka.ViewOption(nil), opts...), goka.WithViewStorageBuilder(guarded))
		return goka.NewView(brokers, table, codec, all...)
	}
	in, err := v.instance()
	if err != nil {
		return nil, err
	}
	v.next = in
	return v, nil
}

// First is the first instance's goka view, for goka's monitor, which
// takes a *goka.View. It is not replaced when the view restarts.
func (v *View) First() *goka.View {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.next != nil {
		return v.next.view
	}
	return v.first
}

// Table is the view's table.
func (v *View) Table() goka.Table { return v.table }

// instance is one goka view and the lock that keeps reads off it once it
// closes.
type instance struct {
	view   *goka.View
	mu     sync.RWMutex
	closed bool
	// parts are the partitions' storages, by partition, as built.
	parts map[int32]storage.Storage
	// ready latches the first recovery: afterwards reads are served even
	// while goka reconnects a partition, from the data already there.
	ready atomic.Bool
}

// retire refuses reads from now on, once the reads in flight finished.
func (in *instance) retire() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
}

// guardedStorage retires its instance before the first close of a
// partition's storage.
type guardedStorage struct {
	storage.Storage
	in *instance
}

func (s guardedStorage) Close() error {
	s.in.retire()
	return s.Storage.Close()
}

// Run builds a new instance of the view, makes it the one readers reach,
// and runs it until ctx ends or it fails. The instance is closed to
// readers before goka closes it.
func (v *View) Run(ctx context.Context) error {
	v.mu.Lock()
	in := v.next
	v.next = nil
	if in != nil {
		v.first = in.view
	}
	v.mu.Unlock()
	if in == nil {
		var err error
		if in, err = v.instance(); err != nil {
			return err
		}
	}
	gv := in.view
	if v.started != nil {
		v.started(gv)
	}
	v.current.Store(in)
	// The instance closes to readers before goka's view may close: when
	// ctx ends, before the view's own context is cancelled.
	viewCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			in.retire()
			stop()
		case <-stopped:
		}
	}()
	defer in.retire()
	err := gv.Run(viewCtx)
	switch {
	case err != nil:
		return fmt.Errorf("view %s: %w", v.table, err)
	case ctx.Err() == nil:
		return fmt.Errorf("view %s stopped on its own", v.table)
	}
	return nil
}

// instance builds a new instance.
func (v *View) instance() (*instance, error) {
	in := &instance{parts: map[int32]storage.Storage{}}
	gv, err := v.build(func(topic string, partition int32) (storage.Storage, error) {
		s, err := v.st(topic, partition)
		if err != nil {
			return nil, err
		}
		in.mu.Lock()
		in.parts[partition] = s
		in.mu.Unlock()
		return guardedStorage{Storage: s, in: in}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("create view %s: %w", v.table, err)
	}
	in.view = gv
	return in, nil
}

// read runs f on the current instance while it stays open, once it has
// recovered; otherwise it returns ErrUnavailable.
func (v *View) read(f func(in *instance) error) error {
	in := v.current.Load()
	if in == nil {
		return fmt.Errorf("view %s still recovering: %w", v.table, ErrUnavailable)
	}
	in.mu.RLock()
	defer in.mu.RUnlock()
	if in.closed {
		return fmt.Errorf("view %s stopped: %w", v.table, ErrUnavailable)
	}
	if !in.ready.Load() {
		// CurrentState is goka's own synchronised state; Running means
		// every partition recovered, and so has its storage.
		if in.view.CurrentState() != goka.ViewStateRunning {
			return fmt.Errorf("view %s still recovering: %w", v.table, ErrUnavailable)
		}
		in.ready.Store(true)
	}
	return f(in)
}

// Recovered reports whether the current instance is open and has
// recovered (caught up with its table) at least once.
func (v *View) Recovered() bool {
	return v.read(func(*instance) error { return nil }) == nil
}

// Get returns the decoded value of key, nil if the table lacks it.
func (v *View) Get(key string) (any, error) {
	var val any
	err := v.read(func(in *instance) error {
		st, ok := in.parts[partition(key, len(in.parts))]
		if !ok {
			return fmt.Errorf("view %s: no storage for key %q", v.table, key)
		}
		data, err := st.Get(key)
		if err != nil || data == nil {
			return err
		}
		val, err = v.codec.Decode(data)
		return err
	})
	return val, err
}

// partition is the partition of key among n, as goka's default hasher
// places it (goka.DefaultHasher, as View.Get does).
func partition(key string, n int) int32 {
	if n == 0 {
		return -1
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	p := int32(h.Sum32())
	if p < 0 {
		p = -p
	}
	return p % int32(n)
}

// Each calls f with every key and decoded value, partition by partition
// in key order, until f returns an error.
func (v *View) Each(f func(key string, val any) error) error {
	return v.read(func(in *instance) error {
		for p := range int32(len(in.parts)) {
			if err := each(in.parts[p], v.codec, f); err != nil {
				return err
			}
		}
		return nil
	})
}

func each(st storage.Storage, codec goka.Codec, f func(key string, val any) error) error {
	it, err := st.Iterator()
	if err != nil {
		return err
	}
	defer it.Release()
	for it.Next() {
		data, err := it.Value()
		if err != nil {
			return fmt.Errorf("key %s: %w", it.Key(), err)
		}
		if data == nil {
			continue
		}
		val, err := codec.Decode(data)
		if err != nil {
			return fmt.Errorf("key %s: %w", it.Key(), err)
		}
		if err := f(string(it.Key()), val); err != nil {
			return err
		}
	}
	return it.Err()
}

// Stats is the current instance's statistics once it has recovered, and
// empty otherwise: for the metrics and goka's monitor, which must not
// read a closing view either.
func (v *View) Stats(ctx context.Context) *goka.ViewStats {
	var stats *goka.ViewStats
	_ = v.read(func(in *instance) error {
		stats = in.view.Stats(ctx)
		return nil
	})
	if stats == nil {
		stats = &goka.ViewStats{Partitions: map[int32]*goka.TableStats{}}
	}
	return stats
}
