// Package cache is a record cache for goka group tables, as Kafka Streams
// caches its state stores: a callback updates the decoded value kept in
// memory, and the table (local storage and changelog) is written with the
// latest value of each changed key once per flush, not once per message;
// a key updated to no value is deleted, a tombstone in the changelog.
// The messages behind a flush are committed only after its changelog
// records are acknowledged, so a crash loses nothing that was committed.
//
// A flush starts as soon as the previous one of the partition is
// acknowledged: under a light load each message is written at once, as
// goka writes it; under a heavy one, every update made while a flush is in
// flight is coalesced into the next. A hot key (a restaurant, a global
// shard) is encoded, stored and produced once per flush instead of once per
// order. A table whose readers can wait asks for a flush interval
// (Interval), as Kafka Streams' commit interval: then a partition flushes
// at most once per interval, and under a light load too the updates of
// the interval go out as one batch, each changed key once.
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
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/storage"
)

// MaxClean is how many unchanged values a partition keeps after a flush
// by default; more are dropped (they are read from the local table again
// when needed).
const MaxClean = 4096

// Option configures a Table.
type Option func(*options)

type options struct {
	interval time.Duration
	maxClean int
}

// Interval makes a partition flush at most once per d: updates wait for
// the next flush up to d, and the messages behind them are committed
// after it. Zero (the default) flushes as soon as the previous flush is
// acknowledged.
func Interval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// KeepClean sets how many unchanged values a partition keeps after a
// flush (MaxClean by default): fewer for large values.
func KeepClean(n int) Option { return func(o *options) { o.maxClean = n } }

// Cache is a table cache, as a processor's runner sees it
// (runner.Graph.Cache).
type Cache interface {
	// Attach makes the cache write to rt, in the processor rt belongs
	// to; detach, called once that processor stopped, makes it write
	// through again.
	Attach(rt *Runtime) (detach func(), err error)
}

// Runtime is what a running processor gives its cached table.
type Runtime struct {
	// Table is the group table cached, whose codec encodes the values.
	Table goka.Table
	Codec goka.Codec
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
	opts options
	sessions[*partition[T]]
}

// New returns a table cache. The group's callbacks update their table
// through it, and the group hands it to its runner (runner.Graph.Cache),
// which attaches it to the running processor: until then, and in goka's
// tester, it writes through.
func New[T any](opts ...Option) *Table[T] {
	t := &Table[T]{opts: options{maxClean: MaxClean}}
	for _, o := range opts {
		o(&t.opts)
	}
	return t
}

// Attach implements Cache. A graph runs in one processor at a time: define
// it again for another.
func (t *Table[T]) Attach(rt *Runtime) (detach func(), err error) {
	detach, err = t.attach(rt)
	if err != nil {
		return nil, fmt.Errorf("cache of %s: %w", rt.Table, err)
	}
	return detach, nil
}

// Update sets ctx's key to fn of its current value (nil if none); fn may
// change the value it is given and return it, or return nil to delete the
// key (a tombstone in the changelog). fn runs with the partition's cache
// locked: compute what the callback emits inside it.
func (t *Table[T]) Update(ctx goka.Context, fn func(v *T) *T) {
	t.Change(ctx, func(v *T) (*T, bool) { return fn(v), true })
}

// Change is Update for a callback that may leave the value as it was: fn
// returns the new value (nil deletes the key) and whether it is one. An
// unchanged value is not written, and the message's commit does not wait
// for a flush; a value read from the local table for it stays cached, for
// the key's next message. fn must not change the value it is given unless it reports a
// change.
func (t *Table[T]) Change(ctx goka.Context, fn func(v *T) (next *T, changed bool)) {
	p := t.partition(ctx)
	if p == nil {
		v, _ := ctx.Value().(*T)
		switch next, changed := fn(v); {
		case !changed:
		case next == nil:
			ctx.Delete()
		default:
			ctx.SetValue(next)
		}
		return
	}
	p.change(ctx, fn)
}

// partition returns the cache of ctx's partition session, starting it, or
// nil when t writes through.
func (t *Table[T]) partition(ctx goka.Context) *partition[T] {
	p, _ := t.get(ctx, func(rt *Runtime) (*partition[T], loop) {
		topic := string(rt.Table)
		st, ok := rt.Storage(topic, ctx.Partition())
		if !ok {
			ctx.Fail(fmt.Errorf("cache: no local storage of %s/%d", topic, ctx.Partition())) // panics
		}
		p := &partition[T]{
			topic: topic, enc: rt.Codec, opts: t.opts, st: st, producer: rt.Producer, flushed: rt.Flushed,
			pending: newPending(), values: map[string]*T{}, dirty: map[string]bool{},
		}
		// It flushes whenever there is something to flush, the
		// previous flush is acknowledged and the interval since it
		// started has passed; callbacks still running when the
		// session ended flush their own updates.
		return p, p.loop(t.opts.interval, p.flush)
	})
	return p
}

// partition is the cache of one partition session: goka starts a new one
// (a new context) whenever the partition is assigned.
type partition[T any] struct {
	topic    string
	enc      goka.Codec
	opts     options
	st       storage.Storage
	producer goka.Producer
	flushed  func(records int, err error)

	pending               // the commits behind the dirty values
	values  map[string]*T // nil: the key is deleted (dirty) or absent
	dirty   map[string]bool
}

func (p *partition[T]) change(ctx goka.Context, fn func(v *T) (*T, bool)) {
	p.mu.Lock()
	key := ctx.Key()
	v, ok := p.values[key]
	if !ok {
		v, _ = ctx.Value().(*T)
	}
	next, changed := fn(v)
	if !changed {
		if !ok && v != nil {
			p.values[key] = v
			p.evictLocked()
		}
		p.mu.Unlock()
		return
	}
	p.values[key] = next
	p.dirty[key] = true
	p.addedUnlock(ctx, p.flush)
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
		var b []byte // nil: a deletion
		if v := p.values[k]; v != nil {
			var e error
			if b, e = p.enc.Encode(v); e != nil {
				err = errors.Join(err, fmt.Errorf("encode %s: %w", k, e))
				continue
			}
		}
		keys, data = append(keys, k), append(data, b)
	}
	commits := p.takeLocked()
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

// write stores and produces the values (a nil one deletes its key and is
// produced as a tombstone), waits for the acknowledgements and sets the
// table offset, as goka's SetValue and Delete do for one value.
func (p *partition[T]) write(keys []string, data [][]byte) error {
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   error
		offset int64 = -1
	)
	for i, k := range keys {
		var err error
		if data[i] == nil {
			err = p.st.Delete(k)
		} else {
			err = p.st.Set(k, data[i])
		}
		if err != nil {
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

// evictLocked drops unchanged values beyond the clean ones kept.
func (p *partition[T]) evictLocked() {
	for k := range p.values {
		if len(p.values) <= p.opts.maxClean {
			return
		}
		if !p.dirty[k] {
			delete(p.values, k)
		}
	}
}
