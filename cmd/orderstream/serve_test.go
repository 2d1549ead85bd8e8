package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestUrlHost(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "127.0.0.1:8080"},
		{"0.0.0.0:80", "localhost:80"},
		{"[::]:8080", "localhost:8080"},
		{"[::1]:8080", "[::1]:8080"},
	}
	for _, tt := range tests {
		if got := urlHost(fakeAddr(tt.addr)); got != tt.want {
			t.Errorf("urlHost(%s) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

type fakeAddr string

func (fakeAddr) Network() string  { return "tcp" }
func (a fakeAddr) String() string { return string(a) }

// TestServeAll runs what the demo runs: serveAll with the processors as a
// sidecar, against a Kafka-protocol broker, and follows one order from
// POST /api/orders to every read endpoint.
func TestServeAll(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	kc, err := (&kafkaFlags{brokers: strings.Join(cluster.ListenAddrs(), ","), partitions: 2, replication: 1}).config("serve-test")
	if err != nil {
		t.Fatal(err)
	}
	var stdout syncBuffer
	var stderr syncBuffer
	e := &env{stdout: &stdout, logger: slog.New(slog.NewTextHandler(&stderr, nil))}
	dir := t.TempDir()
	m := metrics.New()
	procs := func(ctx context.Context, h *views.Handler) error {
		rc := runner.Config{Kafka: kc, DataDir: dir, Logger: e.logger, Started: h.AttachProcessor}
		return processors.Run(ctx, rc, processors.All(processors.Hooks{}))
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveAll(ctx, e, serveConfig{kafka: kc, http: "127.0.0.1:0", dataDir: dir, metrics: m}, procs)
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serveAll: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serveAll did not return")
		}
		if t.Failed() {
			t.Logf("log:\n%s", stderr.String())
		}
	}()

	base := waitFor(t, "the URLs", func() (string, bool) {
		m := regexp.MustCompile(`serving on (http://\S+)`).FindStringSubmatch(stdout.String())
		if m == nil {
			return "", false
		}
		return m[1], true
	})
	for _, want := range []string{"/api/stats", "/monitor/", "/query/", "/metrics"} {
		if !strings.Contains(stdout.String(), base+want+"\n") {
			t.Errorf("output lacks %s:\n%s", base+want, stdout.String())
		}
	}
	waitFor(t, "readiness", func() (string, bool) {
		code, body := get(t, base+"/readyz")
		return body, code == http.StatusOK
	})

	resp, err := http.Post(base+"/api/orders", "application/json", strings.NewReader(
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"pizza","qty":2,"price_cents":1250}]}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /api/orders: %d %s", resp.StatusCode, body)
	}

	restaurant := waitFor(t, "the restaurant", func() (string, bool) {
		code, body := get(t, base+"/api/restaurants/r-1")
		return body, code == http.StatusOK
	})
	var r views.RestaurantResponse
	if err := json.Unmarshal([]byte(restaurant), &r); err != nil {
		t.Fatal(err)
	}
	if r.Orders != 1 || r.RevenueCents != 2500 || r.Items != 2 || len(r.TopItems) != 1 {
		t.Errorf("restaurant %s", restaurant)
	}
	waitFor(t, "the user", func() (string, bool) {
		code, body := get(t, base+"/api/users/u-1")
		return body, code == http.StatusOK && strings.Contains(body, `"spent_cents":2500`)
	})
	waitFor(t, "the global stats", func() (string, bool) {
		_, body := get(t, base+"/api/stats")
		return body, strings.HasPrefix(body, `{"orders":1,"revenue_cents":2500,"items":2,"restaurants":1,"users":1,`)
	})
	if code, body := get(t, base+"/api/restaurants?sort=orders&limit=5"); code != 200 || !strings.Contains(body, `"restaurant_id":"r-1"`) {
		t.Errorf("list: %d %s", code, body)
	}
	if code, body := get(t, base+"/monitor/"); code != 200 || !strings.Contains(body, "lifecycle") || !strings.Contains(body, "global-table") {
		t.Errorf("monitor: %d", code)
	}
	waitFor(t, "the metrics", func() (string, bool) {
		_, body := get(t, base+"/metrics")
		return body, strings.Contains(body, `orderstream_orders_emitted_total{source="intake"} 1`+"\n") &&
			// The placed update, and the changes that follow it.
			strings.Contains(body, `orderstream_processor_messages_consumed_total{group="restaurant",topic="status-by-restaurant"} `) &&
			strings.Contains(body, `orderstream_view_recovered{table="restaurant-table"} 1`+"\n")
	})
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitFor polls f until it reports done, and returns its last value.
func waitFor(t *testing.T, what string, f func() (string, bool)) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, ok := f()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last: %s", what, v)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
