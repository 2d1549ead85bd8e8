package ingest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

// invalidCall is one call of Hooks.Invalid.
type invalidCall struct {
	Reason order.Reason
	Err    string
}

// recorder is a fake Hooks.Invalid.
type recorder struct {
	mu    sync.Mutex
	calls []invalidCall
}

func (r *recorder) invalid(reason order.Reason, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, invalidCall{reason, err.Error()})
}

func (r *recorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = nil
}

func (r *recorder) got() []invalidCall {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]invalidCall(nil), r.calls...)
}

func encode(t *testing.T, o order.Order) []byte {
	t.Helper()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// setup starts ingest with a recording hook and returns trackers of its
// two outputs.
func setup(t *testing.T) (*tester.Tester, *recorder, *tester.QueueTracker, *tester.QueueTracker) {
	tt := tester.New(t)
	rec := new(recorder)
	testutil.StartProcessor(t, tt, ingest.Define(ingest.Hooks{Invalid: rec.invalid}), ingest.Options()...)
	return tt, rec, tt.NewQueueTracker(string(ingest.Output)), tt.NewQueueTracker(string(ingest.DLQ))
}

func TestIngestValid(t *testing.T) {
	tt, rec, out, dlq := setup(t)

	// Earlier records move the valid one to offset 2 of "orders".
	tt.Consume(string(order.Stream), "r-1", []byte(`{`))
	tt.Consume(string(order.Stream), "r-1", []byte(`{`))
	dlq.Seek(dlq.Hwm())
	rec.reset()

	o := testutil.ValidOrder()
	tt.Consume(string(order.Stream), "r-1", encode(t, o))

	key, value, ok := out.Next()
	if !ok {
		t.Fatal("nothing on orders-by-id")
	}
	if key != "o-1" {
		t.Errorf("key = %q, want the order id %q", key, "o-1")
	}
	want := &ingest.Placement{Order: o, Source: exactly.Pos{Partition: 0, Offset: 2}}
	if !reflect.DeepEqual(value, want) {
		t.Errorf("placement = %+v, want %+v", value, want)
	}
	if _, _, ok := out.Next(); ok {
		t.Error("more than one message on orders-by-id")
	}
	if _, _, ok := dlq.Next(); ok {
		t.Error("a valid order was dead-lettered")
	}
	if calls := rec.got(); len(calls) != 0 {
		t.Errorf("Invalid hook called for a valid order: %v", calls)
	}
}

// TestIngestValidNoHook: without hooks ingest still routes both ways, and a
// placement carries the parsed order whatever the writer's time zone.
func TestIngestValidNoHook(t *testing.T) {
	tt := tester.New(t)
	testutil.StartProcessor(t, tt, ingest.Define(ingest.Hooks{}), ingest.Options()...)
	out := tt.NewQueueTracker(string(ingest.Output))
	dlq := tt.NewQueueTracker(string(ingest.DLQ))
	tt.Consume(string(order.Stream), "any-key", []byte(`{"order_id":"o-9","restaurant_id":"r","user_id":"u",`+
		`"items":[{"sku":"s","qty":1,"price_cents":5}],"total_cents":5,"placed_at":"2025-03-14T13:30:00+01:00"}`))
	tt.Consume(string(order.Stream), "any-key", []byte(`nope`)) // nil hooks are skipped
	key, value, ok := out.Next()
	if !ok || key != "o-9" {
		t.Fatalf("orders-by-id: key %q ok %v, want o-9", key, ok)
	}
	p := value.(*ingest.Placement)
	if !p.Order.PlacedAt.Equal(time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC)) || p.Source != (exactly.Pos{}) {
		t.Errorf("placement = %+v", p)
	}
	if _, _, ok := dlq.Next(); !ok {
		t.Error("invalid record not dead-lettered without hooks")
	}
}

func TestIngestInvalid(t *testing.T) {
	valid := testutil.ValidOrder()
	mutate := func(f func(o *order.Order)) []byte {
		o := testutil.ValidOrder()
		o.Items = append([]order.Item(nil), o.Items...)
		f(&o)
		return encode(t, o)
	}
	many := make([]order.Item, order.MaxItems+1)
	for i := range many {
		many[i] = order.Item{SKU: "s", Qty: 1, PriceCents: 1}
	}
	tests := []struct {
		name   string
		value  []byte // nil: a Kafka null record
		reason order.Reason
		err    string // exact x-dlq-error; "" to take Parse's own message
	}{
		{"malformed json", []byte(`{"order_id":`), order.ReasonMalformed, ""},
		{"not an object", []byte(`[1,2]`), order.ReasonMalformed, ""},
		{"null record", nil, order.ReasonMalformed, ""},
		{"empty record", []byte{}, order.ReasonMalformed, ""},
		{"json null", []byte(`null`), order.ReasonMissingOrderID, "invalid order: missing_order_id: order_id is empty"},
		{"missing order id", mutate(func(o *order.Order) { o.OrderID = "" }), order.ReasonMissingOrderID,
			"invalid order: missing_order_id: order_id is empty"},
		{"missing restaurant id", mutate(func(o *order.Order) { o.RestaurantID = "" }), order.ReasonMissingRestaurant,
			"invalid order: missing_restaurant_id: restaurant_id is empty"},
		{"missing user id", mutate(func(o *order.Order) { o.UserID = "" }), order.ReasonMissingUser,
			"invalid order: missing_user_id: user_id is empty"},
		{"id too long", mutate(func(o *order.Order) { o.OrderID = strings.Repeat("o", order.MaxIDLen+1) }), order.ReasonIDTooLong,
			"invalid order: id_too_long: order_id longer than 128"},
		{"no items", mutate(func(o *order.Order) { o.Items, o.TotalCents = nil, 0 }), order.ReasonNoItems,
			"invalid order: no_items: an order needs at least one item"},
		{"too many items", mutate(func(o *order.Order) { o.Items, o.TotalCents = many, int64(len(many)) }), order.ReasonTooManyItems,
			"invalid order: too_many_items: 101 items, at most 100"},
		{"missing sku", mutate(func(o *order.Order) { o.Items[0].SKU = "" }), order.ReasonMissingSKU,
			"invalid order: missing_sku: item 0 has no sku"},
		{"bad qty", mutate(func(o *order.Order) { o.Items[1].Qty = 0 }), order.ReasonBadQty,
			"invalid order: bad_qty: item 1 qty 0, want 1..10000"},
		{"bad price", mutate(func(o *order.Order) { o.Items[2].PriceCents = -650 }), order.ReasonBadPrice,
			"invalid order: bad_price: item 2 price_cents -650, want 0..100000000"},
		{"total mismatch", mutate(func(o *order.Order) { o.TotalCents = valid.TotalCents + 1 }), order.ReasonTotalMismatch,
			"invalid order: total_mismatch: total_cents 3451, items sum to 3450"},
		{"missing placed_at", mutate(func(o *order.Order) { o.PlacedAt = time.Time{} }), order.ReasonMissingPlacedAt,
			"invalid order: missing_placed_at: placed_at is missing"},
	}
	covered := map[order.Reason]bool{}
	for _, tc := range tests {
		covered[tc.reason] = true
		t.Run(tc.name, func(t *testing.T) {
			tt, rec, out, dlq := setup(t)
			// One valid order first, so the invalid one sits at offset 1.
			tt.Consume(string(order.Stream), "r-0", encode(t, valid))
			out.Seek(out.Hwm())

			wantErr := tc.err
			if wantErr == "" {
				_, err := order.Parse(tc.value)
				wantErr = err.Error()
			}
			if tc.value == nil {
				tt.Consume(string(order.Stream), "r-1", nil)
			} else {
				tt.Consume(string(order.Stream), "r-1", tc.value)
			}

			if key, _, ok := out.Next(); ok {
				t.Errorf("invalid order emitted to orders-by-id with key %q", key)
			}
			headers, key, raw, ok := dlq.NextRawWithHeaders()
			if !ok {
				t.Fatal("nothing on orders-dlq")
			}
			if key != "r-1" {
				t.Errorf("dlq key = %q, want the original %q", key, "r-1")
			}
			if !bytes.Equal(raw, tc.value) || (raw == nil) != (tc.value == nil) {
				t.Errorf("dlq value = %q, want the original bytes %q", raw, tc.value)
			}
			wantHeaders := goka.Headers{
				ingest.HeaderReason:    []byte(tc.reason),
				ingest.HeaderError:     []byte(wantErr),
				ingest.HeaderTopic:     []byte("orders"),
				ingest.HeaderPartition: []byte("0"),
				ingest.HeaderOffset:    []byte("1"),
			}
			if !reflect.DeepEqual(headers, wantHeaders) {
				t.Errorf("dlq headers = %s, want %s", fmtHeaders(headers), fmtHeaders(wantHeaders))
			}
			if _, _, ok := dlq.Next(); ok {
				t.Error("more than one message on orders-dlq")
			}
			wantCalls := []invalidCall{{tc.reason, wantErr}}
			if calls := rec.got(); !reflect.DeepEqual(calls, wantCalls) {
				t.Errorf("Invalid hook calls = %v, want %v", calls, wantCalls)
			}
		})
	}
	for _, r := range order.Reasons {
		if !covered[r] {
			t.Errorf("no ingest case for reason %q", r)
		}
	}
}

func fmtHeaders(h goka.Headers) string {
	m := map[string]string{}
	for k, v := range h {
		m[k] = string(v)
	}
	data, _ := json.Marshal(m)
	return string(data)
}

func TestDefine(t *testing.T) {
	g := ingest.Define(ingest.Hooks{})
	if err := g.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if g.Group() != "ingest" || g.GroupTable() != nil {
		t.Errorf("group %q table %v, want stateless group ingest", g.Group(), g.GroupTable())
	}
	var outputs []string
	for _, e := range g.OutputStreams() {
		outputs = append(outputs, e.Topic())
	}
	if want := []string{"orders-by-id", "orders-dlq"}; !reflect.DeepEqual(outputs, want) {
		t.Errorf("outputs = %v, want %v", outputs, want)
	}
	if in := g.InputStreams(); len(in) != 1 || in[0].Topic() != "orders" {
		t.Errorf("inputs = %v, want [orders]", in)
	}
}
