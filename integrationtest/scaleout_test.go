package integrationtest

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/verify"
)

// instance is one `orderstream process` run in this process: every
// processor, with its local state under its own data directory.
type instance struct {
	t       *testing.T
	name    string
	kafka   kafkaconf.Config
	dataDir string
	logger  *slog.Logger

	cancel  context.CancelFunc
	done    chan error
	started time.Time
	mu      sync.Mutex
	procs   map[goka.Group]*goka.Processor
}

func newInstance(t *testing.T, name string, kc kafkaconf.Config, logger *slog.Logger) *instance {
	in := &instance{t: t, name: name, kafka: kc, dataDir: t.TempDir(), logger: logger.With("instance", name)}
	t.Cleanup(func() {
		if in.cancel != nil {
			in.stop()
		}
	})
	return in
}

func (in *instance) start() {
	in.t.Helper()
	in.mu.Lock()
	in.procs = map[goka.Group]*goka.Processor{}
	in.mu.Unlock()
	rc := runner.Config{Kafka: in.kafka, DataDir: in.dataDir, Logger: in.logger, Started: func(p *goka.Processor) {
		in.mu.Lock()
		defer in.mu.Unlock()
		in.procs[p.Graph().Group()] = p
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- processors.Run(ctx, rc, processors.All(processors.Hooks{})) }()
	in.cancel, in.done, in.started = cancel, done, time.Now()
}

// stop stops every processor; the group gives their partitions to the
// other instances.
func (in *instance) stop() {
	in.t.Helper()
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("instance %s: %v", in.name, err)
		}
	case <-time.After(stopTimeout):
		in.t.Fatalf("instance %s did not stop within %v", in.name, stopTimeout)
	}
}

// waitRecovered waits until every goka processor of the instance has
// recovered its table partitions and returns how long after start.
func (in *instance) waitRecovered() time.Duration {
	in.t.Helper()
	want := 0
	for _, p := range processors.All(processors.Hooks{}) {
		if p.Goka() {
			want++
		}
	}
	waitFor(in.t, nil, "instance "+in.name+" to recover", func() (string, bool) {
		select {
		case err := <-in.done:
			in.t.Fatalf("instance %s stopped: %v", in.name, err)
		default:
		}
		in.mu.Lock()
		defer in.mu.Unlock()
		var recovering []string
		for g, p := range in.procs {
			if !p.Recovered() {
				recovering = append(recovering, string(g))
			}
		}
		return fmt.Sprintf("%d of %d processors started, recovering %v", len(in.procs), want, recovering), len(in.procs) == want && len(recovering) == 0
	})
	return time.Since(in.started)
}

// tablePartition is a partition of a group table.
type tablePartition struct {
	group     goka.Group
	partition int32
}

// loaded returns, for every table partition the instance holds, how many
// records it loaded from the table topic to recover it.
func (in *instance) loaded() map[tablePartition]uint {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[tablePartition]uint{}
	for g, p := range in.procs {
		for part, ps := range p.Stats().Group {
			if ps != nil && ps.TableStats != nil && ps.TableStats.Input != nil {
				out[tablePartition{g, part}] = ps.TableStats.Input.Count
			}
		}
	}
	return out
}

// mustVerify runs verify and requires every table to be exact and to count
// what f wrote.
func mustVerify(t *testing.T, kc kafkaconf.Config, f *feeder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	r, err := verify.Run(ctx, verify.Config{Kafka: kc, Timeout: 2 * time.Minute})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var out bytes.Buffer
	if err := r.Print(&out, 5); err != nil {
		t.Fatal(err)
	}
	_, distinct, malformed := f.counts()
	if !r.OK() || r.Orders.Distinct != distinct || r.DeadLetters != malformed {
		t.Fatalf("verify: %d distinct orders and %d dead letters, want %d and %d:\n%s", r.Orders.Distinct, r.DeadLetters, distinct, malformed, out.String())
	}
	t.Logf("verify OK after %v: %d distinct orders, %d dead letters", time.Since(start).Round(time.Millisecond), distinct, malformed)
}

// TestScaleOut runs two instances of the processors that share the
// partitions; stops one, and the other takes over its partitions and
// state; then starts the stopped one again on its intact data directory,
// alone, and checks that it recovers its tables from its local LevelDB,
// loading only what the table topics gained meanwhile, where an instance
// on an empty directory loads everything. Totals stay exact throughout.
// (TestFaultInjection kills instances with SIGKILL instead.)
func TestScaleOut(t *testing.T) {
	skipShort(t)
	// No compaction while the test runs: it compares what a restarted
	// and a fresh instance load from the same logs, and a compaction
	// between the two would shrink only the fresh instance's. (Apache
	// Kafka compacts only closed segments, a gigabyte each by default.)
	onBrokers(t, broker.Config{DataDir: t.TempDir(), CompactInterval: time.Hour}, testScaleOut)
}

func testScaleOut(t *testing.T, addr string) {
	logger := newLogger(t)
	kc := kafkaConfig(addr)
	ensureTopics(t, kc)
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ClientID("scaleout-feeder"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	feed := newFeeder(cl, 7)
	next := 0
	write := func(n int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		for range n / 50 {
			if err := feed.write(ctx, feed.batch(next, 50)); err != nil {
				t.Fatal(err)
			}
			next += 50
		}
	}

	a, bb := newInstance(t, "a", kc, logger), newInstance(t, "b", kc, logger)
	a.start()
	bb.start()
	t.Logf("a ready after %v, b after %v", a.waitRecovered(), bb.waitRecovered())
	write(600)
	mustVerify(t, kc, feed)
	heldByB := bb.loaded()
	held := func(m map[tablePartition]uint) []string {
		var out []string
		for _, tp := range slices.SortedFunc(maps.Keys(m), cmpTP) {
			out = append(out, fmt.Sprintf("%s/%d", tp.group, tp.partition))
		}
		return out
	}
	if len(heldByB) == 0 || len(a.loaded()) == 0 {
		t.Fatalf("the instances do not share the partitions: a holds %v, b holds %v", held(a.loaded()), held(heldByB))
	}
	t.Logf("shared: a holds %d table partitions, b %d", len(a.loaded()), len(heldByB))

	// b goes away: a takes over its partitions and their state.
	bb.stop()
	stopped := time.Now()
	write(600)
	mustVerify(t, kc, feed)
	t.Logf("a alone: exact %v after b stopped, holding %d table partitions", time.Since(stopped).Round(time.Millisecond), len(a.loaded()))

	// b comes back alone on its intact data directory.
	a.stop()
	write(300)
	bb.start()
	ready := bb.waitRecovered()
	fromDisk := bb.loaded()
	mustVerify(t, kc, feed)
	bb.stop()

	// An instance on an empty directory loads every table from its topic.
	c := newInstance(t, "c", kc, logger)
	c.start()
	readyFresh := c.waitRecovered()
	fresh := c.loaded()
	mustVerify(t, kc, feed)
	c.stop()

	var sumDisk, sumFresh uint
	for tp := range heldByB {
		sumDisk += fromDisk[tp]
		sumFresh += fresh[tp]
		if fromDisk[tp] > fresh[tp] {
			t.Errorf("%s/%d: b loaded %d records from its intact state, a fresh instance %d", tp.group, tp.partition, fromDisk[tp], fresh[tp])
		}
	}
	t.Logf("restart on intact LevelDB: ready after %v, loaded %d records for the %d table partitions it held before; "+
		"a fresh instance: ready after %v, loaded %d for the same partitions", ready.Round(time.Millisecond), sumDisk, len(heldByB),
		readyFresh.Round(time.Millisecond), sumFresh)
	if sumDisk >= sumFresh {
		t.Errorf("b recovered from scratch: loaded %d records where a fresh instance loads %d", sumDisk, sumFresh)
	}
}

func cmpTP(x, y tablePartition) int {
	return cmp.Or(cmp.Compare(x.group, y.group), cmp.Compare(x.partition, y.partition))
}
