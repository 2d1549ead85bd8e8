package intake

import (
	"errors"
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
