package intake

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/order"
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
		// Ids outside the alphabet.
		`{"order_id":"   ",` + validBody[1:],
		`{"order_id":"a\u0000b",` + validBody[1:],
		`{"order_id":"a/b",` + validBody[1:],
		`{"order_id":"a\\b",` + validBody[1:],
		`{"order_id":"\ud800",` + validBody[1:],
		`{"order_id":" x",` + validBody[1:],
		`{"restaurant_id":"r\n","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}]}`,
		`{"restaurant_id":"r","user_id":"u\u007f","items":[{"sku":"s","qty":1,"price_cents":1}]}`,
		`{"restaurant_id":"r","user_id":"u","items":[{"sku":"\u0085","qty":1,"price_cents":1}]}`,
		// Bodies at and over the limit.
		validBody + strings.Repeat(" ", MaxBodyBytes-len(validBody)),
		validBody + strings.Repeat(" ", MaxBodyBytes-len(validBody)+1),
		strings.Repeat("x", 2*MaxBodyBytes),
	}
	for i, s := range seeds {
		f.Add(http.MethodPost, "application/json", "", s, i%3 == 0)
	}
	f.Add(http.MethodGet, "", "", "", false)
	f.Add(http.MethodPost, "text/plain", "", validBody, false)
	f.Add(http.MethodPost, "application/json", "key", validBody, true)
	f.Add(http.MethodPost, "application/json", "a/b", validBody, false)
	f.Add(http.MethodPost, "application/json", "k\x00", validBody, false)
	f.Add(http.MethodPost, "application/json", " ", validBody, false)

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
		for _, id := range []string{o.OrderID, o.RestaurantID, o.UserID} {
			if err := order.CheckID("id", id); err != nil {
				t.Fatalf("accepted an order with a bad id: %v", err)
			}
		}
		if resp.OrderID != o.OrderID || resp.TotalCents != o.TotalCents || !resp.PlacedAt.Equal(o.PlacedAt) || resp.Status != StatusPlaced {
			t.Fatalf("response %+v does not describe emitted order %+v", resp, o)
		}
	})
}
