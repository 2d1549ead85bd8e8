package order_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/orderstream/orderstream/order"
)

// FuzzParse checks that Parse never panics, refuses only with a known
// Reason, accepts only valid orders, and that a parsed order survives a
// round trip through its own encoding. Seeds: f.Add below and
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"pizza","qty":2,"price_cents":1250},{"sku":"cola","qty":1,"price_cents":300}],"total_cents":2800,"placed_at":"2025-03-14T12:30:00Z"}`,
		`{"order_id":"o","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":0}],"total_cents":0,"placed_at":"2025-03-14T12:30:00.123456789+02:00"}`,
		`{"order_id":"o","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":0}],"total_cents":0,"placed_at":"2025-03-14T12:30:00+00:00"}`,
		`{"ORDER_ID":"o","Restaurant_Id":"r","user_id":"u","items":[{"SKU":"\u00e9","qty":10000,"price_cents":100000000}],"total_cents":1000000000000,"placed_at":"9999-12-31T23:59:59-23:59"}`,
		`{"order_id":"o","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}],"total_cents":1,"placed_at":"0001-01-01T00:00:00Z"}`,
		`{"order_id":"o","order_id":"p","restaurant_id":"r","user_id":"u","items":[],"total_cents":0}`,
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"pizza","qty":2,"price_cents":1250}],"total_cents":2500,"placed_at":"2025-03-14T12:30:00.5Z"}`,
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":[{"sku":"pizza","qty":2,"price_cents":1250}],"total_cents":2500,"placed_at":"2025-03-14T12:30:00.5Z","extra":1}`,
		`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","items":null,"total_cents":0,"placed_at":"2025-03-14T12:30:00Z"}`,
		`null`, `{}`, `[]`, ``, `{`, `"x"`, `{"items":[null]}`,
		// Ids outside the alphabet.
		`{"order_id":"  ","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}],"total_cents":1,"placed_at":"2025-03-14T12:30:00Z"}`,
		`{"order_id":"a/b","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}],"total_cents":1,"placed_at":"2025-03-14T12:30:00Z"}`,
		`{"order_id":"o","restaurant_id":"r\u0000","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}],"total_cents":1,"placed_at":"2025-03-14T12:30:00Z"}`,
		`{"order_id":"o","restaurant_id":"r","user_id":"\ud800","items":[{"sku":"s","qty":1,"price_cents":1}],"total_cents":1,"placed_at":"2025-03-14T12:30:00Z"}`,
		"{\"order_id\":\"o\xff\",\"restaurant_id\":\"r\",\"user_id\":\"u\",\"items\":[{\"sku\":\"s\",\"qty\":1,\"price_cents\":1}],\"total_cents\":1,\"placed_at\":\"2025-03-14T12:30:00Z\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := order.Parse(data)
		if err != nil {
			var ie *order.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse() error %v is %T, want *order.InvalidError", err, err)
			}
			if !slices.Contains(order.Reasons, ie.Reason) {
				t.Fatalf("Parse() reason %q is not in order.Reasons", ie.Reason)
			}
			if o != nil {
				t.Fatalf("Parse() = %+v and error %v", o, err)
			}
			return
		}
		if err := o.Validate(); err != nil {
			t.Fatalf("Parse() accepted an invalid order: %v", err)
		}
		if !utf8.Valid(data) {
			t.Fatalf("Parse() accepted a record that is not UTF-8: %q", data)
		}
		// Parse's hand-written path for the common form reads what
		// encoding/json reads.
		var want order.Order
		if err := json.Unmarshal(data, &want); err != nil || !sameOrder(o, &want) {
			t.Fatalf("Parse() = %+v, json.Unmarshal = %+v, %v", o, want, err)
		}
		if got := order.Sum(o.Items); got != o.TotalCents {
			t.Fatalf("Sum() = %d, total_cents %d", got, o.TotalCents)
		}
		enc, err := json.Marshal(o)
		if err != nil {
			t.Fatalf("json.Marshal(parsed order): %v", err)
		}
		again, err := order.Parse(enc)
		if err != nil {
			t.Fatalf("Parse(json.Marshal(o)) = %v\n%s", err, enc)
		}
		if !sameOrder(o, again) {
			t.Fatalf("round trip changed the order:\n got %+v\nwant %+v", again, o)
		}
		// The encoding of a parsed order is a fixed point.
		enc2, err := order.Codec{}.Encode(again)
		if err != nil {
			t.Fatalf("Codec.Encode: %v", err)
		}
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("second encoding differs:\n%s\n%s", enc, enc2)
		}
	})
}
