package cache

import (
	"errors"
	"fmt"
	"time"

	"github.com/lovoo/goka"
)

// Outbox gathers what a group's callbacks send to one stream under one key
// per partition, and sends each partition's items as one record (several
// if it would be over MaxRecord) at most once per interval, as the record
// cache writes a table: a message's
// commit waits (goka's DeferCommit) until the record holding its item is
// acknowledged, so a crash loses only uncommitted items, which the
// redelivered messages add again. The receiver must tell an item it
// applied already (processors/exactly): a batch made again after a crash
// may have other bounds.
//
// The items of a partition are sent in the order they were added, one
// batch at a time: a partition session's batches land in order (a
// processor's producer keeps one request in flight), and goka starts the
// partition's next session only once this one's commits are done.
//
// An Outbox not attached to a running processor (goka's tester) emits a
// batch of one item per Add through ctx.Emit.
type Outbox[R any] struct {
	stream   goka.Stream
	codec    goka.Codec
	key      func(partition int32) string
	batch    func(items []R) any
	interval time.Duration
	sessions[*outboxPartition[R]]
}

// NewOutbox returns an outbox for stream: key names the record of a
// partition, batch makes its value from the items gathered, which codec
// (the stream's, as the group graph declares its output) encodes.
func NewOutbox[R any](stream goka.Stream, codec goka.Codec, key func(partition int32) string, batch func(items []R) any, interval time.Duration) *Outbox[R] {
	return &Outbox[R]{stream: stream, codec: codec, key: key, batch: batch, interval: interval}
}

// Attach implements Cache: the outbox sends through rt's producer.
func (o *Outbox[R]) Attach(rt *Runtime) (detach func(), err error) {
	detach, err = o.attach(rt)
	if err != nil {
		return nil, fmt.Errorf("outbox of %s: %w", o.stream, err)
	}
	return detach, nil
}

// Add adds item to the next record of ctx's partition.
func (o *Outbox[R]) Add(ctx goka.Context, item R) {
	p := o.partition(ctx)
	if p == nil {
		ctx.Emit(o.stream, o.key(ctx.Partition()), o.batch([]R{item}))
		return
	}
	p.add(ctx, item)
}

// partition returns the outbox of ctx's partition session, starting it,
// or nil when o is not attached.
func (o *Outbox[R]) partition(ctx goka.Context) *outboxPartition[R] {
	p, _ := o.get(ctx, func(rt *Runtime) (*outboxPartition[R], loop) {
		p := &outboxPartition[R]{o: o, key: o.key(ctx.Partition()), producer: rt.Producer, pending: newPending()}
		return p, p.loop(o.interval, p.flush)
	})
	return p
}

// outboxPartition is the outbox of one partition session.
type outboxPartition[R any] struct {
	o        *Outbox[R]
	key      string
	producer goka.Producer

	pending // the commits behind the items
	items   []R
}

func (p *outboxPartition[R]) add(ctx goka.Context, item R) {
	p.mu.Lock()
	p.items = append(p.items, item)
	p.addedUnlock(ctx, p.flush)
}

// flush sends the items gathered as one record and, once it is
// acknowledged, commits the messages behind them; a failure fails those
// messages, which fails the processor.
func (p *outboxPartition[R]) flush() {
	p.flushing.Lock()
	defer p.flushing.Unlock()

	p.mu.Lock()
	items, commits := p.items, p.takeLocked()
	p.items = nil
	p.mu.Unlock()
	if len(items) == 0 {
		return
	}
	records, err := p.encode(items, nil)
	if err == nil {
		// In order: the producer keeps one request in flight.
		dones := make([]chan error, len(records))
		for i, data := range records {
			done := make(chan error, 1)
			p.producer.Emit(string(p.o.stream), p.key, data).Then(func(err error) { done <- err })
			dones[i] = done
		}
		for _, done := range dones {
			err = errors.Join(err, <-done)
		}
	}
	for _, c := range commits {
		c(err)
	}
}

// MaxRecord bounds the value of an outbox record: a broker refuses a
// record larger than its message.max.bytes (1 MiB by default), and a
// partition that gathers more in an interval (a processor catching up
// does) sends it as several records, each of a part of the items, in
// order.
const MaxRecord = 512 << 10

// encode appends to records the values that carry items, in order, each
// of at most MaxRecord bytes unless it holds a single item.
func (p *outboxPartition[R]) encode(items []R, records [][]byte) ([][]byte, error) {
	data, err := p.o.codec.Encode(p.o.batch(items))
	if err != nil {
		return nil, fmt.Errorf("encode %s/%s: %w", p.o.stream, p.key, err)
	}
	if len(data) <= MaxRecord || len(items) == 1 {
		return append(records, data), nil
	}
	half := len(items) / 2
	if records, err = p.encode(items[:half], records); err != nil {
		return nil, err
	}
	return p.encode(items[half:], records)
}
