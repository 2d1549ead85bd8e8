// Package cache is a record cache for goka group tables, as Kafka Streams
// caches its state stores: a callback updates the decoded value kept in
// memory, and the table (local storage and changelog) is written with the
// latest value of each changed key once per flush, not once per message.
// The messages behind a flush are committed only after its changelog
// records are acknowledged, so a crash loses nothing that was committed.
//
// A flush starts as soon as the previous one of the partition is
// acknowledged: under a light load each message is written at once, as
// goka writes it; under a heavy one, every update made while a flush is in
// flight is coalesced into the next. A hot key (a restaurant, a global
// shard) is encoded, stored and produced once per flush instead of once per
// order.
//
// Exactness. Every callback that changes a key defers its message's
// commit (goka's DeferCommit) until a flush holding the key's value after
// that change is acknowledged; goka commits a message only when its emits
// are acknowledged too, and kafkaconf's ordered group commits in order. A
// flush writes the local storage before producing the changelog and sets
// the table offset after the acknowledgement, as goka does, so a crash
// leaves the table at a flush boundary at or past every committed message,
// and the redelivered ones are deduplicated by the values' positions
// (processors/exactly).
//
// A Table not attached to a running processor (goka's tester) writes
// through ctx.SetValue on every update.
package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
)

// MaxClean is how many unchanged values a partition keeps after a flush;
// more are dropped (they are read from the local table again when needed).
const MaxClean = 4096

// Runtime is what a running processor gives its cached tables.
type Runtime struct {
	// Storage returns the local storage of a table topic's partition, as
	// goka's storage builder last built it.
	Storage func(topic string, partition int32) (storage.Storage, bool)
	// Producer writes the changelog records.
	Producer goka.Producer
	// Flushed, if set, is called after every flush that wrote something,
	// with the number of records written and the flush's error (metrics).
	Flushed func(records int, err error)
}

// Table is the cache of one group table whose values are *T.
type Table[T any] struct {
	topic string
	enc   goka.Codec

	mu    sync.Mutex
	rt    *Runtime
	parts map[context.Context]*partition[T]
}

// New returns a table cache. Register it with the group's graph, whose
// table it caches, encoding values with the table's codec.
func New[T any]() *Table[T] { return new(Table[T]) }

// attach makes t cache, in the processor rt belongs to. A graph runs in
// one processor at a time: define it again for another.
func (t *Table[T]) attach(rt *Runtime) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rt != nil {
		return fmt.Errorf("cache of %s: the graph runs in another processor already", t.topic)
	}
	t.rt = rt
	t.parts = map[context.Context]*partition[T]{}
	return nil
}

// detach makes t write through again; the partitions were stopped.
func (t *Table[T]) detach() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rt, t.parts = nil, nil
}

// Update sets ctx's key to fn of its current value (nil if none); fn may
// change the value it is given and return it. fn runs with the partition's
// cache locked: compute what the callback emits inside it.
func (t *Table[T]) Update(ctx goka.Context, fn func(v *T) *T) {
	p := t.partition(ctx)
	if p == nil {
		v, _ := ctx.Value().(*T)
		ctx.SetValue(fn(v))
		return
	}
	p.update(ctx, fn)
}

// partition returns the cache of ctx's partition session, starting it, or
// nil when t writes through.
func (t *Table[T]) partition(ctx goka.Context) *partition[T] {
	session := ctx.Context()
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.rt == nil {
		return nil
	}
	if p, ok := t.parts[session]; ok {
		return p
	}
	st, ok := t.rt.Storage(t.topic, ctx.Partition())
	if !ok {
		ctx.Fail(fmt.Errorf("cache: no local storage of %s/%d", t.topic, ctx.Partition())) // panics
	}
	p := &partition[T]{
		topic: t.topic, enc: t.enc, st: st, producer: t.rt.Producer, flushed: t.rt.Flushed,
		values: map[string]*T{}, dirty: map[string]bool{}, wake: make(chan struct{}, 1),
	}
	t.parts[session] = p
	go func() {
		p.run(session)
		t.mu.Lock()
		delete(t.parts, session)
		t.mu.Unlock()
	}()
	return p
}

// partition is the cache of one partition session: goka starts a new one
// (a new context) whenever the partition is assigned.
type partition[T any] struct {
	topic    string
	enc      goka.Codec
	st       storage.Storage
	producer goka.Producer
	flushed  func(records int, err error)
	wake     chan struct{}

	flushing sync.Mutex // one flush at a time, in order
	mu       sync.Mutex
	values   map[string]*T
	dirty    map[string]bool
	commits  []func(error) // of the messages behind the dirty values
	closed   bool          // the session ended: callbacks flush themselves
}

func (p *partition[T]) update(ctx goka.Context, fn func(v *T) *T) {
	p.mu.Lock()
	key := ctx.Key()
	v, ok := p.values[key]
	if !ok {
		v, _ = ctx.Value().(*T)
	}
	p.values[key] = fn(v)
	p.dirty[key] = true
	p.commits = append(p.commits, ctx.DeferCommit())
	closed := p.closed
	p.mu.Unlock()
	if closed {
		// The session ended while this callback ran, and goka waits
		// for it: write it now, after the last flush.
		p.flush()
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run flushes whenever there is something to flush and the previous flush
// is acknowledged, until the session ends; then it flushes what is left,
// and callbacks still running flush their own updates.
func (p *partition[T]) run(session context.Context) {
	for {
		select {
		case <-p.wake:
			p.flush()
		case <-session.Done():
			p.mu.Lock()
			p.closed = true
			p.mu.Unlock()
			p.flush()
			return
		}
	}
}

// flush writes the dirty values and, once the changelog acknowledged all
// of them, commits the messages behind them. A failed flush fails those
// messages, which fails the processor.
func (p *partition[T]) flush() {
	p.flushing.Lock()
	defer p.flushing.Unlock()

	p.mu.Lock()
	keys := make([]string, 0, len(p.dirty))
	data := make([][]byte, 0, len(p.dirty))
	var err error
	for k := range p.dirty {
		b, e := p.enc.Encode(p.values[k])
		if e != nil {
			err = errors.Join(err, fmt.Errorf("encode %s: %w", k, e))
			continue
		}
		keys, data = append(keys, k), append(data, b)
	}
	commits := p.commits
	p.commits = nil
	clear(p.dirty)
	p.mu.Unlock()

	if len(commits) == 0 {
		return
	}
	if err == nil {
		err = p.write(keys, data)
	}
	for _, c := range commits {
		c(err)
	}
	if p.flushed != nil {
		p.flushed(len(keys), err)
	}
	// What was flushed is in the local table now: unchanged values may
	// be read from there again.
	p.mu.Lock()
	p.evictLocked()
	p.mu.Unlock()
}

// write stores and produces the values, waits for the acknowledgements and
// sets the table offset, as goka's SetValue does for one value.
func (p *partition[T]) write(keys []string, data [][]byte) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   error
		offset int64 = -1
	)
	for i, k := range keys {
		if err := p.st.Set(k, data[i]); err != nil {
			mu.Lock()
			errs = errors.Join(errs, fmt.Errorf("store %s: %w", k, err))
			mu.Unlock()
			break
		}
		wg.Add(1)
		p.producer.Emit(p.topic, k, data[i]).ThenWithMessage(func(msg *sarama.ProducerMessage, err error) {
			mu.Lock()
			defer mu.Unlock()
			defer wg.Done()
			if err != nil {
				errs = errors.Join(errs, err)
			} else if msg != nil {
				offset = max(offset, msg.Offset)
			}
		})
	}
	wg.Wait()
	if errs != nil {
		return errs
	}
	if offset >= 0 {
		return p.st.SetOffset(offset)
	}
	return nil
}

// evictLocked drops unchanged values beyond MaxClean.
func (p *partition[T]) evictLocked() {
	for k := range p.values {
		if len(p.values) <= MaxClean {
			return
		}
		if !p.dirty[k] {
			delete(p.values, k)
		}
	}
}

// tables maps the graphs to their caches, for the runner.
var tables sync.Map // *goka.GroupGraph → attacher

type attacher interface {
	attach(*Runtime) error
	detach()
}

// Register makes t the cache of gg's table and returns gg.
func Register[T any](gg *goka.GroupGraph, t *Table[T]) *goka.GroupGraph {
	t.topic, t.enc = gg.GroupTable().Topic(), gg.GroupTable().Codec()
	tables.Store(gg, attacher(t))
	return gg
}

// Has reports whether gg's table has a cache.
func Has(gg *goka.GroupGraph) bool {
	_, ok := tables.Load(gg)
	return ok
}

// Attach attaches gg's cache to rt. Call detach once the processor
// stopped: the cache writes through from then on.
func Attach(gg *goka.GroupGraph, rt *Runtime) (detach func(), err error) {
	a, ok := tables.Load(gg)
	if !ok {
		return func() {}, nil
	}
	if err := a.(attacher).attach(rt); err != nil {
		return nil, err
	}
	return a.(attacher).detach, nil
}
