package integrationtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkacluster"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/streams"
)

// Bounds of TestFaultInjection.
const (
	// faultRate is the orders written per second meanwhile.
	faultRate = 150
	// faultVerifyTimeout bounds the wait of `orderstream verify` for the
	// processors to catch up after the chaos.
	faultVerifyTimeout = 3 * time.Minute
	// faultPurgeInterval is how often the processor instances purge the
	// handoffs: far more often than by default, so that purges meet every
	// fault.
	faultPurgeInterval = 5 * time.Second
)

// TestFaultInjection runs the system as separate processes, as deployed:
// the broker, two `process` instances sharing the partitions, and `serve`.
// While a plain Kafka client writes orders with duplicates and malformed
// records mixed in, the test follows a fault plan derived from
// ORDERSTREAM_FAULT_SEED (default 1; see faultPlan): it kills processor
// instances with SIGKILL, one during a rebalance, kills the views, stops
// the broker with SIGTERM, SIGKILLs it mid-transaction, pauses it with
// SIGSTOP for longer than every client timeout, and stops it for two
// minutes. Nothing restarts a process that exits on its own: every
// process must heal itself and still be running at the end. Then
// `orderstream verify` must find every table equal to the recomputation
// from the orders log, the dead-letter topic must hold each malformed
// record exactly once, and the API must count every distinct order.
//
// It runs twice: on the embedded broker (in a process of its own), and
// on a 3-node Apache Kafka cluster (replication 3, min.insync.replicas 2),
// where each broker fault of the plan befalls one node, drawn from the
// seed: SIGTERM is a controlled shutdown, and a node away is away at most
// kafkaMaxDown (the cluster carries on without it; what a long outage
// proves, the embedded run proves).
func TestFaultInjection(t *testing.T) {
	if testing.Short() {
		t.Skip("fault injection: builds orderstream and runs it as separate processes for a few minutes")
	}
	seed := uint64(1)
	if s := os.Getenv("ORDERSTREAM_FAULT_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("ORDERSTREAM_FAULT_SEED: %v", err)
		}
	}
	t.Logf("seed %d (set ORDERSTREAM_FAULT_SEED to replay another)", seed)
	dir := t.TempDir()
	logs := dir
	if d := os.Getenv("ORDERSTREAM_FAULT_LOGS"); d != "" {
		logs = d // kept after the test, for a look at a failure
		if err := os.MkdirAll(logs, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := buildOrderstream(t, dir)
	t.Run(onEmbedded, func(t *testing.T) {
		addr := testutil.FreeAddr(t)
		brk := newProc(t, bin, logs, "broker", "broker", "--listen", addr, "--data-dir", filepath.Join(dir, "broker"), "--compact-interval", "2s")
		brk.start()
		brk.waitLog("broker listening", 30*time.Second)
		testFaultInjection(t, seed, bin, dir, logs, faultBrokers{
			addr: addr, replication: 1, proc: brk,
			stop: func(sig syscall.Signal, down time.Duration) {
				brk.kill(sig)
				time.Sleep(down)
				brk.start()
			},
			pause: func(down time.Duration) {
				brk.signal(syscall.SIGSTOP)
				time.Sleep(down)
				brk.signal(syscall.SIGCONT)
			},
		})
	})
	t.Run(onKafka, func(t *testing.T) {
		// Three nodes, topics replicated three times with
		// min.insync.replicas 2: one node down at a time leaves every
		// partition writable.
		c := startKafka(t, 3, kafkacluster.Config{})
		rng := rand.New(rand.NewPCG(seed, 2))
		node := func() int { return 1 + rng.IntN(c.Nodes()) }
		testFaultInjection(t, seed, bin, dir, logs, faultBrokers{
			addr: strings.Join(c.Bootstrap(), ","), replication: 3,
			stop: func(sig syscall.Signal, down time.Duration) {
				id := node()
				var err error
				if sig == syscall.SIGKILL {
					err = c.Kill(id)
				} else {
					err = c.Stop(id, time.Minute) // a controlled shutdown
				}
				if err != nil {
					t.Error(err)
				}
				t.Logf("kafka node %d stopped (%v)", id, sig)
				time.Sleep(min(down, kafkaMaxDown))
				if err := c.Restart(id); err != nil {
					t.Fatal(err)
				}
			},
			pause: func(down time.Duration) {
				id := node()
				pid := c.PID(id)
				t.Logf("kafka node %d paused (SIGSTOP)", id)
				_ = syscall.Kill(pid, syscall.SIGSTOP)
				time.Sleep(min(down, kafkaMaxDown))
				_ = syscall.Kill(pid, syscall.SIGCONT)
			},
		})
	})
}

// kafkaMaxDown bounds how long a node of the Kafka cluster stays away in
// TestFaultInjection.
const kafkaMaxDown = 30 * time.Second

// faultBrokers is the broker side of TestFaultInjection: the embedded
// broker as a process of its own, or an Apache Kafka cluster.
type faultBrokers struct {
	addr        string  // bootstrap, host:port[,host:port...]
	replication int     // of the topics
	proc        *osProc // the embedded broker's process, which must heal like the others
	// stop stops a broker with sig and starts it again after down.
	stop func(sig syscall.Signal, down time.Duration)
	// pause stops a broker with SIGSTOP and resumes it after down.
	pause func(down time.Duration)
}

func (fb faultBrokers) seeds() []string { return strings.Split(fb.addr, ",") }

func testFaultInjection(t *testing.T, seed uint64, bin, dir, logs string, fb faultBrokers) {
	addr := fb.addr
	sub := t.Name()[strings.LastIndex(t.Name(), "/")+1:]
	dir, logs = filepath.Join(dir, sub), filepath.Join(logs, sub)
	for _, d := range []string{dir, logs} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command(bin, "topics", "--brokers", addr, "--replication", strconv.Itoa(fb.replication)).CombinedOutput(); err != nil {
		t.Fatalf("orderstream topics: %v\n%s", err, out)
	}
	procs := []*osProc{
		newProc(t, bin, logs, "process-1", "process", "--brokers", addr, "--data-dir", filepath.Join(dir, "p1"), "--http", "", "--purge-interval", faultPurgeInterval.String()),
		newProc(t, bin, logs, "process-2", "process", "--brokers", addr, "--data-dir", filepath.Join(dir, "p2"), "--http", "", "--purge-interval", faultPurgeInterval.String()),
	}
	for _, p := range procs {
		p.start()
	}
	// The views on a fixed port, so that the API stays where it was
	// across restarts.
	api := newProc(t, bin, logs, "serve", "serve", "--brokers", addr, "--data-dir", filepath.Join(dir, "api"), "--http", testutil.FreeAddr(t))
	api.start()
	base := api.waitLine("serving on ", time.Minute)

	cl, err := kgo.NewClient(kgo.SeedBrokers(fb.seeds()...), kgo.ClientID("fault-feeder"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	feed := newFeeder(cl, seed)
	fctx, stopFeed := context.WithCancel(context.Background())
	defer stopFeed()
	fed := make(chan error, 1)
	go func() { fed <- feed.run(fctx, faultRate) }()

	// The chaos: a plan derived from the seed alone, so that a failing
	// seed replays the same schedule; it is logged on failure.
	plan := faultPlan(seed)
	defer func() {
		if t.Failed() {
			t.Logf("fault plan of seed %d (ORDERSTREAM_FAULT_SEED=%d replays it):\n%s", seed, seed, plan)
		}
	}()
	all := append([]*osProc{api}, procs...)
	if fb.proc != nil {
		all = append(all, fb.proc)
	}
	start := time.Now()
	var kills, views, brokerRestarts int
	for i, step := range plan {
		time.Sleep(step.wait)
		elapsed := time.Since(start).Round(time.Millisecond)
		switch step.action {
		case faultBrokerTerm, faultBrokerKill, faultBrokerStop:
			sig := syscall.SIGTERM
			if step.action == faultBrokerKill {
				sig = syscall.SIGKILL
			}
			t.Logf("%v: step %d: broker stopped (%s) for %v", elapsed, i, step.action, step.down)
			fb.stop(sig, step.down)
			brokerRestarts++
		case faultBrokerPause:
			t.Logf("%v: step %d: broker paused (SIGSTOP) for %v", elapsed, i, step.down)
			fb.pause(step.down)
		case faultViews:
			api.kill(syscall.SIGKILL)
			time.Sleep(step.down)
			api.start()
			views++
		case faultBoth:
			for _, p := range procs {
				p.kill(syscall.SIGKILL)
			}
			t.Logf("%v: step %d: both processor instances killed", elapsed, i)
			time.Sleep(step.down)
			for _, p := range procs {
				p.start()
			}
			kills += 2
		case faultRebalance:
			// One instance joins the groups, and the other is killed
			// while they rebalance.
			a, b := procs[step.victim], procs[1-step.victim]
			a.kill(syscall.SIGKILL)
			a.start()
			time.Sleep(step.down)
			b.kill(syscall.SIGKILL)
			t.Logf("%v: step %d: %s killed while %s joins", elapsed, i, b.name, a.name)
			b.start()
			kills += 2
		default:
			p := procs[step.victim]
			p.kill(syscall.SIGKILL)
			time.Sleep(step.down)
			p.start()
			kills++
		}
	}
	stopFeed()
	if err := <-fed; err != nil {
		t.Fatal(err)
	}
	// Every process healed itself: none exited on its own.
	for _, p := range all {
		if !p.running() || p.crashCount() > 0 {
			t.Errorf("%s exited on its own %d times (running now: %v)", p.name, p.crashCount(), p.running())
		}
	}
	records, distinct, malformed := feed.counts()
	t.Logf("chaos over after %v: %d processor kills, %d view kills, %d broker restarts; %d records written: %d distinct orders, %d malformed",
		time.Since(start).Round(time.Millisecond), kills, views, brokerRestarts, records, distinct, malformed)

	// Every table equals the recomputation from the orders log.
	verify := func() ([]byte, error) {
		return exec.Command(bin, "verify", "--brokers", addr, "--timeout", faultVerifyTimeout.String()).CombinedOutput()
	}
	vstart := time.Now()
	out, err := verify()
	t.Logf("orderstream verify (%v):\n%s", time.Since(vstart).Round(time.Millisecond), out)
	if err != nil {
		logGroups(t, fb.seeds()[0])
		logErrors(t, logs)
		// A second look tells differences that stay from a reading that
		// went wrong.
		again, aerr := verify()
		t.Logf("orderstream verify again: %v\n%s", aerr, again)
		if fb.proc != nil && logs != dir {
			cp := exec.Command("cp", "-r", filepath.Join(filepath.Dir(dir), "broker"), filepath.Join(logs, "broker-data"))
			t.Logf("kept the broker's data directory in %s: %v", logs, cp.Run())
		}
		t.Fatalf("orderstream verify: %v", err)
	}

	// The dead-letter topic holds each malformed record exactly once.
	checkFaultDLQ(t, fb.seeds()[0], feed.malformed)
	// The handoffs were purged all along, and verify found nothing amiss.
	checkPurged(t, fb.seeds()[0])

	// The views, in their own process, show every distinct order once.
	waitFor(t, nil, "the API to count every order", func() (string, bool) {
		var stats struct {
			Orders int `json:"orders"`
		}
		resp, err := http.Get(base + "/api/stats")
		if err != nil {
			return err.Error(), false
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%d orders, want %d", stats.Orders, distinct), stats.Orders == distinct
	})
}

// checkFaultDLQ reads orders and orders-dlq and requires the dead letters
// to be exactly the malformed records written, each as many times as it is
// on orders: once, unless the writer's own retries duplicated it there.
func checkFaultDLQ(t *testing.T, addr string, malformed map[string]bool) {
	t.Helper()
	read := func(topic string) map[string]int {
		cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		got := map[string]int{}
		// verify has seen the system settle: the topic is complete, and
		// a few quiet seconds mean its end was reached.
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			fetches := cl.PollFetches(ctx)
			cancel()
			n := 0
			fetches.EachRecord(func(r *kgo.Record) {
				n++
				got[string(r.Key)+"\x00"+string(r.Value)]++
			})
			if n == 0 {
				break
			}
		}
		return got
	}
	written, dead := read("orders"), read("orders-dlq")
	if len(dead) != len(malformed) {
		t.Errorf("orders-dlq holds %d distinct records, %d malformed were written", len(dead), len(malformed))
	}
	for k := range malformed {
		switch n, w := dead[k], written[k]; {
		case n != w:
			t.Errorf("dead letter %q %d times, %d times on orders", k, n, w)
		case w > 1:
			t.Logf("malformed record %q is %d times on orders: the writer's retries duplicated it", k, w)
		}
	}
	for k := range dead {
		if !malformed[k] {
			t.Errorf("dead letter %q was not written as a malformed record", k)
		}
	}
}

// checkPurged requires every handoff stream to have been purged: its start
// offsets moved.
func checkPurged(t *testing.T, addr string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var names []string
	for _, h := range streams.Handoffs {
		names = append(names, string(h))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	starts, err := kadm.NewClient(cl).ListStartOffsets(ctx, names...)
	if err != nil {
		t.Fatalf("start offsets of the handoffs: %v", err)
	}
	for _, topic := range names {
		var purged int64
		at := map[int32]int64{}
		for p, o := range starts[topic] {
			purged += max(o.Offset, 0)
			at[p] = o.Offset
		}
		t.Logf("%s: start offsets %v", topic, at)
		if purged == 0 {
			t.Errorf("%s: nothing purged, with --purge-interval %v", topic, faultPurgeInterval)
		}
	}
}

// logGroups logs the state and members of every consumer group: the
// first thing to look at when the processors did not catch up.
func logGroups(t *testing.T, addr string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Log(err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	groups, err := kadm.NewClient(cl).DescribeGroups(ctx)
	if err != nil {
		t.Logf("describe groups: %v", err)
		return
	}
	for _, g := range groups.Sorted() {
		t.Logf("group %s: %s, %d members, protocol %q, err %v", g.Group, g.State, len(g.Members), g.Protocol, g.Err)
		for _, m := range g.Members {
			var assigned []string
			if c, ok := m.Assigned.AsConsumer(); ok {
				for _, tp := range c.Topics {
					assigned = append(assigned, fmt.Sprintf("%s%v", tp.Topic, tp.Partitions))
				}
			}
			t.Logf("  member %s at %s: %v", m.MemberID, m.ClientHost, assigned)
		}
	}
	if out, err := exec.Command("ss", "-tnp").CombinedOutput(); err == nil {
		t.Logf("connections:\n%s", out)
	}
}

// logErrors logs the ERROR lines of every process log in dir (at most 60),
// which say why a process gave up on a write.
func logErrors(t *testing.T, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if strings.Contains(l, "level=ERROR") && len(lines) < 60 {
				lines = append(lines, filepath.Base(f)+": "+l)
			}
		}
	}
	t.Logf("ERROR lines of the process logs (%d):\n%s", len(lines), strings.Join(lines, "\n"))
}
