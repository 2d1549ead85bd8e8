package views

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

func statusEvent(t *testing.T, user, restaurant string, s order.Status) *Event {
	t.Helper()
	data, err := json.Marshal(streams.Change{OrderID: "o-1", RestaurantID: restaurant, UserID: user, Status: s, At: t0, Seq: exactly.Pos{Offset: 4}})
	if err != nil {
		t.Fatal(err)
	}
	e, err := decodeEvent(string(streams.Changes), data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestDecodeEvent(t *testing.T) {
	c, _ := json.Marshal(streams.Change{OrderID: "o-1", RestaurantID: "r1", UserID: "u1", Status: order.StatusRejected, At: t0, Reason: "full", Seq: exactly.Pos{Offset: 4}})
	n, _ := json.Marshal(streams.Notification{UserID: "u1", OrderID: "o-1", RestaurantID: "r1", Status: order.StatusRejected, Message: "m", At: t0})
	tests := []struct {
		topic, value string
		want         *Event
		wantErr      bool
	}{
		{string(streams.Changes), string(c), &Event{Type: EventStatus, UserID: "u1", RestaurantID: "r1",
			Data: []byte(`{"order_id":"o-1","restaurant_id":"r1","user_id":"u1","status":"rejected","at":"2025-03-01T12:00:00Z","reason":"full"}`)}, false},
		{string(streams.Notifications), string(n), &Event{Type: EventNotification, UserID: "u1", RestaurantID: "r1",
			Data: []byte(`{"user_id":"u1","order_id":"o-1","restaurant_id":"r1","status":"rejected","message":"m","at":"2025-03-01T12:00:00Z"}`)}, false},
		{string(streams.Changes), "{", nil, true},
		{"other", "{}", nil, true},
	}
	for _, tc := range tests {
		got, err := decodeEvent(tc.topic, []byte(tc.value))
		if (err != nil) != tc.wantErr {
			t.Errorf("decodeEvent(%s, %s) error %v", tc.topic, tc.value, err)
			continue
		}
		if tc.want != nil && (got.Type != tc.want.Type || got.UserID != tc.want.UserID || got.RestaurantID != tc.want.RestaurantID || string(got.Data) != string(tc.want.Data)) {
			t.Errorf("decodeEvent(%s) = %+v %s, want %+v %s", tc.topic, got, got.Data, tc.want, tc.want.Data)
		}
	}
}

func TestHubFiltersAndDropsSlowClients(t *testing.T) {
	h := NewHub(kafkaConfigForTests(), discardLogger())
	all, _ := h.Subscribe(Filter{})
	u1, _ := h.Subscribe(Filter{UserID: "u1"})
	r2u1, _ := h.Subscribe(Filter{UserID: "u1", RestaurantID: "r2"})
	h.Publish(statusEvent(t, "u1", "r1", order.StatusPlaced))
	h.Publish(statusEvent(t, "u2", "r2", order.StatusPlaced))
	h.Publish(statusEvent(t, "u1", "r2", order.StatusPlaced))
	for _, tc := range []struct {
		name string
		s    *Subscription
		want int
	}{{"all", all, 3}, {"u1", u1, 2}, {"u1 at r2", r2u1, 1}} {
		if got := len(tc.s.ch); got != tc.want {
			t.Errorf("%s got %d events, want %d", tc.name, got, tc.want)
		}
	}

	// u1 reads nothing while its events keep coming: it is dropped once
	// its buffer is full, and the others are not held up.
	for range ClientBuffer {
		h.Publish(statusEvent(t, "u1", "r1", order.StatusReady))
		<-all.Events()
	}
	n := 0
	for range u1.Events() {
		n++
	}
	if n != ClientBuffer {
		t.Errorf("the dropped client drained %d events, want the %d buffered", n, ClientBuffer)
	}
	if _, open := h.subs[u1]; open {
		t.Error("slow client still subscribed")
	}
	u1.Close() // after the hub dropped it: no effect

	h.close()
	if _, ok := <-all.Events(); ok {
		// drain what was left, then it must be closed
		for range all.Events() {
		}
	}
	if _, err := h.Subscribe(Filter{}); !errors.Is(err, ErrHubClosed) {
		t.Errorf("Subscribe after close: %v, want ErrHubClosed", err)
	}
}

func TestHubMaxClients(t *testing.T) {
	h := NewHub(kafkaConfigForTests(), discardLogger())
	for range MaxClients {
		if _, err := h.Subscribe(Filter{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Subscribe(Filter{}); !errors.Is(err, ErrTooManyClients) {
		t.Errorf("Subscribe beyond MaxClients: %v", err)
	}
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		query   string
		want    Filter
		wantErr string
	}{
		{"", Filter{}, ""},
		{"user_id=u1", Filter{UserID: "u1"}, ""},
		{"user_id=u1&restaurant_id=r%2F1&x=y", Filter{UserID: "u1", RestaurantID: "r/1"}, ""},
		{"user_id=a&user_id=b", Filter{}, "user_id given 2 times, want once"},
		{"restaurant_id=", Filter{}, "restaurant_id: empty id"},
		{"user_id=%zz", Filter{}, `malformed query string: invalid URL escape "%zz"`},
	}
	for _, tc := range tests {
		got, err := parseFilter(tc.query)
		if tc.wantErr != "" {
			if err == nil || err.Error() != tc.wantErr {
				t.Errorf("parseFilter(%q) error %v, want %q", tc.query, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseFilter(%q) = %+v, %v; want %+v", tc.query, got, err, tc.want)
		}
	}
}

// TestEventStream reads GET /api/events over a real connection: the
// filtered events in order, then the end of the stream when the hub stops.
func TestEventStream(t *testing.T) {
	set, _ := newTestSet(t)
	hub := NewHub(kafkaConfigForTests(), discardLogger())
	h := newTestHandler(t, HandlerConfig{Views: set, Events: hub})
	srv := httptest.NewServer(h)
	defer srv.Close()

	checkJSON(t, do(t, h, http.MethodGet, "/api/events?user_id="), http.StatusBadRequest, `{"error":"user_id: empty id"}`)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/events?user_id=u1", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != "text/event-stream" {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, ct)
	}
	lines := bufio.NewScanner(resp.Body)
	next := func() string {
		if !lines.Scan() {
			return "<end>"
		}
		return lines.Text()
	}
	for _, want := range []string{"retry: 2000", ": connected", ""} {
		if got := next(); got != want {
			t.Fatalf("preamble line %q, want %q", got, want)
		}
	}
	// The subscription exists once the preamble is out.
	hub.Publish(statusEvent(t, "u2", "r1", order.StatusPlaced))
	hub.Publish(statusEvent(t, "u1", "r1", order.StatusAccepted))
	for _, want := range []string{
		"event: status",
		`data: {"order_id":"o-1","restaurant_id":"r1","user_id":"u1","status":"accepted","at":"2025-03-01T12:00:00Z","reason":""}`,
		"",
	} {
		if got := next(); got != want {
			t.Fatalf("line %q, want %q", got, want)
		}
	}
	hub.close()
	if got := next(); got != "<end>" {
		t.Errorf("after the hub closed: %q, want the end of the stream", got)
	}
	if got := do(t, h, http.MethodGet, "/api/events"); got.code != http.StatusServiceUnavailable ||
		!strings.Contains(got.body, "event hub closed") {
		t.Errorf("after close: %d %s", got.code, got.body)
	}
}

func kafkaConfigForTests() kafkaconf.Config {
	return kafkaconf.Config{Brokers: []string{"127.0.0.1:1"}, Partitions: 1, Replication: 1}
}
