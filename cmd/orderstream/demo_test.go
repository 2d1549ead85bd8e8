package main

import (
	"context"
	"encoding/json"
	"flag"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/supervise"
)

// TestDemoRateZero runs `demo --rate 0`, the simulator off, and follows an
// order posted through the API to delivered: the kitchens and couriers run
// whatever the rate. /readyz names every component of the demo in the
// supervisor's shape.
func TestDemoRateZero(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and the whole system")
	}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	run := setupDemo(fs)
	if err := fs.Parse([]string{"--rate", "0", "--data-dir", t.TempDir(), "--kafka-listen", "127.0.0.1:0",
		"--http", "127.0.0.1:0", "--partitions", "2",
		"--prep-min", "10ms", "--prep-max", "20ms", "--delivery-min", "10ms", "--delivery-max", "20ms"}); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr syncBuffer
	e := &env{stdout: &stdout, logger: slog.New(slog.NewTextHandler(&stderr, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, e) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Error("demo did not return")
		}
		if t.Failed() {
			t.Logf("log:\n%s", stderr.String())
		}
	}()

	base := waitFor(t, "the URLs", func() (string, bool) {
		m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(stdout.String())
		if m == nil {
			return stdout.String(), false
		}
		return m[1], true
	})
	if strings.Contains(stdout.String(), "simulator:") {
		t.Errorf("--rate 0 started the simulator:\n%s", stdout.String())
	}
	ready := waitFor(t, "readiness", func() (string, bool) {
		code, body := get(t, base+"/readyz")
		return body, code == http.StatusOK
	})
	var r supervise.Readiness
	if err := json.Unmarshal([]byte(ready), &r); err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range r.Components {
		names[c.Name] = c.State
	}
	for _, want := range []string{"processor/ingest", "processor/lifecycle",
		"processor/lifecycle/catalog-view", "view/lifecycle-table", "view/restaurants", "events", "kitchen"} {
		if names[want] != supervise.StateRunning {
			t.Errorf("/readyz: %s is %q, want running; body %s", want, names[want], ready)
		}
	}
	if _, ok := names["simulator"]; ok {
		t.Errorf("/readyz names a simulator with --rate 0: %s", ready)
	}

	resp, err := http.Post(base+"/api/orders", "application/json", strings.NewReader(
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"pizza","qty":2,"price_cents":1250}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/orders: %d", resp.StatusCode)
	}
	waitFor(t, "the order delivered", func() (string, bool) {
		code, body := get(t, base+"/api/orders/o-1")
		return body, code == http.StatusOK && strings.Contains(body, `"status":"delivered"`)
	})
}
