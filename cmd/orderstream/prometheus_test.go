package main

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/rabbittest"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"

	"github.com/orderstream/orderstream/internal/testutil"
)

// runningCommand is one orderstream command running in the test, as run runs it
// from main.
type runningCommand struct {
	stdout, stderr syncBuffer
	cancel         context.CancelFunc
	done           chan error
}

// startCommand runs orderstream args until stop or the end of the test.
func startCommand(t *testing.T, args ...string) *runningCommand {
	t.Helper()
	c := &runningCommand{done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { c.done <- run(ctx, args, &c.stdout, &c.stderr) }()
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Errorf("orderstream %s: %v", args[0], err)
		}
		if t.Failed() {
			t.Logf("orderstream %s log (tail):\n%s", strings.Join(args, " "), tail(c.stderr.String(), 40))
		}
	})
	return c
}

// stop ends the command and returns its error; later calls return nil.
func (c *runningCommand) stop() error {
	c.cancel()
	select {
	case err, ok := <-c.done:
		if ok {
			close(c.done)
		}
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("did not return within 60s of being stopped")
	}
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(len(lines)-n, 0):], "\n")
}

// TestPrometheus runs the system under simulated load, as the commands run
// it (an embedded broker; two `process` instances, one running ingest and
// one the other groups and the relay to RabbitMQ; `serve`; `emit`; a
// `deliver` worker on a RabbitMQ node of its own), scraped by a real Prometheus with
// the repository's scrape configuration (targets replaced by the test's)
// and alert rules. Through Prometheus' HTTP API it checks that every query
// of every Grafana panel returns data and that every alert rule is quiet
// on the healthy system, then makes faults and checks their alerts fire:
// malformed orders (dead letters), a stopped processor (target down, lag
// growing).
//
// The alerts' `for:` durations (up to 15 minutes) cannot be waited for:
// the test evaluates each rule's expression (its query as Prometheus
// loaded it), which is what fires the alert once it has held for `for:`.
// OrderstreamDeadLetters has no `for:`, so for it the test also waits for
// the alert itself to fire. The rules whose faults the test cannot make
// (restarts, a recovery stuck for 15 minutes, aborting transactions, HTTP
// 5xx) are proven to fire by their promtool unit tests
// (deploy/prometheus/alerts_test.yml); here they are checked to evaluate
// without error and stay quiet on a healthy system.
func TestPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the system and Prometheus")
	}
	promBin := prometheusBinary(t)

	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kafka := []string{"--brokers", b.Addr(), "--partitions", "2"}
	with := func(args ...string) []string { return append(args, kafka...) }

	// The system. Topics first, so that the commands do not race to
	// create them.
	var out, errOut syncBuffer
	if err := run(context.Background(), with("topics"), &out, &errOut); err != nil {
		t.Fatalf("topics: %v\n%s", err, errOut.String())
	}
	var others []string
	for _, n := range processors.Names() {
		if n != string(ingest.Group) {
			others = append(others, n)
		}
	}
	// RabbitMQ: the processors relay the notifications to it, and a
	// delivery worker, scraped too, hands them out.
	rabbit := rabbittest.Start(t)
	deliverAddr := testutil.FreeAddr(t)
	startCommand(t, "deliver", "--amqp-url", rabbit.URL, "--channel", "push", "--http", deliverAddr)
	ingestAddr, procsAddr := testutil.FreeAddr(t), testutil.FreeAddr(t)
	ingestCmd := startCommand(t, with("process", "--only", string(ingest.Group), "--http", ingestAddr, "--data-dir", t.TempDir())...)
	startCommand(t, with("process", "--only", strings.Join(others, ","), "--http", procsAddr, "--data-dir", t.TempDir(), "--amqp-url", rabbit.URL)...)
	serve := startCommand(t, with("serve", "--http", "127.0.0.1:0", "--data-dir", t.TempDir())...)
	var serveBase string
	eventually(t, "serve's URL", 60*time.Second, func() (string, bool) {
		m := regexp.MustCompile(`serving on http://(\S+)`).FindStringSubmatch(serve.stdout.String())
		if m == nil {
			return serve.stdout.String(), false
		}
		serveBase = m[1]
		return "", true
	})
	startCommand(t, with("emit", "--rate", "50", "--restaurants", "10", "--users", "200")...)
	for _, addr := range []string{ingestAddr, procsAddr, serveBase} {
		eventually(t, addr+" ready", 120*time.Second, func() (string, bool) {
			code, body := get(t, "http://"+addr+"/readyz")
			return body, code == http.StatusOK
		})
	}

	// Prometheus, scraping them every second.
	promAddr := testutil.FreeAddr(t)
	prom := startPrometheus(t, promBin, promAddr, scrapeConfig(t, map[string][]string{
		"orderstream-api":        {serveBase},
		"orderstream-processors": {ingestAddr, procsAddr},
		"orderstream-deliver":    {deliverAddr},
		"prometheus":             {promAddr},
	}))
	eventually(t, "every target up", 60*time.Second, func() (string, bool) {
		n, err := prom.query(`up == 1`)
		return fmt.Sprintf("%d up (%v)", n, err), n == 5
	})

	// Every panel's every query returns data. Rates need a few scrapes,
	// and the counters of the pipeline a few orders through it.
	queries := dashboardQueries(t)
	t.Logf("evaluating the %d queries of the dashboard's panels", len(queries))
	for _, q := range queries {
		eventually(t, fmt.Sprintf("panel %q: %s", q.panel, q.expr), 90*time.Second, func() (string, bool) {
			n, err := prom.query(q.expr)
			return fmt.Sprintf("%d series (%v)", n, err), err == nil && n > 0
		})
	}

	// Every alert rule loaded, evaluates without error, and is quiet.
	rules := prom.rules(t)
	wantAlerts := []string{
		"OrderstreamConsumerLagGrowing", "OrderstreamDeadLetters", "OrderstreamComponentRestarting",
		"OrderstreamTargetDown", "OrderstreamNotRecovered", "OrderstreamIngestAborting", "OrderstreamHTTP5xx",
	}
	for _, name := range wantAlerts {
		if _, ok := rules[name]; !ok {
			t.Errorf("Prometheus loaded no rule %s (have %v)", name, keys(rules))
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("evaluating the %d alert rules on the healthy system", len(rules))
	for name, r := range rules {
		if !slices.Contains(wantAlerts, name) {
			t.Errorf("rule %s is not checked by this test: add it to wantAlerts and make its fault", name)
		}
		if r.Health == "err" || r.LastError != "" {
			t.Errorf("rule %s: health %s, error %q", name, r.Health, r.LastError)
		}
		// Quiet once the system has settled: under a loaded machine a
		// group may still be catching up with the orders of its start.
		eventually(t, "healthy system: rule "+name+" quiet", 90*time.Second, func() (string, bool) {
			n, err := prom.query(r.Query)
			return fmt.Sprintf("%d series (%v) for %s", n, err, r.Query), err == nil && n == 0
		})
	}

	// Fault: malformed orders are dead-lettered and the alert fires.
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 3 {
		r := &kgo.Record{Topic: string(order.Stream), Key: []byte("r-1"), Value: []byte(fmt.Sprintf(`{"order_id": "bad-%d", `, i))}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "OrderstreamDeadLetters firing", 60*time.Second, func() (string, bool) {
		r := prom.rules(t)["OrderstreamDeadLetters"]
		return r.State, r.State == "firing"
	})

	// Fault: the ingest processor stops. Its target goes down, and the
	// other process, which still reads the groups' lag from the broker,
	// shows ingest's lag growing as the simulator keeps placing orders.
	if err := ingestCmd.stop(); err != nil {
		t.Fatalf("stopping ingest: %v", err)
	}
	for _, name := range []string{"OrderstreamTargetDown", "OrderstreamConsumerLagGrowing"} {
		eventually(t, name+"'s expression", 120*time.Second, func() (string, bool) {
			n, err := prom.query(rules[name].Query)
			return fmt.Sprintf("%d series (%v)", n, err), err == nil && n > 0
		})
	}
	if n, err := prom.query(`orderstream_consumergroup_lag{group="ingest",topic="orders"} > 0`); err != nil || n == 0 {
		t.Errorf("ingest's lag on orders: %d series (%v), want it above 0", n, err)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
