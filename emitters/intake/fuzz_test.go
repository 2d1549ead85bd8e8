package intake

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
)

// FuzzIntake: whatever the request, the handler answers a JSON document
// with a status below 500, except 503 when the sink fails; an accepted
// order is valid and is what was emitted.
func FuzzIntake(f *testing.F) {
	seeds := []string{
		validBody,
		`{"order_id":"client-1",` + validBody[1:],
		`{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":10000,"price_cents":100000000}]}`,
		`{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":-1,"price_cents":1e3}]}`,
		`{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":99999999999999999999,"price_cents":1}]}`,
		`{"restaurant_id":"r","user_id":"u","items":null}`,
		`{"items":[{}]}`,
		`{"restaurant_id":1}`,
		`[1,2]`, `null`, `"x"`, `{}`, `{`, ``, `{}}`, `{} {}`,
		"{\"restaurant_id\":\"\xff\",\"user_id\":\"u\",\"items\":[{\"sku\":\"s\",\"qty\":1,\"price_cents\":1}]}",
	}
	for i, s := range seeds {
		f.Add(http.MethodPost, "application/json", "", s, i%3 == 0)
	}
	f.Add(http.MethodGet, "", "", "", false)
	f.Add(http.MethodPost, "text/plain", "", validBody, false)
	f.Add(http.MethodPost, "application/json", "key", validBody, true)

	f.Fuzz(func(t *testing.T, method, contentType, idemKey, body string, sinkFails bool) {
		sink := &fakeSink{}
		if sinkFails {
			sink.err = errors.New("sink down")
		}
		if contentType == "" {
			contentType = "-"
		}
		rec := serve(newTestHandler(sink), method, contentType, idemKey, body)

		if rec.Code >= 500 && !(rec.Code == http.StatusServiceUnavailable && sinkFails) {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body not JSON: %q", rec.Body)
		}
		if rec.Code != http.StatusAccepted {
			var e ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("status %d without an error message: %s", rec.Code, rec.Body)
			}
			if len(sink.orders) != 0 {
				t.Fatalf("status %d but an order was emitted", rec.Code)
			}
			return
		}
		if len(sink.orders) != 1 {
			t.Fatalf("202 with %d orders emitted", len(sink.orders))
		}
		o := sink.orders[0]
		if err := o.Validate(); err != nil {
			t.Fatalf("accepted an invalid order: %v", err)
		}
		var resp Response
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
			t.Fatal(err)
		}
		if resp.OrderID != o.OrderID || resp.TotalCents != o.TotalCents || !resp.PlacedAt.Equal(o.PlacedAt) || resp.Status != StatusPlaced {
			t.Fatalf("response %+v does not describe emitted order %+v", resp, o)
		}
	})
}
