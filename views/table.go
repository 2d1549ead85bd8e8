package views

import (
	"fmt"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/liveview"
)

// table is one view: a liveview.View, rebuilt whole when it fails, whose
// readers never reach an instance goka is closing.
type table struct {
	name goka.Table
	view *liveview.View
}

// recovered reports whether the view is recovered now and open.
func (t *table) recovered() bool { return t.view.Recovered() }

// get reads key as a *T; ErrNotFound when the table lacks it.
func get[T any](t *table, key string) (*T, error) {
	raw, err := t.view.Get(key)
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
func (t *table) getter(key string) (any, error) { return t.view.Get(key) }

// each calls f with every value of the table, in key order per partition.
// It stops at the first error f returns.
func each[T any](t *table, f func(key string, val *T) error) error {
	err := t.view.Each(func(key string, raw any) error {
		val, ok := raw.(*T)
		if !ok {
			return fmt.Errorf("key %s: value is %T, want %T", key, raw, val)
		}
		return f(key, val)
	})
	if err != nil {
		return fmt.Errorf("iterate %s: %w", t.name, err)
	}
	return nil
}
