package cache_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/runner"
)

const outbox goka.Stream = "cache-test-out"

// position is an outbox item: the input message that added it.
type position struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

type positions struct {
	Items []position `json:"items"`
}

type positionsCodec = jsoncodec.Codec[positions]

// defineOutbox is a group that counts its input per key in a cached table
// and adds every message's position to an outbox keyed "p<partition>"
// that sends at most once per interval.
func defineOutbox(interval time.Duration) runner.Graph {
	t := cache.New[tally]()
	o := cache.NewOutbox(outbox, new(positionsCodec),
		func(p int32) string { return fmt.Sprintf("p%d", p) },
		func(items []position) any { return &positions{Items: items} }, interval)
	return runner.Graph{GroupGraph: goka.DefineGroup(group,
		goka.Input(input, new(codec.String), func(ctx goka.Context, msg any) {
			t.Update(ctx, func(v *tally) *tally {
				if v == nil {
					v = new(tally)
				}
				v.Count++
				return v
			})
			o.Add(ctx, position{ctx.Partition(), ctx.Offset()})
		}),
		goka.Persist(new(tallyCodec)),
		goka.Output(outbox, new(positionsCodec)),
	), Cache: t, Outbox: o}
}

// outboxRecords reads the outbox stream from its start until it holds
// every position up to the input's ends, or, if ends is nil, the records
// it holds now: the records it read, the positions of each key in the
// order they came, and the largest value.
func outboxRecords(t *testing.T, kc kafkaconf.Config, ends map[int32]int64) (records int, items map[string][]position, largest int) {
	t.Helper()
	cl := testutil.KafkaClient(t, kc, kgo.ConsumeTopics(string(outbox)), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	want := int(ends[0] + ends[1] + ends[2])
	if ends == nil {
		want = topicRecords(t, cl, string(outbox))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	items = map[string][]position{}
	seen := map[position]bool{}
	read := func() int {
		if ends == nil {
			return records
		}
		return len(seen)
	}
	for read() < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %d records and %d positions of the outbox, want %d", records, len(seen), want)
		}
		fs.EachRecord(func(r *kgo.Record) {
			records++
			largest = max(largest, len(r.Value))
			v, err := new(positionsCodec).Decode(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range v.(*positions).Items {
				items[string(r.Key)] = append(items[string(r.Key)], p)
				seen[p] = true
			}
		})
	}
	return records, items, largest
}

// The outbox sends a partition's items in batches, in order, each once
// across a stop and a restart. With an interval longer than the test it
// sends when a partition's first item comes and when the partition stops,
// and the group commits no message whose item it has not sent.
func TestOutbox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	const keys, n = 6, 100
	kc := testutil.StartBroker(t, "cache-test", 3, topics.FromGraphs(defineOutbox(0).GroupGraph))
	cl := testutil.KafkaClient(t, kc)
	dir := t.TempDir()
	for round, interval := range []time.Duration{time.Hour, 10 * time.Millisecond} {
		produce(t, cl, keys, n)
		var p atomic.Pointer[goka.Processor]
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			cfg := runner.Config{Kafka: kc, DataDir: dir, Logger: slog.New(slog.DiscardHandler), Started: p.Store}
			done <- runner.Run(ctx, cfg, defineOutbox(interval))
		}()
		waitProcessed(t, &p, keys*n)
		if round == 0 {
			// Each partition sent what it had at its first item; what
			// comes after waits for the interval, and its messages are
			// not committed, however long goka's commit interval runs.
			waitRecords(t, cl, string(outbox), 3)
			produce(t, cl, keys, n)
			waitProcessed(t, &p, 2*keys*n)
			time.Sleep(2 * time.Second)
			if got := topicRecords(t, cl, string(outbox)); got != 3 {
				t.Errorf("%d outbox records while running, want one per partition", got)
			}
			sent := map[int32]int64{}
			_, items, _ := outboxRecords(t, kc, nil)
			for _, ps := range items {
				sent[ps[0].Partition] = ps[len(ps)-1].Offset + 1
			}
			ends := endOffsets(t, cl, string(input))
			committed(t, cl, func(partition int32, offset int64) {
				if offset > sent[partition] || offset >= ends[partition] {
					t.Errorf("partition %d committed up to %d; its outbox sent up to %d of %d", partition, offset, sent[partition], ends[partition])
				}
			})
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: %v", round, err)
		}
		waitCommitted(t, cl)

		ends := endOffsets(t, cl, string(input))
		records, _ := checkOutbox(t, kc, ends)
		if msgs := int(ends[0] + ends[1] + ends[2]); records >= msgs/4 {
			t.Errorf("run %d: %d outbox records for %d messages: not batched", round, records, msgs)
		}
	}
}

// checkOutbox reads the outbox until it holds every position up to the
// input's ends, checks that each key holds its partition's offsets in
// order, each once, and returns the records read and the largest value.
func checkOutbox(t *testing.T, kc kafkaconf.Config, ends map[int32]int64) (records, largest int) {
	t.Helper()
	records, items, largest := outboxRecords(t, kc, ends)
	for key, ps := range items {
		var next int64
		for _, p := range ps {
			if key != fmt.Sprintf("p%d", p.Partition) || p.Offset != next {
				t.Fatalf("%s holds %d positions, the %dth %+v; want the offsets of partition %s in order, each once", key, len(ps), next, p, key[1:])
			}
			next++
		}
		if want := ends[ps[0].Partition]; next != want {
			t.Errorf("%s holds %d positions, want %d", key, next, want)
		}
	}
	return records, largest
}

// A partition that gathered more than fits in one record sends it as
// several, in order: a broker refuses a record over its message.max.bytes.
func TestOutboxSplitsWhatIsTooLarge(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	const keys, n = 6, 12000 // about 860 KiB of positions per partition
	kc := testutil.StartBroker(t, "cache-test", 3, topics.FromGraphs(defineOutbox(0).GroupGraph))
	cl := testutil.KafkaClient(t, kc)
	produce(t, cl, keys, n)
	var p atomic.Pointer[goka.Processor]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cfg := runner.Config{Kafka: kc, DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler), Started: p.Store}
		done <- runner.Run(ctx, cfg, defineOutbox(time.Hour)) // everything after the first item waits for the stop
	}()
	waitProcessed(t, &p, keys*n)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitCommitted(t, cl)
	records, largest := checkOutbox(t, kc, endOffsets(t, cl, string(input)))
	if records <= 6 || largest > cache.MaxRecord {
		t.Errorf("%d outbox records, the largest of %d bytes; want more than two per partition, none over %d", records, largest, cache.MaxRecord)
	}
}

// waitRecords waits until topic holds want records.
func waitRecords(t *testing.T, cl *kgo.Client, topic string, want int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for topicRecords(t, cl, topic) < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s holds %d records, want %d", topic, topicRecords(t, cl, topic), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// committed calls fn with every input partition's committed offset.
func committed(t *testing.T, cl *kgo.Client, fn func(partition int32, offset int64)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	offsets, err := kadm.NewClient(cl).FetchOffsets(ctx, string(group))
	if err != nil {
		t.Fatal(err)
	}
	offsets.Each(func(o kadm.OffsetResponse) {
		if o.Topic == string(input) {
			fn(o.Partition, o.At)
		}
	})
}
