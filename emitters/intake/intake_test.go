package intake

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
)

// fakeSink records orders, or fails with err.
type fakeSink struct {
	mu     sync.Mutex
	err    error
	orders []*order.Order
}

func (s *fakeSink) Emit(ctx context.Context, o *order.Order) error {
	if s.err != nil {
		return s.err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders = append(s.orders, o)
	return nil
}

// blockingSink waits for the context, like a broker that is down.
type blockingSink struct{}

func (blockingSink) Emit(ctx context.Context, _ *order.Order) error {
	<-ctx.Done()
	return ctx.Err()
}

var (
	testNow    = time.Date(2025, 3, 1, 13, 30, 0, 123_456_789, time.FixedZone("CET", 3600))
	testLogger = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func newTestHandler(sink *fakeSink) http.Handler {
	return NewHandler(sink, testLogger,
		WithClock(func() time.Time { return testNow }),
		WithNewID(func() string { return "generated-id" }),
	)
}

const validBody = `{"restaurant_id":"r-0001","user_id":"u-00001","items":[{"sku":"ita-01","qty":2,"price_cents":1099},{"sku":"drk-01","qty":1,"price_cents":249}]}`

// idRules is how order.CheckID describes the id alphabet.
const idRules = `1..128 bytes of UTF-8 without control characters, '/', '\\' or U+FFFD, not starting or ending with a space`

func TestHandler(t *testing.T) {
	bigBody := `{"restaurant_id":"r-0001","user_id":"u-00001","items":[` +
		strings.Repeat(`{"sku":"x","qty":1,"price_cents":1},`, 2000) + `{"sku":"x","qty":1,"price_cents":1}]}`
	tooMany := `{"restaurant_id":"r-0001","user_id":"u-00001","items":[` +
		strings.Repeat(`{"sku":"x","qty":1,"price_cents":1},`, order.MaxItems) + `{"sku":"x","qty":1,"price_cents":1}]}`
	accepted := func(id string) string {
		return `{"order_id":"` + id + `","restaurant_id":"r-0001","user_id":"u-00001","total_cents":2447,"placed_at":"2025-03-01T12:30:00.123Z","status":"placed"}` + "\n"
	}
	tests := []struct {
		name        string
		method      string
		contentType string
		idemKey     string
		body        string
		sinkErr     error
		wantStatus  int
		wantBody    string
		wantHeader  map[string]string
	}{
		{
			name: "placed", body: validBody,
			wantStatus: 202, wantBody: accepted("generated-id"),
		},
		{
			name: "charset and trailing whitespace", contentType: "application/json; charset=utf-8", body: validBody + "\n\t ",
			wantStatus: 202, wantBody: accepted("generated-id"),
		},
		{
			name: "no content type", contentType: "-", body: validBody,
			wantStatus: 415, wantBody: `{"error":"no Content-Type, want application/json"}` + "\n",
		},
		{
			name: "client order id", body: `{"order_id":"client-1",` + validBody[1:],
			wantStatus: 202, wantBody: accepted("client-1"),
		},
		{
			name: "client order id wins over idempotency key", idemKey: "k1", body: `{"order_id":"client-1",` + validBody[1:],
			wantStatus: 202, wantBody: accepted("client-1"),
		},
		{
			name: "idempotency key", idemKey: "k1", body: validBody,
			// printf 'u-00001\0k1' | sha256sum | cut -c1-32
			wantStatus: 202, wantBody: accepted("fca5129cab30f7ea7e3943b5f795ccf3"),
		},
		{
			name: "free item", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":0}]}`,
			wantStatus: 202,
			wantBody:   `{"order_id":"generated-id","restaurant_id":"r","user_id":"u","total_cents":0,"placed_at":"2025-03-01T12:30:00.123Z","status":"placed"}` + "\n",
		},
		{
			name: "GET", method: http.MethodGet,
			wantStatus: 405, wantBody: `{"error":"method GET not allowed, use POST"}` + "\n",
			wantHeader: map[string]string{"Allow": "POST"},
		},
		{
			name: "PUT", method: http.MethodPut, body: validBody,
			wantStatus: 405, wantBody: `{"error":"method PUT not allowed, use POST"}` + "\n",
			wantHeader: map[string]string{"Allow": "POST"},
		},
		{
			name: "form content type", contentType: "application/x-www-form-urlencoded", body: validBody,
			wantStatus: 415, wantBody: `{"error":"content type \"application/x-www-form-urlencoded\", want application/json"}` + "\n",
		},
		{
			name: "broken content type", contentType: "application/json; =", body: validBody,
			wantStatus: 415, wantBody: `{"error":"content type \"application/json; =\", want application/json"}` + "\n",
		},
		{
			name: "empty body", body: "",
			wantStatus: 400, wantBody: `{"error":"empty request body, want a JSON order"}` + "\n",
		},
		{
			name: "broken JSON", body: `{"restaurant_id":"r-0001",}`,
			wantStatus: 400, wantBody: `{"error":"malformed JSON at byte 27: invalid character '}' looking for beginning of object key string"}` + "\n",
		},
		{
			name: "truncated JSON", body: `{"restaurant_id":"r-0`,
			wantStatus: 400, wantBody: `{"error":"malformed JSON: unexpected end of body"}` + "\n",
		},
		{
			name: "array body", body: `[]`,
			wantStatus: 400, wantBody: `{"error":"request body: got JSON array, want object"}` + "\n",
		},
		{
			name: "qty as string", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":"2","price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"items.qty: got JSON string, want integer"}` + "\n",
		},
		{
			name: "fractional price", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":9.5}]}`,
			wantStatus: 400, wantBody: `{"error":"items.price_cents: got JSON number 9.5, want integer"}` + "\n",
		},
		{
			name: "unknown field", body: `{"orderId":"x",` + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"unknown field \"orderId\""}` + "\n",
		},
		{
			name: "trailing data", body: validBody + `}`,
			wantStatus: 400, wantBody: `{"error":"trailing data after the JSON object"}` + "\n",
		},
		{
			name: "second object", body: validBody + validBody,
			wantStatus: 400, wantBody: `{"error":"request body holds more than one JSON value"}` + "\n",
		},
		{
			name: "body over limit", body: bigBody,
			wantStatus: 413, wantBody: `{"error":"request body larger than 65536 bytes"}` + "\n",
		},
		{
			name: "null body", body: `null`,
			wantStatus: 400, wantBody: `{"error":"invalid order: missing_restaurant_id: restaurant_id is empty","reason":"missing_restaurant_id"}` + "\n",
		},
		{
			name: "missing user", body: `{"restaurant_id":"r","items":[{"sku":"s","qty":1,"price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: missing_user_id: user_id is empty","reason":"missing_user_id"}` + "\n",
		},
		{
			name: "missing items", body: `{"restaurant_id":"r","user_id":"u"}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: no_items: an order needs at least one item","reason":"no_items"}` + "\n",
		},
		{
			name: "missing qty", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_qty: item 0 has no qty","reason":"bad_qty"}` + "\n",
		},
		{
			name: "missing price", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_price: item 0 has no price_cents","reason":"bad_price"}` + "\n",
		},
		{
			name: "missing sku", body: `{"restaurant_id":"r","user_id":"u","items":[{"qty":1,"price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: missing_sku: item 0 sku is empty","reason":"missing_sku"}` + "\n",
		},
		{
			name: "zero qty", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":0,"price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_qty: item 0 qty 0, want 1..10000","reason":"bad_qty"}` + "\n",
		},
		{
			name: "negative price", body: `{"restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":-1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_price: item 0 price_cents -1, want 0..100000000","reason":"bad_price"}` + "\n",
		},
		{
			name: "too many items", body: tooMany,
			wantStatus: 400, wantBody: `{"error":"invalid order: too_many_items: 101 items, at most 100","reason":"too_many_items"}` + "\n",
		},
		{
			name: "order id too long", body: `{"order_id":"` + strings.Repeat("x", 129) + `",` + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"invalid order: id_too_long: order_id longer than 128 bytes","reason":"id_too_long"}` + "\n",
		},
		{
			name: "idempotency key too long", idemKey: strings.Repeat("k", 129), body: validBody,
			wantStatus: 400, wantBody: `{"error":"id_too_long: Idempotency-Key longer than 128 bytes"}` + "\n",
		},
		{
			name: "idempotency key with a slash", idemKey: "a/b", body: validBody,
			wantStatus: 400, wantBody: `{"error":"bad_id: Idempotency-Key has path character '/' at byte 1; want ` + idRules + `"}` + "\n",
		},
		{
			name: "order id only spaces", body: `{"order_id":"   ",` + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_id: order_id \"   \" starts or ends with white space","reason":"bad_id"}` + "\n",
		},
		{
			name: "order id with NUL", body: `{"order_id":"a\u0000b",` + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_id: order_id has control character U+0000 at byte 1; want ` + idRules + `","reason":"bad_id"}` + "\n",
		},
		{
			name: "user id with a newline", body: `{"restaurant_id":"r","user_id":"u\n1","items":[{"sku":"s","qty":1,"price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_id: user_id has control character U+000A at byte 1; want ` + idRules + `","reason":"bad_id"}` + "\n",
		},
		{
			name: "restaurant id with a path", body: `{"restaurant_id":"../r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":1}]}`,
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_id: restaurant_id has path character '/' at byte 2; want ` + idRules + `","reason":"bad_id"}` + "\n",
		},
		{
			name: "lone surrogate in an id", body: `{"order_id":"o\ud800",` + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"invalid order: bad_id: order_id has U+FFFD at byte 1 (invalid UTF-8 replaced?); want ` + idRules + `","reason":"bad_id"}` + "\n",
		},
		{
			name: "invalid UTF-8", body: "{\"order_id\":\"o\xff\"," + validBody[1:],
			wantStatus: 400, wantBody: `{"error":"request body is not valid UTF-8, as JSON text must be"}` + "\n",
		},
		{
			name: "sink down", body: validBody, sinkErr: errors.New("kafka: client has run out of available brokers"),
			wantStatus: 503,
			wantBody:   `{"error":"order not placed: the order log is unavailable; retry with the same order_id","order_id":"generated-id"}` + "\n",
			wantHeader: map[string]string{"Retry-After": "1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &fakeSink{err: tt.sinkErr}
			rec := serve(newTestHandler(sink), tt.method, tt.contentType, tt.idemKey, tt.body)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody {
				t.Errorf("got %d %s\nwant %d %s", rec.Code, rec.Body, tt.wantStatus, tt.wantBody)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			for k, v := range tt.wantHeader {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if placed := rec.Code == http.StatusAccepted; placed != (len(sink.orders) == 1) {
				t.Errorf("status %d, %d orders emitted", rec.Code, len(sink.orders))
			}
		})
	}
}

func serve(h http.Handler, method, contentType, idemKey, body string) *httptest.ResponseRecorder {
	if method == "" {
		method = http.MethodPost
	}
	req := httptest.NewRequest(http.MethodPost, Path, strings.NewReader(body))
	req.Method = method // any string, as a fuzzer may send
	switch contentType {
	case "":
		req.Header.Set("Content-Type", "application/json")
	case "-":
	default:
		req.Header.Set("Content-Type", contentType)
	}
	if idemKey != "" {
		req.Header.Set(IdempotencyHeader, idemKey)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHandlerEmitsOrder(t *testing.T) {
	sink := &fakeSink{}
	rec := serve(newTestHandler(sink), "", "", "", validBody)
	if rec.Code != http.StatusAccepted || len(sink.orders) != 1 {
		t.Fatalf("status %d, %d orders", rec.Code, len(sink.orders))
	}
	want := &order.Order{
		OrderID:      "generated-id",
		RestaurantID: "r-0001",
		UserID:       "u-00001",
		Items: []order.Item{
			{SKU: "ita-01", Qty: 2, PriceCents: 1099},
			{SKU: "drk-01", Qty: 1, PriceCents: 249},
		},
		TotalCents: 2447,
		PlacedAt:   time.Date(2025, 3, 1, 12, 30, 0, 123_000_000, time.UTC),
	}
	if got := sink.orders[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("emitted %+v\nwant %+v", got, want)
	}
}

// TestIdempotencyKeyScope: a retry gets the same order_id, another user
// with the same key another one.
func TestIdempotencyKeyScope(t *testing.T) {
	sink := &fakeSink{}
	h := NewHandler(sink, testLogger)
	other := strings.Replace(validBody, "u-00001", "u-00002", 1)
	for _, body := range []string{validBody, validBody, other} {
		if rec := serve(h, "", "", "same-key", body); rec.Code != http.StatusAccepted {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	ids := []string{sink.orders[0].OrderID, sink.orders[1].OrderID, sink.orders[2].OrderID}
	if ids[0] != ids[1] || ids[0] == ids[2] || len(ids[0]) != 32 {
		t.Errorf("order ids %q: want the first two equal, the third different", ids)
	}
}

func TestRandomIDs(t *testing.T) {
	sink := &fakeSink{}
	h := NewHandler(sink, testLogger)
	serve(h, "", "", "", validBody)
	serve(h, "", "", "", validBody)
	a, b := sink.orders[0].OrderID, sink.orders[1].OrderID
	if a == b || len(a) != 32 || len(b) != 32 {
		t.Errorf("order ids %q, %q", a, b)
	}
}

func TestEmitTimeout(t *testing.T) {
	h := NewHandler(blockingSink{}, testLogger, WithEmitTimeout(20*time.Millisecond))
	begin := time.Now()
	rec := serve(h, "", "", "", validBody)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503", rec.Code)
	}
	if took := time.Since(begin); took > time.Second {
		t.Errorf("answered after %v", took)
	}
}
