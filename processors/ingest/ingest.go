// Package ingest is the entry of the pipeline: it validates every record of
// the public "orders" topic, sends invalid ones to the dead-letter topic and
// repartitions valid ones by order id. Writers of "orders" may use any
// partitioner; goka expects a key in the partition its own hasher picks, so
// no state is touched before this stateless hop.
package ingest

import (
	"strconv"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
)

// Group is the goka group of the ingest processor.
const Group goka.Group = "ingest"

// Output is the repartitioned stream of valid orders, keyed by order_id.
const Output goka.Stream = "orders-by-id"

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
)

// Placement is a valid order with the position it had on "orders".
type Placement struct {
	Order  order.Order `json:"order"`
	Source exactly.Pos `json:"source"`
}

// PlacementCodec encodes *Placement.
type PlacementCodec = jsoncodec.Codec[Placement]

// Hooks observe what ingest decides; nil fields are skipped.
type Hooks struct {
	Invalid func(reason order.Reason, err error)
}

// Define returns the ingest group graph.
func Define(h Hooks) *goka.GroupGraph {
	return goka.DefineGroup(Group,
		goka.Input(order.Stream, new(codec.Bytes), h.ingest),
		goka.Output(Output, new(PlacementCodec)),
		goka.Output(DLQ, new(codec.Bytes)),
	)
}

// Options are the processor options ingest needs: null records are
// dead-lettered rather than dropped.
func Options() []goka.ProcessorOption {
	return []goka.ProcessorOption{goka.WithNilHandling(goka.NilProcess)}
}

func (h Hooks) ingest(ctx goka.Context, msg any) {
	raw, _ := msg.([]byte)
	o, err := order.Parse(raw)
	if err != nil {
		reason := order.ReasonOf(err)
		if h.Invalid != nil {
			h.Invalid(reason, err)
		}
		ctx.Emit(DLQ, ctx.Key(), raw, goka.WithCtxEmitHeaders(deadLetterHeaders(ctx, reason, err)))
		return
	}
	ctx.Emit(Output, o.OrderID, &Placement{
		Order:  *o,
		Source: exactly.Pos{Partition: ctx.Partition(), Offset: ctx.Offset()},
	})
}

func deadLetterHeaders(ctx goka.Context, reason order.Reason, err error) goka.Headers {
	return goka.Headers{
		HeaderReason:    []byte(reason),
		HeaderError:     []byte(err.Error()),
		HeaderTopic:     []byte(ctx.Topic()),
		HeaderPartition: []byte(strconv.Itoa(int(ctx.Partition()))),
		HeaderOffset:    []byte(strconv.FormatInt(ctx.Offset(), 10)),
	}
}
