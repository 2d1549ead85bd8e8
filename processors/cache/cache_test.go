package cache_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/runner"
)

const (
	group goka.Group  = "cache-test"
	input goka.Stream = "cache-test-in"
)

var table = string(goka.GroupTable(group))

// tally is the test table's value: messages counted per key.
type tally struct {
	Count int64 `json:"count"`
}

type tallyCodec = jsoncodec.Codec[tally]

// define is a group counting its input per key in a table cached with
// opts. A message "-" changes nothing, a message "x" deletes the key.
func define(opts ...cache.Option) runner.Graph {
	t := cache.New[tally](opts...)
	return runner.Graph{GroupGraph: goka.DefineGroup(group,
		goka.Input(input, new(codec.String), func(ctx goka.Context, msg any) {
			t.Change(ctx, func(v *tally) (*tally, bool) {
				switch msg.(string) {
				case "-":
					return v, false
				case "x":
					return nil, true
				}
				if v == nil {
					v = new(tally)
				}
				v.Count++
				return v, true
			})
		}),
		goka.Persist(new(tallyCodec)),
	), Cache: t}
}

func startBroker(t *testing.T) kafkaconf.Config {
	t.Helper()
	return testutil.StartBroker(t, "cache-test", 3, topics.FromGraphs(define().GroupGraph))
}

// produce writes n messages per key.
func produce(t *testing.T, cl *kgo.Client, keys, n int) {
	t.Helper()
	var rs []*kgo.Record
	for i := range n {
		for k := range keys {
			rs = append(rs, &kgo.Record{Topic: string(input), Key: fmt.Appendf(nil, "k%d", k), Value: fmt.Appendf(nil, "%d", i)})
		}
	}
	write(t, cl, rs...)
}

// run runs the group until stop is called, which returns Run's error.
func run(t *testing.T, kc kafkaconf.Config, dir string) (stop func() error) {
	return runWith(t, kc, dir, runOpts{})
}

// runOpts are what a test run adds to the runner's configuration.
type runOpts struct {
	flushed func(goka.Group, int, error) // runner.Config.CacheFlushed
	started func(*goka.Processor)        // runner.Config.Started
	cache   []cache.Option               // the table cache's
}

// runWith is run with o.
func runWith(t *testing.T, kc kafkaconf.Config, dir string, o runOpts) (stop func() error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		cfg := runner.Config{Kafka: kc, DataDir: dir, Logger: slog.New(slog.DiscardHandler), CacheFlushed: o.flushed, Started: o.started}
		done <- runner.Run(ctx, cfg, define(o.cache...))
	}()
	return func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(time.Minute):
			t.Fatal("the processor did not stop")
			return nil
		}
	}
}

// changelog reads the table topic: the latest count per key, and how many
// records it holds. A tombstone removes its key from latest and marks it
// deleted.
type changelog struct {
	cl      *kgo.Client
	latest  map[string]int64
	deleted map[string]bool
	records int
}

// readChangelog reads the test table's topic from its start.
func readChangelog(t *testing.T, kc kafkaconf.Config) *changelog {
	cl := testutil.KafkaClient(t, kc, kgo.ConsumeTopics(table), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	return &changelog{cl: cl, latest: map[string]int64{}, deleted: map[string]bool{}}
}

func (c *changelog) sum() int64 {
	var n int64
	for _, v := range c.latest {
		n += v
	}
	return n
}

// waitSum reads the changelog until its counts sum to want.
func (c *changelog) waitSum(t *testing.T, want int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for c.sum() < want {
		if err := c.poll(ctx); err != nil {
			t.Fatalf("table counts sum to %d, want %d: %v", c.sum(), want, err)
		}
	}
	if c.sum() != want {
		t.Fatalf("table counts sum to %d, want %d", c.sum(), want)
	}
}

// waitLatest reads the changelog until its latest counts are want and
// the last record of each key of gone is a tombstone.
func (c *changelog) waitLatest(t *testing.T, want map[string]int64, gone ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for !maps.Equal(c.latest, want) || slices.ContainsFunc(gone, func(k string) bool { return !c.deleted[k] }) {
		if err := c.poll(ctx); err != nil {
			t.Fatalf("the table holds %v, want %v and tombstones of %v: %v", c.latest, want, gone, err)
		}
	}
}

// poll reads what the changelog has next.
func (c *changelog) poll(ctx context.Context) error {
	fs := c.cl.PollFetches(ctx)
	if err := ctx.Err(); err != nil {
		return err
	}
	var err error
	fs.EachError(func(topic string, p int32, e error) {
		err = errors.Join(err, fmt.Errorf("fetch %s/%d: %w", topic, p, e))
	})
	fs.EachRecord(func(r *kgo.Record) {
		c.records++
		key := string(r.Key)
		if r.Value == nil {
			delete(c.latest, key)
			c.deleted[key] = true
			return
		}
		v, e := new(tallyCodec).Decode(r.Value)
		if e != nil {
			err = errors.Join(err, fmt.Errorf("%s/%d@%d: %w", r.Topic, r.Partition, r.Offset, e))
			return
		}
		c.latest[key] = v.(*tally).Count
		delete(c.deleted, key)
	})
	return err
}

// waitCommitted waits until the group committed every input message.
func waitCommitted(t *testing.T, cl *kgo.Client) {
	t.Helper()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for {
		ends, err := adm.ListEndOffsets(ctx, string(input))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := adm.FetchOffsets(ctx, string(group))
		if err != nil {
			t.Fatal(err)
		}
		all := true
		ends.Each(func(e kadm.ListedOffset) {
			c, ok := committed.Lookup(e.Topic, e.Partition)
			all = all && ok && c.At == e.Offset
		})
		if all {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("the group did not commit every input message")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// The table gets every message exactly once across a stop and a restart,
// from fewer changelog records than messages, and the group commits only
// what the table holds.
func TestCountsOnceAcrossRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	for _, tc := range []struct {
		name     string
		keys, n  int
		coalesce bool
	}{
		{"hot keys", 4, 1500, true},
		// More keys per partition than a cache keeps clean: values are
		// dropped after their flush and read back from the local table.
		{"more keys than kept", 3*cache.MaxClean + 600, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kc := startBroker(t)
			cl := testutil.KafkaClient(t, kc)
			log := readChangelog(t, kc)
			dir := t.TempDir()
			total := int64(tc.keys * tc.n)

			produce(t, cl, tc.keys, tc.n)
			stop := run(t, kc, dir)
			log.waitSum(t, total)
			if err := stop(); err != nil {
				t.Fatalf("first run: %v", err)
			}
			if tc.coalesce && int64(log.records) >= total/2 {
				t.Errorf("%d changelog records for %d messages to %d keys: not coalesced", log.records, total, tc.keys)
			}
			waitCommitted(t, cl)

			// Restarted on its local state, it goes on from there:
			// nothing counted twice, nothing lost.
			produce(t, cl, tc.keys, tc.n)
			stop = run(t, kc, dir)
			log.waitSum(t, 2*total)
			waitCommitted(t, cl)
			if err := stop(); err != nil {
				t.Fatalf("second run: %v", err)
			}
			log.waitSum(t, 2*total)
			for k, v := range log.latest {
				if v != int64(2*tc.n) {
					t.Fatalf("key %s counted %d times, want %d", k, v, 2*tc.n)
				}
			}
		})
	}
}

// With a flush interval longer than the test, a partition flushes at its
// first update and when it stops, not between: every key is written at
// most twice, and what waited for the interval is neither lost nor counted
// twice when the processor stops and starts again.
func TestIntervalFlushesOnStop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	const keys, n = 4, 200
	kc := startBroker(t)
	cl := testutil.KafkaClient(t, kc)
	log := readChangelog(t, kc)
	dir := t.TempDir()
	for round := 1; round <= 2; round++ {
		produce(t, cl, keys, n)
		before := tableRecords(t, cl)
		var p atomic.Pointer[goka.Processor]
		stop := runWith(t, kc, dir, runOpts{started: p.Store, cache: []cache.Option{cache.Interval(time.Hour)}})
		waitProcessed(t, &p, keys*n)
		// Only the first flush has been written: the updates after it
		// wait for the interval.
		if running := tableRecords(t, cl) - before; running > keys {
			t.Errorf("run %d: %d changelog records for %d keys while running: flushed after the first update", round, running, keys)
		}
		if err := stop(); err != nil {
			t.Fatalf("run %d: %v", round, err)
		}
		log.waitSum(t, int64(keys*n*round))
		waitCommitted(t, cl)
		if written := tableRecords(t, cl) - before; written > 2*keys {
			t.Errorf("run %d: %d changelog records for %d keys: flushed between the first update and the stop", round, written, keys)
		}
	}
	for k, v := range log.latest {
		if v != 2*n {
			t.Fatalf("key %s counted %d times, want %d", k, v, 2*n)
		}
	}
}

// tableRecords is how many records the table topic holds.
func tableRecords(t *testing.T, cl *kgo.Client) int { return topicRecords(t, cl, table) }

// topicRecords is how many records topic holds.
func topicRecords(t *testing.T, cl *kgo.Client, topic string) int {
	t.Helper()
	var n int
	for _, end := range endOffsets(t, cl, topic) {
		n += int(end)
	}
	return n
}

// endOffsets are the end offsets of topic's partitions.
func endOffsets(t *testing.T, cl *kgo.Client, topic string) map[int32]int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	ends.Each(func(e kadm.ListedOffset) { out[e.Partition] = e.Offset })
	return out
}

// Messages that change nothing are committed without a flush and write
// nothing: a key that only ever got them is not in the table.
func TestUnchangedIsNotWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	const keys, n = 4, 50
	kc := startBroker(t)
	cl := testutil.KafkaClient(t, kc)
	log := readChangelog(t, kc)
	var rs []*kgo.Record
	for i := range n {
		for k := range keys {
			rs = append(rs, &kgo.Record{Topic: string(input), Key: fmt.Appendf(nil, "k%d", k), Value: fmt.Appendf(nil, "%d", i)})
			rs = append(rs, &kgo.Record{Topic: string(input), Key: fmt.Appendf(nil, "k%d", k), Value: []byte("-")})
		}
		rs = append(rs, &kgo.Record{Topic: string(input), Key: []byte("idle"), Value: []byte("-")})
	}
	write(t, cl, rs...)
	stop := run(t, kc, t.TempDir())
	log.waitSum(t, keys*n)
	waitCommitted(t, cl)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if _, ok := log.latest["idle"]; ok || len(log.latest) != keys {
		t.Errorf("the table has keys %v, want k0..k%d and not idle", slices.Sorted(maps.Keys(log.latest)), keys-1)
	}
	for k, v := range log.latest {
		if v != n {
			t.Errorf("key %s counted %d times, want %d", k, v, n)
		}
	}
}

// waitProcessed waits until the processor p holds has processed want
// input messages.
func waitProcessed(t *testing.T, p *atomic.Pointer[goka.Processor], want int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		if gp := p.Load(); gp != nil {
			for _, ps := range gp.Stats().Group {
				if in := ps.Input[string(input)]; in != nil {
					n += int(in.Count)
				}
			}
		}
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the processor processed %d messages, want %d", n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The flush hook sees every flush: as many records as the changelog got.
func TestFlushedHook(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	kc := startBroker(t)
	cl := testutil.KafkaClient(t, kc)
	log := readChangelog(t, kc)
	var mu sync.Mutex
	var flushes, records int
	var groups []goka.Group
	flushed := func(g goka.Group, n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Errorf("flush failed: %v", err)
		}
		flushes++
		records += n
		if !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	produce(t, cl, 4, 300)
	stop := runWith(t, kc, t.TempDir(), runOpts{flushed: flushed})
	log.waitSum(t, 4*300)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if flushes == 0 || records != log.records || len(groups) != 1 || groups[0] != define().Group() {
		t.Errorf("%d flushes of %d records by groups %v; the changelog has %d records of group %s",
			flushes, records, groups, log.records, define().Group())
	}
}

// A callback that returns nil deletes its key: the changelog gets a
// tombstone, the local table forgets the key, and a later message for it
// counts from nothing, whether the processor restarts on its local table
// or recovers the table from the changelog.
func TestDeleteWritesATombstone(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker and a processor")
	}
	const keys, n = 4, 50
	kc := startBroker(t)
	// The table's partition of a key is its input partition only when
	// the input is partitioned as goka's emitters do; a recovery from the
	// changelog depends on it.
	cl := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgoconf.GokaPartitioner()))
	log := readChangelog(t, kc)
	dir := t.TempDir()
	round := func(dir string, want map[string]int64, gone ...string) {
		t.Helper()
		stop := run(t, kc, dir)
		log.waitLatest(t, want, gone...)
		waitCommitted(t, cl)
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}

	produce(t, cl, keys, n)
	send(t, cl, "k1", "x", "k2", "x", "k3", "x")
	round(dir, map[string]int64{"k0": n}, "k1", "k2", "k3")

	// Restarted on its local table.
	send(t, cl, "k1", "1")
	round(dir, map[string]int64{"k0": n, "k1": 1}, "k2", "k3")

	// Recovered from the changelog into an empty directory.
	send(t, cl, "k0", "1", "k2", "1")
	round(t.TempDir(), map[string]int64{"k0": n + 1, "k1": 1, "k2": 1}, "k3")
}

// write produces rs and waits for their acknowledgements.
func write(t *testing.T, cl *kgo.Client, rs ...*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// send writes the key and value pairs kv to the input, in order.
func send(t *testing.T, cl *kgo.Client, kv ...string) {
	t.Helper()
	var rs []*kgo.Record
	for i := 0; i+1 < len(kv); i += 2 {
		rs = append(rs, &kgo.Record{Topic: string(input), Key: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	write(t, cl, rs...)
}
