package views

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lovoo/goka"
)

// guard keeps reads off the views once they stop. goka closes a view's
// partitions when its Run returns and then sets them to nil, unsynchronised;
// a Get racing with that can index a nil slice. Reads hold the read lock;
// closing takes the write lock, so it waits for the reads in flight.
type guard struct {
	mu     sync.RWMutex
	closed bool
}

func (g *guard) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
}

// table is one goka view behind the set's guard.
type table struct {
	name  goka.Table
	view  *goka.View
	guard *guard
	// ready latches the view's first recovery: afterwards reads are served
	// even while goka reconnects a partition, from the data already there.
	ready atomic.Bool
}

// recovered reports whether the view is recovered now and still open.
func (t *table) recovered() bool {
	t.guard.mu.RLock()
	defer t.guard.mu.RUnlock()
	if t.guard.closed {
		return false
	}
	if t.view.Recovered() {
		t.ready.Store(true)
		return true
	}
	return false
}

// read runs f on the view unless it is closed or has never recovered.
func (t *table) read(f func(v *goka.View) error) error {
	t.guard.mu.RLock()
	defer t.guard.mu.RUnlock()
	if t.guard.closed {
		return fmt.Errorf("view %s stopped: %w", t.name, ErrUnavailable)
	}
	if !t.ready.Load() {
		if !t.view.Recovered() {
			return fmt.Errorf("view %s still recovering: %w", t.name, ErrUnavailable)
		}
		t.ready.Store(true)
	}
	return f(t.view)
}

// get reads key as a *T; ErrNotFound when the table lacks it.
func get[T any](t *table, key string) (*T, error) {
	var raw any
	err := t.read(func(v *goka.View) error {
		var err error
		raw, err = v.Get(key)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("get %q from %s: %w", key, t.name, ErrNotFound)
	}
	val, ok := raw.(*T)
	if !ok {
		return nil, fmt.Errorf("get %q from %s: value is %T, want %T", key, t.name, raw, val)
	}
	return val, nil
}

// getter is get for goka's query UI, which wants a nil value for a
// missing key.
func (t *table) getter(key string) (any, error) {
	var raw any
	err := t.read(func(v *goka.View) error {
		var err error
		raw, err = v.Get(key)
		return err
	})
	return raw, err
}

// each calls f with every value of the table, in key order per partition.
// It stops at the first error f returns.
func each[T any](t *table, f func(key string, val *T) error) error {
	err := t.read(func(v *goka.View) error {
		it, err := v.Iterator()
		if err != nil {
			return err
		}
		defer it.Release()
		for it.Next() {
			raw, err := it.Value()
			if err != nil {
				return fmt.Errorf("key %s: %w", it.Key(), err)
			}
			if raw == nil {
				continue
			}
			val, ok := raw.(*T)
			if !ok {
				return fmt.Errorf("key %s: value is %T, want %T", it.Key(), raw, val)
			}
			if err := f(it.Key(), val); err != nil {
				return err
			}
		}
		return it.Err()
	})
	if err != nil {
		return fmt.Errorf("iterate %s: %w", t.name, err)
	}
	return nil
}
