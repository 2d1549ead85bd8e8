package intake

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestConflict: a request under a used order id (or Idempotency-Key) is
// placed again when it is the same order, and refused with 409 when it
// differs from the order placed first.
func TestConflict(t *testing.T) {
	first := map[string]*Placed{
		"client-1": {RestaurantID: "r-0001", UserID: "u-00001", TotalCents: 2447},
		// printf 'u-00001\0k1' | sha256sum | cut -c1-32
		"fca5129cab30f7ea7e3943b5f795ccf3": {RestaurantID: "r-0002", UserID: "u-00001", TotalCents: 2447},
	}
	lookup := func(id string) (*Placed, error) {
		if id == "broken" {
			return nil, errors.New("view unavailable")
		}
		return first[id], nil
	}
	sink := &fakeSink{}
	srv := httptest.NewServer(NewHandler(sink, testLogger, WithPlaced(lookup), WithClock(func() time.Time { return testNow })))
	defer srv.Close()

	tests := []struct {
		name, idemKey, body string
		wantStatus          int
		wantBody            string
	}{
		{name: "retry of the same order", body: `{"order_id":"client-1",` + validBody[1:], wantStatus: 202},
		{name: "unknown id", body: `{"order_id":"client-2",` + validBody[1:], wantStatus: 202},
		{name: "lookup fails", body: `{"order_id":"broken",` + validBody[1:], wantStatus: 202},
		{
			name: "other restaurant and total", body: `{"order_id":"client-1","restaurant_id":"r-0009","user_id":"u-00001","items":[{"sku":"s","qty":1,"price_cents":100}]}`,
			wantStatus: 409,
			wantBody: `{"error":"order_id \"client-1\" is already used by another order, with restaurant_id \"r-0001\" (this request \"r-0009\"), ` +
				`total_cents 2447 (this request 100); send a new order under a new order_id or Idempotency-Key","order_id":"client-1"}` + "\n",
		},
		{
			name: "idempotency key reused for another restaurant", idemKey: "k1", body: validBody,
			wantStatus: 409,
			wantBody: `{"error":"order_id \"fca5129cab30f7ea7e3943b5f795ccf3\" is already used by another order, with restaurant_id \"r-0002\" (this request \"r-0001\"); ` +
				`send a new order under a new order_id or Idempotency-Key","order_id":"fca5129cab30f7ea7e3943b5f795ccf3"}` + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := sink.count()
			req, _ := http.NewRequest(http.MethodPost, srv.URL+Path, strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.idemKey != "" {
				req.Header.Set(IdempotencyHeader, tt.idemKey)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || (tt.wantBody != "" && string(body) != tt.wantBody) {
				t.Errorf("got %d %s\nwant %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if emitted := sink.count() - before; emitted != map[bool]int{true: 1}[tt.wantStatus == 202] {
				t.Errorf("%d orders emitted", emitted)
			}
		})
	}
}

func (s *fakeSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.orders)
}

// TestConflictBeforeVisible: a conflicting request to the same handler is
// refused as soon as the first was placed, before the lookup sees it.
func TestConflictBeforeVisible(t *testing.T) {
	sink := &fakeSink{}
	nothing := func(string) (*Placed, error) { return nil, nil }
	srv := httptest.NewServer(NewHandler(sink, testLogger, WithPlaced(nothing)))
	defer srv.Close()
	send := func(body string) (int, string) {
		resp, err := http.Post(srv.URL+Path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	first := `{"order_id":"fresh-1",` + validBody[1:]
	if code, body := send(first); code != 202 {
		t.Fatalf("first: %d %s", code, body)
	}
	if code, body := send(first); code != 202 {
		t.Errorf("retry: %d %s", code, body)
	}
	if code, body := send(strings.Replace(first, `"u-00001"`, `"u-2"`, 1)); code != 409 ||
		!strings.Contains(body, `user_id \"u-00001\" (this request \"u-2\")`) {
		t.Errorf("other user: %d %s", code, body)
	}
}

func TestRecentBounded(t *testing.T) {
	r := &recent{byID: map[string]Placed{}}
	for i := range RecentOrders + 5 {
		r.add(fmt.Sprint(i), Placed{TotalCents: int64(i)})
	}
	if len(r.byID) != RecentOrders || r.get("4") != nil || r.get("5") == nil || r.get(fmt.Sprint(RecentOrders+4)).TotalCents != RecentOrders+4 {
		t.Errorf("%d remembered; 4: %v, 5: %v", len(r.byID), r.get("4"), r.get("5"))
	}
	r.add("5", Placed{TotalCents: -1})
	if r.get("5").TotalCents != 5 {
		t.Errorf("a second copy replaced the first")
	}
}
