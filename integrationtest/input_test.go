package integrationtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

// TestInputEdges sends what a new user sends first, over HTTP to the real
// intake and with a Kafka client to "orders" on the embedded broker, with
// every processor running: every input gets a clear answer (a JSON 4xx, a
// dead letter with its reason, a counted conflict), and an order placed
// days ago is played, or released, rather than left accepted for good.
func TestInputEdges(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	const acceptTimeout = 3 * time.Second
	sys := startLifecycle(t, kc, t.TempDir(), lifecycleOptions{capacity: 5, acceptTimeout: acceptTimeout}, logger)

	opts, err := kgoconf.Options(kc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(key string, value []byte) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: string(order.Stream), Key: []byte(key), Value: value}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	orderRecord := func(id, restaurantID, userID string, placedAt time.Time) []byte {
		return fmt.Appendf(nil, `{"order_id":%q,"restaurant_id":%q,"user_id":%q,"items":[{"sku":"tea","qty":1,"price_cents":300}],"total_cents":300,"placed_at":%q}`,
			id, restaurantID, userID, placedAt.UTC().Format(time.RFC3339))
	}
	// wantJSON checks an answer is the status with {"error"} holding want.
	wantJSON := func(t *testing.T, what string, code int, header http.Header, body string, wantCode int, want string) {
		t.Helper()
		var e struct {
			Error string `json:"error"`
		}
		if code != wantCode || header.Get("Content-Type") != "application/json" || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Error, want) {
			t.Errorf("%s: %d %s %q, want %d JSON with an error containing %q", what, code, header.Get("Content-Type"), body, wantCode, want)
		}
	}

	t.Run("reused order id", func(t *testing.T) {
		body := `{"order_id":"edge-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":2,"price_cents":300}]}`
		if code, _, resp, err := post(sys.base+"/api/orders", body, nil); err != nil || code != http.StatusAccepted {
			t.Fatalf("first: %d %s %v", code, resp, err)
		}
		sys.waitStatus(t, "edge-1", "accepted")
		// A retry answers as the first did.
		if code, _, resp, err := post(sys.base+"/api/orders", body, nil); err != nil || code != http.StatusAccepted {
			t.Errorf("retry: %d %s %v", code, resp, err)
		}
		code, h, resp, err := post(sys.base+"/api/orders", strings.Replace(body, `"r-1"`, `"r-2"`, 1), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantJSON(t, "other restaurant", code, h, resp, http.StatusConflict, `order_id "edge-1" is already used by another order, with restaurant_id "r-1" (this request "r-2")`)

		// The same with an Idempotency-Key, scoped to the user.
		key := map[string]string{"Idempotency-Key": "my-key-1"}
		keyed := `{"restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}]}`
		code, _, resp, err = post(sys.base+"/api/orders", keyed, key)
		if err != nil || code != http.StatusAccepted {
			t.Fatalf("keyed: %d %s %v", code, resp, err)
		}
		var placed struct {
			OrderID string `json:"order_id"`
		}
		_ = json.Unmarshal([]byte(resp), &placed)
		sys.waitStatus(t, placed.OrderID, "accepted")
		code, h, resp, _ = post(sys.base+"/api/orders", strings.Replace(keyed, `"qty":1`, `"qty":3`, 1), key)
		wantJSON(t, "key reused with other items", code, h, resp, http.StatusConflict, "total_cents 300 (this request 900)")
		if code, _, resp, _ := post(sys.base+"/api/orders", strings.Replace(keyed, `"u-1"`, `"u-2"`, 1), key); code != http.StatusAccepted {
			t.Errorf("the same key for another user: %d %s", code, resp)
		}

		// On "orders", the lifecycle keeps the first copy and counts the
		// other.
		produce("r-9", orderRecord("edge-1", "r-9", "u-9", time.Now()))
		waitFor(t, nil, "the conflict counted", func() (string, bool) {
			n := testutil.ToFloat64(sys.metrics.ConflictingOrders)
			return fmt.Sprint(n), n == 1
		})
		if o, _ := sys.order(t, "edge-1"); o.RestaurantID != "r-1" || o.UserID != "u-1" {
			t.Errorf("edge-1 is now %+v, want the first copy", o)
		}
	})

	t.Run("ids", func(t *testing.T) {
		for _, tc := range []struct{ name, id, want string }{
			{"only spaces", `"   "`, "starts or ends with white space"},
			{"NUL", `"a\u0000b"`, "control character U+0000"},
			{"newline", `"a\nb"`, "control character U+000A"},
			{"path", `"../a"`, "path character '/'"},
			{"backslash", `"a\\b"`, `path character '\\'`},
			{"lone surrogate", `"a\ud800"`, "U+FFFD"},
			{"invalid UTF-8", "\"a\xffb\"", "not valid UTF-8"},
			{"129 bytes", `"` + strings.Repeat("x", 129) + `"`, "longer than 128 bytes"},
		} {
			body := `{"order_id":` + tc.id + `,"restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}]}`
			code, h, resp, err := post(sys.base+"/api/orders", body, nil)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON(t, tc.name, code, h, resp, http.StatusBadRequest, tc.want)
		}

		// The same ids on "orders" are dead-lettered with their reason.
		bad := map[string]string{
			"bad-1": `{"order_id":"   ","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}],"total_cents":300,"placed_at":"2026-11-25T12:00:00Z"}`,
			"bad-2": `{"order_id":"a/b","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}],"total_cents":300,"placed_at":"2026-11-25T12:00:00Z"}`,
			"bad-3": `{"order_id":"a\u0000b","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}],"total_cents":300,"placed_at":"2026-11-25T12:00:00Z"}`,
			"bad-4": "{\"order_id\":\"a\xffb\",\"restaurant_id\":\"r-1\",\"user_id\":\"u-1\",\"items\":[{\"sku\":\"tea\",\"qty\":1,\"price_cents\":300}],\"total_cents\":300,\"placed_at\":\"2026-11-25T12:00:00Z\"}",
		}
		want := map[string]string{"bad-1": "bad_id", "bad-2": "bad_id", "bad-3": "bad_id", "bad-4": "malformed_json"}
		for key, value := range bad {
			produce(key, []byte(value))
		}
		got := map[string]string{}
		dlq, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(string(ingest.DLQ)), kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
		if err != nil {
			t.Fatal(err)
		}
		defer dlq.Close()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		for len(got) < len(want) && ctx.Err() == nil {
			dlq.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
				for _, h := range r.Headers {
					if h.Key == ingest.HeaderReason {
						got[string(r.Key)] = string(h.Value)
					}
				}
				if !bytes.Equal(r.Value, []byte(bad[string(r.Key)])) {
					t.Errorf("dead letter %s holds %q, not the record", r.Key, r.Value)
				}
			})
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("dead letter of %s: reason %q, want %q", k, got[k], w)
			}
		}
	})

	t.Run("JSON under /api/", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, sys.base+"/api/orders", strings.NewReader(`{"restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"tea","qty":1,"price_cents":300}]}`))
		resp, err := httpClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		wantJSON(t, "no Content-Type", resp.StatusCode, resp.Header, string(body), http.StatusUnsupportedMediaType, "no Content-Type")

		for _, tc := range []struct {
			method, path string
			code         int
			want         string
		}{
			{http.MethodGet, "/api/nope", 404, "no route for /api/nope"},
			{http.MethodDelete, "/api/stats", 405, "method DELETE not allowed"},
			{http.MethodPut, "/api/orders", 405, "method PUT not allowed"},
			{http.MethodGet, "/api/restaurants/%2F", 404, "no route for /api/restaurants//"},
		} {
			req, _ := http.NewRequest(tc.method, sys.base+tc.path, nil)
			resp, err := httpClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			wantJSON(t, tc.method+" "+tc.path, resp.StatusCode, resp.Header, string(body), tc.code, tc.want)
		}

		// A path net/http cannot parse, as curl sends it.
		c, err := net.Dial("tcp", strings.TrimPrefix(sys.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "GET /api/restaurants/%%zz HTTP/1.1\r\nHost: x\r\n\r\n")
		raw, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		body, _ = io.ReadAll(raw.Body)
		wantJSON(t, "/api/restaurants/%zz", raw.StatusCode, raw.Header, string(body), http.StatusBadRequest, "bad %-escape")

		// A large body with Expect: 100-continue gets its 413.
		big := bytes.Repeat([]byte("x"), 5<<20)
		req, _ = http.NewRequest(http.MethodPost, sys.base+"/api/orders", bytes.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Expect", "100-continue")
		client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
		defer client.CloseIdleConnections()
		resp, err = client.Do(req)
		if err != nil {
			t.Fatalf("large body: %v", err)
		}
		body, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		wantJSON(t, "5 MB body", resp.StatusCode, resp.Header, string(body), http.StatusRequestEntityTooLarge, "request body larger than 65536 bytes")
	})

	t.Run("old event time", func(t *testing.T) {
		// The README's kcat example: placed nine days ago. Without a
		// kitchen nobody moves it on, and it is released.
		nineDaysAgo := time.Now().Add(-9 * 24 * time.Hour)
		produce("r-old", orderRecord("old-1", "r-old", "u-1", nineDaysAgo))
		o := sys.waitStatus(t, "old-1", "accepted")
		if at := o.History[1].At; time.Since(at) > time.Minute {
			t.Errorf("accepted at %v, the order's placed_at rather than now", at)
		}
		o = sys.waitStatus(t, "old-1", "cancelled")
		if last := o.History[len(o.History)-1]; last.Reason != "not ready within 3s" {
			t.Errorf("released with reason %q", last.Reason)
		}
		var r views.RestaurantResponse
		waitFor(t, nil, "r-old's slot freed", func() (string, bool) {
			err := getJSON(t, sys.base+"/api/restaurants/r-old", &r)
			return fmt.Sprintf("open %d, cancelled %d, %v", r.Open, r.Cancelled, err), err == nil && r.Open == 0 && r.Cancelled == 1
		})

		// With a kitchen, an order as old is prepared and delivered.
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		k := kitchen.Config{PrepMin: 100 * time.Millisecond, PrepMax: 200 * time.Millisecond, DeliveryMin: 100 * time.Millisecond, DeliveryMax: 200 * time.Millisecond}
		go func() {
			done <- kitchen.Run(ctx, runner.Config{Kafka: kc, DataDir: t.TempDir(), Logger: logger}, k, logger)
		}()
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("kitchen: %v", err)
			}
		}()
		produce("r-old", orderRecord("old-2", "r-old", "u-1", nineDaysAgo))
		o = sys.waitStatus(t, "old-2", "delivered")
		checkHistory(t, o, "placed", "accepted", "ready", "delivered")
		if !o.History[0].At.Equal(nineDaysAgo.UTC().Truncate(time.Second)) {
			t.Errorf("placed at %v, want the order's placed_at %v", o.History[0].At, nineDaysAgo)
		}
	})
}
