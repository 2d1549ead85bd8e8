package verify

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/streams"
)

// source is one record of "orders".
type source struct {
	pos   exactly.Pos
	key   []byte
	value []byte
	order *order.Order // nil when invalid
	err   error
}

// ledger is the "orders" log up to the snapshot, parsed.
type ledger struct {
	records int
	valid   map[exactly.Pos]*source
	invalid map[exactly.Pos]*source
	// byID holds the valid copies of each order id, by position.
	byID map[string][]*source
}

func readOrders(ctx context.Context, base []kgo.Opt, snap *snapshot) (*ledger, error) {
	l := &ledger{valid: map[exactly.Pos]*source{}, invalid: map[exactly.Pos]*source{}, byID: map[string][]*source{}}
	topic := string(order.Stream)
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(r *kgo.Record) error {
		l.records++
		s := &source{pos: exactly.Pos{Partition: r.Partition, Offset: r.Offset}, key: r.Key, value: r.Value}
		s.order, s.err = order.Parse(r.Value)
		if s.err != nil {
			l.invalid[s.pos] = s
			return nil
		}
		l.valid[s.pos] = s
		l.byID[s.order.OrderID] = append(l.byID[s.order.OrderID], s)
		return nil
	})
	for _, copies := range l.byID {
		slices.SortFunc(copies, func(a, b *source) int { return comparePos(a.pos, b.pos) })
	}
	return l, err
}

// gokaPartitions returns the partition of topic, as the snapshot has it,
// that goka's hasher puts a key on.
func gokaPartitions(snap *snapshot, topic string) func(key []byte) int32 {
	p := kgoconf.GokaPartitioner().ForTopic(topic)
	n := len(snap.ends[topic])
	return func(key []byte) int32 { return int32(p.Partition(&kgo.Record{Key: key}, n)) }
}

func comparePos(a, b exactly.Pos) int {
	return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
}

// placedOf is a placed request as compared: its order canonical, its
// time in UTC.
type placedRequest struct {
	streams.Request
	Order string `json:"order"`
}

func placedOf(req *streams.Request) placedRequest {
	c := *req
	c.At = c.At.UTC()
	o := string(canonical(c.Order))
	c.Order = nil
	return placedRequest{Request: c, Order: o}
}

// canonical is o as JSON with its time in UTC: two orders are the same
// order when their canonical forms are equal.
func canonical(o *order.Order) []byte {
	c := *o
	c.PlacedAt = c.PlacedAt.UTC()
	data, err := json.Marshal(c)
	if err != nil {
		return []byte(err.Error())
	}
	return data
}

// counted is, for every valid order id, the copy the lifecycle counts.
type counted map[string]*source

// checkIngest compares the placed requests on status-requests and
// orders-dlq with the ledger: every valid record exactly once as a placed
// request (the order and its position, the parties, total and time as
// streams.PlacedRequest makes them), in the partition goka looks in,
// every invalid one exactly once on orders-dlq. It returns which copy of
// each order id the lifecycle counts: the first placed request, which the
// lifecycle reads in order; and the order ids whose copies differ, so that
// which counts depends on how ingest interleaved partitions of "orders".
// The other requests on the topic are the actors', replayed by
// replayRequests.
func checkIngest(ctx context.Context, base []kgo.Opt, snap *snapshot, l *ledger, r *Report) (counted, error) {
	firsts := counted{}
	seen := map[exactly.Pos]bool{}
	topic := string(ingest.Output)
	partition := gokaPartitions(snap, topic)
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(rec *kgo.Record) error {
		where := fmt.Sprintf("%d@%d", rec.Partition, rec.Offset)
		var req streams.Request
		if err := json.Unmarshal(rec.Value, &req); err != nil {
			r.differ(topic, where, "undecodable request: %v", err)
			return nil
		}
		if req.Status != order.StatusPlaced {
			return nil
		}
		if req.Source == nil || req.Order == nil {
			r.differ(topic, where, "placed request for order %s without its order and source", req.OrderID)
			return nil
		}
		src, ok := l.valid[*req.Source]
		switch {
		case !ok:
			r.differ(topic, where, "placed request of %v, where orders has no valid record", *req.Source)
			return nil
		case seen[*req.Source]:
			r.differ(topic, where, "second placed request of orders record %v (order %s)", *req.Source, req.OrderID)
			return nil
		}
		seen[*req.Source] = true
		got, want := placedOf(&req), placedOf(streams.PlacedRequest(src.order, src.pos))
		if !reflect.DeepEqual(got, want) {
			r.differ(topic, where, "placed request of %v differs from the order\n    got  %s\n    want %s", src.pos, show(got), show(want))
		}
		if string(rec.Key) != src.order.OrderID {
			r.differ(topic, where, "placed request of order %s under key %q", src.order.OrderID, rec.Key)
		}
		if want := partition(rec.Key); rec.Partition != want {
			r.differ(topic, where, "order %s on partition %d, goka looks in %d", rec.Key, rec.Partition, want)
		}
		if _, ok := firsts[src.order.OrderID]; !ok {
			firsts[src.order.OrderID] = src
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, pos := range slices.SortedFunc(maps.Keys(l.valid), comparePos) {
		if !seen[pos] {
			r.differ(topic, pos.String(), "valid order %s of orders %v never placed", l.valid[pos].order.OrderID, pos)
		}
	}

	out := counted{}
	for id, copies := range l.byID {
		first, ok := firsts[id]
		if !ok {
			first = copies[0]
		}
		out[id] = first
		if len(copies) == 1 {
			continue
		}
		r.Orders.Duplicates += len(copies) - 1
		for _, c := range copies {
			if detail := first.order.Conflict(c.order); c != first && detail != "" {
				r.Conflicts = append(r.Conflicts, Conflict{OrderID: id, Copy: c.pos, Counted: first.pos, Detail: detail})
			}
		}
		same, onePartition := true, true
		for _, c := range copies[1:] {
			same = same && bytes.Equal(canonical(c.order), canonical(copies[0].order))
			onePartition = onePartition && c.pos.Partition == copies[0].pos.Partition
		}
		switch {
		case same:
		case onePartition && first != copies[0]:
			// Ingest keeps the order of a partition: the earliest copy
			// must be the one placed first.
			r.differ(topic, id, "order %s: copy %v placed before the earlier %v", id, first.pos, copies[0].pos)
		case !onePartition:
			a := Ambiguity{OrderID: id, Counted: first.pos}
			for _, c := range copies {
				a.Copies = append(a.Copies, c.pos)
			}
			r.Ambiguous = append(r.Ambiguous, a)
		}
	}
	slices.SortFunc(r.Ambiguous, func(a, b Ambiguity) int { return comparePos(a.Counted, b.Counted) })
	slices.SortFunc(r.Conflicts, func(a, b Conflict) int {
		return cmp.Or(cmp.Compare(a.OrderID, b.OrderID), comparePos(a.Copy, b.Copy))
	})
	return out, checkDLQ(ctx, base, snap, l, r)
}

// checkDLQ compares orders-dlq with the invalid records of the ledger.
func checkDLQ(ctx context.Context, base []kgo.Opt, snap *snapshot, l *ledger, r *Report) error {
	topic := string(ingest.DLQ)
	seen := map[exactly.Pos]bool{}
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(rec *kgo.Record) error {
		r.DeadLetters++
		where := fmt.Sprintf("%d@%d", rec.Partition, rec.Offset)
		h := map[string]string{}
		for _, hd := range rec.Headers {
			h[hd.Key] = string(hd.Value)
		}
		part, perr := strconv.ParseInt(h[ingest.HeaderPartition], 10, 32)
		off, oerr := strconv.ParseInt(h[ingest.HeaderOffset], 10, 64)
		if perr != nil || oerr != nil || h[ingest.HeaderTopic] != string(order.Stream) {
			r.differ(topic, where, "dead letter without its origin: headers %v", h)
			return nil
		}
		pos := exactly.Pos{Partition: int32(part), Offset: off}
		src, ok := l.invalid[pos]
		switch {
		case !ok:
			r.differ(topic, where, "dead letter of orders %v, which is not an invalid record", pos)
			return nil
		case seen[pos]:
			r.differ(topic, where, "second dead letter of orders %v", pos)
			return nil
		}
		seen[pos] = true
		wantValue, _ := ingest.DeadLetter(string(order.Stream), pos, src.value, ingest.Verdict{})
		if !bytes.Equal(rec.Key, src.key) || !bytes.Equal(rec.Value, wantValue) {
			r.differ(topic, where, "dead letter of orders %v holds %q=%q, not the original %q=%q", pos, rec.Key, rec.Value, src.key, src.value)
		}
		if want := string(order.ReasonOf(src.err)); h[ingest.HeaderReason] != want {
			r.differ(topic, where, "dead letter of orders %v: reason %q, want %q", pos, h[ingest.HeaderReason], want)
		}
		return nil
	})
	for _, pos := range slices.SortedFunc(maps.Keys(l.invalid), comparePos) {
		if !seen[pos] {
			r.differ(topic, pos.String(), "invalid record of orders %v (%s) not dead-lettered", pos, order.ReasonOf(l.invalid[pos].err))
		}
	}
	return err
}
