package integrationtest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// census describes, hop by hop, how many distinct orders each stream
// between the processors holds and how far the group reading it has
// committed: when totals are short, it shows at which hop orders went
// missing and whether the reading group skipped past them. The handoffs'
// records below their log start were purged once their group committed
// past them, so there the count is of what is still to read.
func census(addr string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	orderID := func(b []byte) string {
		var o struct {
			OrderID string `json:"order_id"`
		}
		_ = json.Unmarshal(b, &o)
		return o.OrderID
	}
	nestedID := func(b []byte) string {
		var p struct {
			Order struct {
				OrderID string `json:"order_id"`
			} `json:"order"`
		}
		_ = json.Unmarshal(b, &p)
		return p.Order.OrderID
	}
	hops := []struct {
		topic, group string
		id           func([]byte) string
	}{
		{string(order.Stream), string(ingest.Group), orderID},
		{string(ingest.Output), string(lifecycle.Group), orderID},
		{string(streams.ByRestaurant), "restaurant", orderID},
		{string(streams.ByUser), "user", nestedID},
		{string(lifecycle.Table), "", orderID},
	}
	var out strings.Builder
	for _, h := range hops {
		records, ids, end, err := readAll(ctx, addr, h.topic, h.id)
		if err != nil {
			fmt.Fprintf(&out, "%s: %v\n", h.topic, err)
			continue
		}
		fmt.Fprintf(&out, "%-22s %5d records, %5d distinct orders, log end %v", h.topic, records, len(ids), end)
		if slices.Contains(streams.Handoffs, goka.Stream(h.topic)) {
			out.WriteString(" (purged)")
		}
		if h.group != "" {
			committed, err := committedOffsets(ctx, addr, h.group, h.topic)
			fmt.Fprintf(&out, ", group %s committed %v (%v)", h.group, committed, err)
		}
		out.WriteString("\n")
	}
	return out.String()
}

// readAll reads topic from its start offset to its log end and returns the
// number of records, the distinct ids id finds in them, and the log end
// offset of each partition.
func readAll(ctx context.Context, addr, topic string, id func([]byte) string) (int, map[string]bool, map[int32]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return 0, nil, nil, err
	}
	defer cl.Close()
	// The handoffs are purged (internal/purge): read from the start offset.
	start, end := map[int32]int64{}, map[int32]int64{}
	for p := range int32(3) {
		for ts, into := range map[int64]map[int32]int64{-2: start, -1: end} {
			req := kmsg.NewPtrListOffsetsRequest()
			req.ReplicaID = -1
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = topic
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition, rp.Timestamp = p, ts
			rt.Partitions = append(rt.Partitions, rp)
			req.Topics = append(req.Topics, rt)
			resp, err := req.RequestWith(ctx, cl)
			if err != nil {
				return 0, nil, nil, err
			}
			into[p] = resp.Topics[0].Partitions[0].Offset
		}
	}
	ids := map[string]bool{}
	records := 0
	// Compaction may have removed records below the log end: stop at the
	// last offset of every partition instead of counting records.
	reached := map[int32]bool{}
	for p, e := range end {
		reached[p] = e <= start[p]
	}
	for !(reached[0] && reached[1] && reached[2]) {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return records, ids, end, fmt.Errorf("read %s: %w", topic, err)
		}
		for _, r := range fs.Records() {
			records++
			ids[id(r.Value)] = true
			if r.Offset+1 >= end[r.Partition] {
				reached[r.Partition] = true
			}
		}
	}
	return records, ids, end, nil
}

// committedOffsets returns the offsets group committed on topic's
// partitions.
func committedOffsets(ctx context.Context, addr, group, topic string) (map[int32]int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	req := kmsg.NewPtrOffsetFetchRequest()
	req.Group = group
	rt := kmsg.NewOffsetFetchRequestTopic()
	rt.Topic = topic
	rt.Partitions = []int32{0, 1, 2}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return nil, err
	}
	out := map[int32]int64{}
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			out[p.Partition] = p.Offset
		}
	}
	return out, nil
}

// logCensusOnFailure logs the census of the broker at addr if the test
// fails. Register it after the broker, so that it runs while the broker is
// still up.
func logCensusOnFailure(t *testing.T, addr string) {
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("census of the streams between the processors:\n%s", census(addr))
		}
	})
}
