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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkacluster"
)

// Bounds of TestFaultInjection.
const (
	// faultChaos is how long orders are written while processes are
	// killed and restarted.
	faultChaos = 40 * time.Second
	// faultRate is the orders written per second meanwhile.
	faultRate = 150
	// faultVerifyTimeout bounds the wait of `orderstream verify` for the
	// processors to catch up after the chaos.
	faultVerifyTimeout = 3 * time.Minute
)

// TestFaultInjection runs the system as separate processes, as deployed:
// the broker, two `process` instances sharing the partitions, and `serve`.
// While a plain Kafka client writes orders with duplicates and malformed
// records mixed in, the test kills processor instances with SIGKILL at
// random moments (seeded by ORDERSTREAM_FAULT_SEED, default 1) and starts
// them again, kills the views, stops the broker with SIGTERM once and with
// SIGKILL once, and starts it again on its data directory. At the end
// `orderstream verify` must find every table equal to the recomputation
// from the orders log, the dead-letter topic must hold each malformed
// record exactly once, and the API must count every distinct order.
//
// It runs twice: on the embedded broker (in a process of its own), and
// on a 3-node Apache Kafka cluster (replication 3, min.insync.replicas 2),
// where a random node is stopped with SIGTERM (a controlled shutdown) once
// and another killed with SIGKILL once, each started again at once.
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
		addr := faultAddr(t)
		brk := newProc(t, bin, logs, "broker", "broker", "--listen", addr, "--data-dir", filepath.Join(dir, "broker"), "--compact-interval", "2s")
		brk.start()
		brk.waitLog("broker listening", 30*time.Second)
		rng := rand.New(rand.NewPCG(seed, 1))
		testFaultInjection(t, seed, rng, bin, dir, logs, faultBrokers{
			addr: addr, replication: 1, proc: brk,
			term: func() {
				brk.kill(syscall.SIGTERM)
				time.Sleep(time.Duration(rng.IntN(2000)) * time.Millisecond)
				brk.start()
			},
			kill: func() {
				brk.kill(syscall.SIGKILL)
				brk.start()
			},
		})
	})
	t.Run(onKafka, func(t *testing.T) {
		// Three nodes, topics replicated three times with
		// min.insync.replicas 2: one node down at a time leaves every
		// partition writable.
		c := startKafka(t, 3, kafkacluster.Config{})
		rng := rand.New(rand.NewPCG(seed, 2))
		restart := func(id int) {
			if err := c.Restart(id); err != nil {
				t.Fatal(err)
			}
		}
		testFaultInjection(t, seed, rng, bin, dir, logs, faultBrokers{
			addr: strings.Join(c.Bootstrap(), ","), replication: 3,
			term: func() {
				id := 1 + rng.IntN(3)
				if err := c.Stop(id, time.Minute); err != nil {
					t.Error(err)
				}
				t.Logf("kafka node %d stopped with SIGTERM (controlled shutdown)", id)
				restart(id)
			},
			kill: func() {
				id := 1 + rng.IntN(3)
				if err := c.Kill(id); err != nil {
					t.Error(err)
				}
				t.Logf("kafka node %d killed with SIGKILL", id)
				restart(id)
			},
		})
	})
}

// faultBrokers is the broker side of TestFaultInjection: the embedded
// broker as a process of its own, or an Apache Kafka cluster.
type faultBrokers struct {
	addr        string // bootstrap, host:port[,host:port...]
	replication int
	proc        *osProc // the embedded broker's process, supervised like the others
	term, kill  func()  // stop a broker with SIGTERM (SIGKILL) and start it again
}

func (fb faultBrokers) seeds() []string { return strings.Split(fb.addr, ",") }

func testFaultInjection(t *testing.T, seed uint64, rng *rand.Rand, bin, dir, logs string, fb faultBrokers) {
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
		newProc(t, bin, logs, "process-1", "process", "--brokers", addr, "--data-dir", filepath.Join(dir, "p1"), "--http", ""),
		newProc(t, bin, logs, "process-2", "process", "--brokers", addr, "--data-dir", filepath.Join(dir, "p2"), "--http", ""),
	}
	for _, p := range procs {
		p.start()
	}
	// The views on a fixed port, so that the API stays where it was
	// across restarts.
	api := newProc(t, bin, logs, "serve", "serve", "--brokers", addr, "--data-dir", filepath.Join(dir, "api"), "--http", faultAddr(t))
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

	// A process that stops on its own is started again, as a process
	// manager would, and counted; the chaos holds chaosMu while it kills
	// and restarts, so that the two never start the same process twice.
	all := append([]*osProc{api}, procs...)
	if fb.proc != nil {
		all = append(all, fb.proc)
	}
	var chaosMu sync.Mutex
	supervise, stopSupervising := context.WithCancel(context.Background())
	supervised := make(chan struct{})
	go func() {
		defer close(supervised)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-supervise.Done():
				return
			case <-tick.C:
			}
			chaosMu.Lock()
			for _, p := range all {
				p.ensureRunning()
			}
			chaosMu.Unlock()
		}
	}()
	defer func() {
		stopSupervising()
		<-supervised
	}()

	// The chaos: an action every 2 to 5 seconds.
	start := time.Now()
	brokerTerm, viewsKill, brokerKill := faultChaos/3, faultChaos/2, 2*faultChaos/3
	var kills, views, brokerRestarts int
	for time.Since(start) < faultChaos {
		time.Sleep(time.Duration(2000+rng.IntN(3000)) * time.Millisecond)
		chaosMu.Lock()
		switch elapsed := time.Since(start); {
		case brokerTerm > 0 && elapsed > brokerTerm:
			brokerTerm = 0
			t.Logf("%v: a broker stopped with SIGTERM", elapsed.Round(time.Millisecond))
			fb.term()
			brokerRestarts++
		case brokerKill > 0 && elapsed > brokerKill:
			brokerKill = 0
			t.Logf("%v: a broker killed with SIGKILL", elapsed.Round(time.Millisecond))
			fb.kill()
			brokerRestarts++
		case viewsKill > 0 && elapsed > viewsKill, rng.IntN(8) == 0:
			viewsKill = 0
			api.kill(syscall.SIGKILL)
			api.start()
			views++
		case rng.IntN(6) == 0:
			for _, p := range procs {
				p.kill(syscall.SIGKILL)
			}
			t.Logf("%v: both processor instances killed", elapsed.Round(time.Millisecond))
			time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
			for _, p := range procs {
				p.start()
			}
			kills += 2
		default:
			p := procs[rng.IntN(len(procs))]
			p.kill(syscall.SIGKILL)
			time.Sleep(time.Duration(rng.IntN(1500)) * time.Millisecond)
			p.start()
			kills++
		}
		chaosMu.Unlock()
	}
	stopFeed()
	if err := <-fed; err != nil {
		t.Fatal(err)
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
	for _, p := range all {
		if n := p.crashCount(); n > 0 {
			t.Logf("%s exited on its own %d times and was started again", p.name, n)
		}
	}
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
