// Package ingest is the entry of the pipeline: it validates every record of
// the public "orders" topic, sends invalid ones to the dead-letter topic and
// repartitions valid ones by order id, as the placed requests that start
// their lifecycle. Writers of "orders" may use any
// partitioner; goka expects a key in the partition its own hasher picks, so
// no state is touched before this stateless hop.
//
// Ingest is the one stage that is not a goka processor. goka is
// at-least-once: a stateless goka processor killed between emitting and
// committing its input emits again after the restart, and the dead-letter
// topic, which nothing downstream deduplicates, would hold the same invalid
// record twice. Run is a Kafka transaction loop instead (consume, transform,
// produce, and commit the input offsets in the same transaction), so that
// every record of "orders" appears on exactly one of the two outputs,
// exactly once, for readers that read committed records only, as every
// goka client of the system does.
package ingest

import (
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// Group is the consumer group of the ingest stage. Its committed offsets on
// "orders" carry over from the goka processor of the same name that ingest
// once was.
const Group goka.Group = "ingest"

// Output is where valid orders go, keyed by order_id: the lifecycle's
// requests, each order as the placed request that starts its lifecycle
// (streams.PlacedRequest).
const Output = streams.Requests

// DLQ is the dead-letter topic: the original bytes and key of every invalid
// record, with the reason and its origin in headers.
const DLQ goka.Stream = "orders-dlq"

// Dead-letter headers.
const (
	HeaderReason    = "x-dlq-reason"
	HeaderError     = "x-dlq-error"
	HeaderTopic     = "x-dlq-topic"
	HeaderPartition = "x-dlq-partition"
	HeaderOffset    = "x-dlq-offset"
	// HeaderTruncated is set, to the original length of the value, on the
	// rare dead letter whose value was cut to MaxDeadLetterBytes.
	HeaderTruncated = "x-dlq-truncated"
)

// Placement is a valid order with the position it had on "orders".
type Placement struct {
	Order  order.Order `json:"order"`
	Source exactly.Pos `json:"source"`
}

// Request is the placed request ingest writes for p.
func (p *Placement) Request() *streams.Request { return streams.PlacedRequest(&p.Order, p.Source) }

// Hooks observe what ingest decides; nil fields are skipped.
type Hooks struct {
	// Invalid is called once per dead letter, after the transaction that
	// wrote it committed.
	Invalid func(reason order.Reason, err error)
	// Ended is called once per transaction Run ends, committed or
	// aborted (metrics). goka's tester path (Define) has no transactions
	// and never calls it.
	Ended func(Transaction)
}

// Transaction is what one transaction of Run did. An aborted one wrote
// nothing: its records are read again by the next.
type Transaction struct {
	Committed bool
	// Records is how many records of "orders" it consumed; Placed and
	// DeadLetters how many it wrote to Output and to DLQ.
	Records, Placed, DeadLetters int
}

func (h Hooks) invalid(v Verdict) {
	if h.Invalid != nil {
		h.Invalid(v.Reason, v.Err)
	}
}

func (h Hooks) ended(t Transaction) {
	if h.Ended != nil {
		h.Ended(t)
	}
}

// Define describes ingest as a goka group graph: one input, two outputs.
// Topic provisioning takes the topics from it, and goka's tester runs it
// where the whole topology runs in one process without a broker; the
// callback routes with the same Judge and DeadLetter as Run. Production
// runs Run, never this graph: as a goka processor, ingest would be
// at-least-once.
func Define(h Hooks) *goka.GroupGraph {
	return goka.DefineGroup(Group,
		goka.Input(order.Stream, new(codec.Bytes), h.ingest),
		goka.Output(Output, new(streams.RequestCodec)),
		goka.Output(DLQ, new(codec.Bytes)),
	)
}

// Options are the goka options the graph of Define needs: null records
// are dead-lettered rather than dropped.
func Options() []goka.ProcessorOption {
	return []goka.ProcessorOption{goka.WithNilHandling(goka.NilProcess)}
}

func (h Hooks) ingest(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	pos := exactly.Pos{Partition: ctx.Partition(), Offset: ctx.Offset()}
	v := Judge(raw, pos)
	if v.Placement == nil {
		h.invalid(v)
		value, headers := DeadLetter(string(ctx.Topic()), pos, raw, v)
		gh := make(goka.Headers, len(headers))
		for _, hd := range headers {
			gh[hd.Key] = hd.Value
		}
		ctx.Emit(DLQ, ctx.Key(), value, goka.WithCtxEmitHeaders(gh))
		return
	}
	ctx.Emit(Output, v.Placement.Order.OrderID, v.Placement.Request())
}
