package ingest

import (
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// MaxDeadLetterBytes bounds the value of a dead letter. A record near the
// broker's size limit would not fit on the dead-letter topic once the
// headers are added, and a record that can be written nowhere would stop
// ingest for good; no valid order comes near this size (order.MaxItems
// items of ids of at most order.MaxIDLen bytes).
const MaxDeadLetterBytes = 900 * 1024

// Verdict is what ingest makes of one record of "orders".
type Verdict struct {
	// Placement is the valid order and its position; nil when the record
	// is invalid.
	Placement *Placement
	// Reason and Err say why the record is invalid.
	Reason order.Reason
	Err    error
}

// Judge validates the value of the record at pos of "orders". Any bytes,
// nil included, give a verdict: nothing a writer puts on "orders" can stop
// ingest.
func Judge(value []byte, pos exactly.Pos) Verdict {
	o, err := order.Parse(value)
	if err != nil {
		return Verdict{Reason: order.ReasonOf(err), Err: err}
	}
	return Verdict{Placement: &Placement{Order: *o, Source: pos}}
}

// DeadLetter returns the value and headers of the dead letter of the
// invalid record value found at pos of topic: the original bytes (cut to
// MaxDeadLetterBytes, which HeaderTruncated then says) and where they came
// from, and why they were refused.
func DeadLetter(topic string, pos exactly.Pos, value []byte, v Verdict) ([]byte, []kgo.RecordHeader) {
	headers := []kgo.RecordHeader{
		{Key: HeaderReason, Value: []byte(v.Reason)},
		{Key: HeaderError, Value: []byte(errorText(v.Err))},
		{Key: HeaderTopic, Value: []byte(topic)},
		{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(pos.Partition)))},
		{Key: HeaderOffset, Value: []byte(strconv.FormatInt(pos.Offset, 10))},
	}
	if len(value) > MaxDeadLetterBytes {
		headers = append(headers, kgo.RecordHeader{Key: HeaderTruncated, Value: []byte(strconv.Itoa(len(value)))})
		value = value[:MaxDeadLetterBytes]
	}
	return value, headers
}

// errorText is the x-dlq-error header: the error, bounded, since a parse
// error may quote the input.
func errorText(err error) string {
	const max = 1024
	s := fmt.Sprint(err)
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// Route returns the record ingest writes for the record in of "orders",
// and the verdict behind it: a valid order goes to Output keyed by its
// order id, as goka's partitioner would place it, an invalid record to DLQ
// with its original key and bytes and the dead-letter headers.
func Route(in *kgo.Record) (*kgo.Record, Verdict) {
	pos := exactly.Pos{Partition: in.Partition, Offset: in.Offset}
	v := Judge(in.Value, pos)
	if v.Placement != nil {
		value, err := streams.RequestCodec{}.Encode(v.Placement.Request())
		if err == nil {
			return &kgo.Record{Topic: string(Output), Key: []byte(v.Placement.Order.OrderID), Value: value}, v
		}
		// Unreachable for anything order.Parse accepts; refused rather
		// than retried forever if it ever happens.
		v = Verdict{Reason: order.ReasonMalformed, Err: fmt.Errorf("encode placed request: %w", err)}
	}
	value, headers := DeadLetter(in.Topic, pos, in.Value, v)
	return &kgo.Record{Topic: string(DLQ), Key: in.Key, Value: value, Headers: headers}, v
}
