package cache_test

import (
	"context"
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
// opts. A message "-" changes nothing.
func define(opts ...cache.Option) runner.Graph {
	t := cache.New[tally](opts...)
	return runner.Graph{GroupGraph: goka.DefineGroup(group,
		goka.Input(input, new(codec.String), func(ctx goka.Context, msg any) {
			t.Change(ctx, func(v *tally) (*tally, bool) {
				if msg.(string) == "-" {
					return v, false
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
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
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
// records it holds.
type changelog struct {
	cl      *kgo.Client
	latest  map[string]int64
	records int
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
		fs := c.cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("table counts sum to %d, want %d", c.sum(), want)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			v, err := new(tallyCodec).Decode(r.Value)
			if err != nil {
				t.Fatalf("%s/%d@%d: %v", r.Topic, r.Partition, r.Offset, err)
			}
			c.latest[string(r.Key)] = v.(*tally).Count
			c.records++
		})
	}
	if c.sum() != want {
		t.Fatalf("table counts sum to %d, want %d", c.sum(), want)
	}
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
			log := &changelog{cl: testutil.KafkaClient(t, kc, kgo.ConsumeTopics(table), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), latest: map[string]int64{}}
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
	log := &changelog{cl: testutil.KafkaClient(t, kc, kgo.ConsumeTopics(table), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), latest: map[string]int64{}}
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
func tableRecords(t *testing.T, cl *kgo.Client) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, table)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	ends.Each(func(e kadm.ListedOffset) { n += int(e.Offset) })
	return n
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
	log := &changelog{cl: testutil.KafkaClient(t, kc, kgo.ConsumeTopics(table), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), latest: map[string]int64{}}
	var rs []*kgo.Record
	for i := range n {
		for k := range keys {
			rs = append(rs, &kgo.Record{Topic: string(input), Key: fmt.Appendf(nil, "k%d", k), Value: fmt.Appendf(nil, "%d", i)})
			rs = append(rs, &kgo.Record{Topic: string(input), Key: fmt.Appendf(nil, "k%d", k), Value: []byte("-")})
		}
		rs = append(rs, &kgo.Record{Topic: string(input), Key: []byte("idle"), Value: []byte("-")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
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
	log := &changelog{cl: testutil.KafkaClient(t, kc, kgo.ConsumeTopics(table), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())), latest: map[string]int64{}}
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
