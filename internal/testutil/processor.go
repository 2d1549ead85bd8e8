package testutil

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/processors/streams"
)

// StartProcessor runs g in tt until the test ends, and returns the
// processor (for its visitors). It builds the processor
// with opts and goka.WithTester(tt), so it is registered with tt before
// StartProcessor returns and tt.Consume reaches it. At cleanup it cancels the
// processor, waits for Run to return and reports an error Run returned.
func StartProcessor(t testing.TB, tt *tester.Tester, g *goka.GroupGraph, opts ...goka.ProcessorOption) *goka.Processor {
	t.Helper()
	// Clip: appending must not write into the caller's backing array.
	p, err := goka.NewProcessor(nil, g, append(slices.Clip(opts), goka.WithTester(tt))...)
	if err != nil {
		t.Fatalf("new processor %s: %v", g.Group(), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run %s: %v", g.Group(), err)
		}
	})
	return p
}

// CheckTable requires table in tt to hold want: each key's value
// reflect.DeepEqual to want's, and as many keys as want has.
func CheckTable[V any](t testing.TB, tt *tester.Tester, table goka.Table, want map[string]V) {
	t.Helper()
	for key, w := range want {
		if got := tt.TableValue(table, key); !reflect.DeepEqual(got, w) {
			t.Errorf("%s[%s] =\n%+v\nwant\n%+v", table, key, got, w)
		}
	}
	if keys := tt.GetTableKeys(table); len(keys) != len(want) {
		t.Errorf("%s keys = %v, want %d keys", table, keys, len(want))
	}
}

// Drain takes every message left in q, requires each to have key, and returns
// their values in order. The project's codecs decode to *V, so that is what a
// value must be; Drain dereferences it. No message gives a nil slice.
func Drain[V any](t testing.TB, q *tester.QueueTracker, key string) []V {
	t.Helper()
	var out []V
	for {
		k, value, ok := q.Next()
		if !ok {
			return out
		}
		if k != key {
			t.Errorf("message key = %q, want %q", k, key)
		}
		v, isV := value.(*V)
		if !isV || v == nil {
			t.Fatalf("message %q: value %T(%+v), want a non-nil %T", k, value, value, v)
		}
		out = append(out, *v)
	}
}

// DrainDeltas is Drain for the delta batches under key: their deltas, in
// order, or nil if none.
func DrainDeltas(t testing.TB, q *tester.QueueTracker, key string) []streams.Delta {
	t.Helper()
	var out []streams.Delta
	for _, b := range Drain[streams.DeltaBatch](t, q, key) {
		out = append(out, b.Deltas...)
	}
	return out
}
