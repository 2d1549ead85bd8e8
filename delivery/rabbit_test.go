package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/delivery"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/rabbittest"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestRabbitMQ runs the relay, the workers and watchers against one real
// RabbitMQ node, each case in a virtual host of its own, and an embedded
// Kafka broker per case.
func TestRabbitMQ(t *testing.T) {
	if testing.Short() && !inCI() {
		t.Skip("starts a RabbitMQ node")
	}
	node := rabbittest.Start(t)
	t.Run("FanOut", func(t *testing.T) { testFanOut(t, node) })
	t.Run("CompetingWorkers", func(t *testing.T) { testCompetingWorkers(t, node) })
	t.Run("PoisonMessage", func(t *testing.T) { testPoisonMessage(t, node) })
	t.Run("RelayRestart", func(t *testing.T) { testRelayRestart(t, node) })
	t.Run("WorkerKilled", func(t *testing.T) { testWorkerKilled(t, node) })
	// Last: it restarts the node the others share.
	t.Run("RabbitMQRestart", func(t *testing.T) { testRabbitMQRestart(t, node) })
}

// bound reports whether a queue bound with keys gets routing key key;
// the default bindings are "<status>.*" and "#".
func bound(keys []string, key string) bool {
	for _, k := range keys {
		if k == "#" {
			return true
		}
		if prefix, ok := strings.CutSuffix(k, "*"); ok && strings.HasPrefix(key, prefix) && !strings.Contains(key[len(prefix):], ".") {
			return true
		}
	}
	return false
}

// Every notification reaches each channel bound to it, and no other; one
// the lifecycle wrote twice arrives twice with one message_id; a watcher
// sees what it subscribed to.
func testFanOut(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "fanout")
	kc := kafka(t)
	for ch := range delivery.Channels {
		declare(t, url, ch)
	}
	watched := &sink{}
	goRun(t, func(ctx context.Context) error {
		return delivery.Watch(ctx, delivery.WatchConfig{URL: url, Keys: []string{"delivered.*"}, Out: watched, Logger: logger(t)})
	})
	waitFor(t, "the watcher's binding", func() bool {
		out, err := node.Ctl("list_bindings", "-p", "fanout", "-q", "routing_key")
		return err == nil && strings.Contains(string(out), "delivered.*")
	})

	ns := notifications(0, 60)
	twice := ns[10]
	produce(t, kc, append(ns, twice)...)
	_, rm := startRelay(t, kc, url)
	sinks := map[string]*sink{}
	for ch := range delivery.Channels {
		sinks[ch] = &sink{}
		startWorkers(t, url, ch, 2, 0, sinks[ch])
	}
	for ch, keys := range delivery.Channels {
		var want []*streams.Notification
		for _, n := range ns {
			if bound(keys, delivery.RoutingKey(n)) {
				want = append(want, n)
			}
		}
		if len(want) == 0 {
			t.Fatalf("channel %s: no notification to deliver", ch)
		}
		waitFor(t, ch+" deliveries", func() bool { return len(missing(sinks[ch].deliveries(t), want)) == 0 })
		got := ids(sinks[ch].deliveries(t))
		for _, n := range ns {
			if !bound(keys, delivery.RoutingKey(n)) && got[delivery.MessageID(n)] > 0 {
				t.Errorf("channel %s got %s, routed %s, which it is not bound to", ch, delivery.MessageID(n), delivery.RoutingKey(n))
			}
		}
		for _, d := range sinks[ch].deliveries(t) {
			if d.Channel != ch || d.User == "" || d.Order == "" || d.Message == "" {
				t.Errorf("channel %s: delivery %+v", ch, d)
			}
		}
		if bound(keys, delivery.RoutingKey(twice)) {
			waitFor(t, ch+" duplicate", func() bool { return ids(sinks[ch].deliveries(t))[delivery.MessageID(twice)] == 2 })
		}
	}
	if c := promtest.ToFloat64(rm.Confirmed); c < float64(len(ns)+1) {
		t.Errorf("relay confirmed %v publications, want at least %d", c, len(ns)+1)
	}

	var delivered []*streams.Notification
	for _, n := range ns {
		if n.Status == "delivered" {
			delivered = append(delivered, n)
		}
	}
	waitFor(t, "the watcher", func() bool {
		w := parseWatched(t, watched)
		return len(w) >= len(delivered)
	})
	for _, w := range parseWatched(t, watched) {
		if !strings.HasPrefix(w.RoutingKey, "delivered.") {
			t.Errorf("watcher of delivered.* got %s", w.RoutingKey)
		}
	}
}

func parseWatched(t *testing.T, s *sink) []delivery.Watched {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []delivery.Watched
	for _, line := range strings.Split(strings.TrimSpace(s.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var w delivery.Watched
		if err := json.Unmarshal([]byte(line), &w); err != nil {
			t.Fatalf("watch line %q: %v", line, err)
		}
		out = append(out, w)
	}
	return out
}

// Two worker processes (here: connections) share the push queue: both
// get work, and together they deliver everything.
func testCompetingWorkers(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "competing")
	kc := kafka(t)
	declare(t, url, "push")
	a, b := &sink{}, &sink{}
	startWorkers(t, url, "push", 1, 20*time.Millisecond, a)
	startWorkers(t, url, "push", 1, 20*time.Millisecond, b)
	ns := notifications(0, 60)
	produce(t, kc, ns...)
	startRelay(t, kc, url)
	waitFor(t, "all deliveries", func() bool {
		return len(missing(append(a.deliveries(t), b.deliveries(t)...), ns)) == 0
	})
	na, nb := len(a.deliveries(t)), len(b.deliveries(t))
	t.Logf("worker a delivered %d, worker b %d", na, nb)
	if na == 0 || nb == 0 {
		t.Errorf("worker a delivered %d, worker b %d: want both to get work", na, nb)
	}
}

// A record of "notifications" that is no notification ends in the
// dead-letter queue of the channels it reaches, once; the others are
// delivered.
func testPoisonMessage(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "poison")
	kc := kafka(t)
	declare(t, url, "push")
	produceRaw(t, kc, "u-1", "this is not a notification")
	ns := notifications(0, 5)
	produce(t, kc, ns...)
	startRelay(t, kc, url)
	out := &sink{}
	_, m := startWorkers(t, url, "push", 1, 0, out)
	waitFor(t, "deliveries", func() bool { return len(missing(out.deliveries(t), ns)) == 0 })
	waitFor(t, "the dead-lettered message", func() bool { return ready(t, url, delivery.DeadLetterQueue("push")) == 1 })
	if n := promtest.ToFloat64(m.DeadLettered.WithLabelValues("push", "malformed")); n != 1 {
		t.Errorf("dead-lettered (malformed) = %v, want 1", n)
	}
	if n := len(out.deliveries(t)); n != len(ns) {
		t.Errorf("%d deliveries, want %d", n, len(ns))
	}
	if n := ready(t, url, delivery.Queue("push")); n != 0 {
		t.Errorf("%d messages left in the queue, want 0", n)
	}
}

// A relay stopped while notifications flow and started again publishes
// everything; what it published but had not committed comes again, under
// the same message_id. The first relay is killed (SIGKILL, in a process
// of its own), the second stopped, the third finishes.
func testRelayRestart(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "relayrestart")
	kc := kafka(t)
	declare(t, url, "push")
	out := &sink{}
	startWorkers(t, url, "push", 1, 0, out)
	ns := notifications(0, 600)
	stopProducing := produceSlowly(t, kc, ns, 2*time.Millisecond)

	child := startChild(t, "TestHelperRelay", childURLEnv+"="+url, childBrokersEnv+"="+strings.Join(kc.Brokers, ","))
	waitFor(t, "deliveries of the first relay", func() bool { return len(out.deliveries(t)) >= 20 })
	child.kill()
	t.Logf("relay killed after %d deliveries", len(out.deliveries(t)))

	stop, _ := startRelay(t, kc, url)
	n := len(out.deliveries(t))
	waitFor(t, "deliveries of the second relay", func() bool { return len(out.deliveries(t)) >= n+20 })
	stop()
	t.Logf("relay stopped after %d deliveries", len(out.deliveries(t)))

	startRelay(t, kc, url)
	stopProducing()
	waitFor(t, "all deliveries", func() bool { return len(missing(out.deliveries(t), ns)) == 0 })
	t.Logf("%d deliveries of %d notifications", len(out.deliveries(t)), len(ns))
	// Duplicates are repeats of a notification's message_id, never new ids.
	if got := len(ids(out.deliveries(t))); got != len(ns) {
		t.Errorf("%d distinct message_ids, want %d", got, len(ns))
	}
}

// produceSlowly produces ns one at a time in the background.
func produceSlowly(t *testing.T, kc kafkaconf.Config, ns []*streams.Notification, pause time.Duration) (wait func()) {
	cl := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgoconf.GokaPartitioner()))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, n := range ns {
			b, err := new(streams.NotificationCodec).Encode(n)
			if err == nil {
				err = cl.ProduceSync(context.Background(), &kgo.Record{Topic: string(streams.Notifications), Key: []byte(n.UserID), Value: b}).FirstErr()
			}
			if err != nil {
				t.Errorf("produce: %v", err)
				return
			}
			time.Sleep(pause)
		}
	}()
	return wg.Wait
}

// A worker killed (SIGKILL) while it sends a message leaves it to
// another worker.
func testWorkerKilled(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "killed")
	kc := kafka(t)
	declare(t, url, "push")
	ns := notifications(0, 5)
	produce(t, kc, ns...)
	startRelay(t, kc, url)
	q := delivery.Queue("push")
	waitFor(t, "the relay", func() bool { return ready(t, url, q) == len(ns) })

	childOut := t.TempDir() + "/child.out"
	child := startChildWorker(t, url, childOut)
	waitFor(t, "the child to take a message", func() bool { return ready(t, url, q) == len(ns)-1 })
	child.kill()
	if b, _ := os.ReadFile(childOut); len(b) != 0 {
		t.Fatalf("killed worker delivered %q", b)
	}

	out := &sink{}
	_, m := startWorkers(t, url, "push", 1, 0, out)
	waitFor(t, "all deliveries", func() bool { return len(missing(out.deliveries(t), ns)) == 0 })
	if n := promtest.ToFloat64(m.Redelivered.WithLabelValues("push")); n != 1 {
		t.Errorf("redelivered = %v, want 1 (the killed worker's message)", n)
	}
}

// RabbitMQ restarted while notifications flow: the relay and the workers
// reconnect, and every notification is delivered.
func testRabbitMQRestart(t *testing.T, node *rabbittest.Node) {
	url := node.VHost(t, "restart")
	kc := kafka(t)
	declare(t, url, "push")
	out := &sink{}
	startWorkers(t, url, "push", 2, 0, out)
	ns := notifications(0, 1000)
	stopProducing := produceSlowly(t, kc, ns, 10*time.Millisecond)
	startRelay(t, kc, url)
	waitFor(t, "first deliveries", func() bool { return len(out.deliveries(t)) >= 20 })
	t.Logf("stopping RabbitMQ after %d deliveries", len(out.deliveries(t)))
	node.Stop(t)
	t.Logf("RabbitMQ stopped after %d deliveries", len(out.deliveries(t)))
	time.Sleep(time.Second)
	node.Start(t)
	stopProducing()
	waitFor(t, "all deliveries", func() bool { return len(missing(out.deliveries(t), ns)) == 0 })
	t.Logf("%d deliveries of %d notifications", len(out.deliveries(t)), len(ns))
}

// Environment of the helper processes.
const (
	childURLEnv     = "DELIVERY_TEST_CHILD_URL"
	childOutEnv     = "DELIVERY_TEST_CHILD_OUT"
	childBrokersEnv = "DELIVERY_TEST_CHILD_BROKERS"
)

// child is a helper process: this test binary running one test.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startChildWorker runs a push worker that never finishes sending in a
// process of its own (TestHelperWorker), writing to out.
func startChildWorker(t *testing.T, url, out string) *child {
	return startChild(t, "TestHelperWorker", childURLEnv+"="+url, childOutEnv+"="+out)
}

// startChild runs test in a new process of this test binary with env; it
// exits when its stdin closes, and is killed when the test ends.
func startChild(t *testing.T, test string, env ...string) *child {
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.timeout=5m")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = testWriter{t}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.exited) }()
	t.Cleanup(func() { stdin.Close(); c.kill() })
	return c
}

// kill sends SIGKILL and waits until the process is gone.
func (c *child) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// TestHelperRelay is the relay process testRelayRestart starts and kills.
func TestHelperRelay(t *testing.T) {
	url, brokers := os.Getenv(childURLEnv), os.Getenv(childBrokersEnv)
	if url == "" || brokers == "" {
		t.Skip("helper process of the test that kills a relay")
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	kc := kafkaconf.Config{Brokers: strings.Split(brokers, ","), Partitions: 3, Replication: 1, ClientID: "relay-child"}
	err := delivery.Relay(ctx, delivery.RelayConfig{Kafka: kc, URL: url, Metrics: delivery.NewMetrics(prometheus.NewRegistry()), Logger: logger(t)})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHelperWorker is the worker process startChildWorker starts and
// kills.
func TestHelperWorker(t *testing.T) {
	url, out := os.Getenv(childURLEnv), os.Getenv(childOutEnv)
	if url == "" || out == "" {
		t.Skip("helper process of the test that kills a worker")
	}
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); cancel() }()
	err = delivery.Deliver(ctx, delivery.WorkerConfig{
		URL: url, Channel: "push", Keys: delivery.Channels["push"], Workers: 1,
		SendTime: time.Hour, Out: f, Metrics: delivery.NewMetrics(prometheus.NewRegistry()), Logger: logger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
}
