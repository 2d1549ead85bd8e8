package ingest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

func encode(t *testing.T, o order.Order) []byte {
	t.Helper()
	data, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// input is a record of "orders" at partition 2, offset 41.
func input(key, value []byte) *kgo.Record {
	return &kgo.Record{Topic: "orders", Partition: 2, Offset: 41, Key: key, Value: value}
}

func TestRouteValid(t *testing.T) {
	tests := []struct {
		name  string
		value []byte
		want  order.Order
	}{
		{"typical", nil, testutil.ValidOrder()},
		{"other time zone and spacing", []byte(`{ "order_id":"o-9","restaurant_id":"r","user_id":"u",` +
			`"items":[{"sku":"s","qty":1,"price_cents":5}],"total_cents":5,"placed_at":"2025-03-14T13:30:00+01:00", "extra": 1}`),
			order.Order{OrderID: "o-9", RestaurantID: "r", UserID: "u", Items: []order.Item{{SKU: "s", Qty: 1, PriceCents: 5}},
				TotalCents: 5, PlacedAt: time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			value := tc.value
			if value == nil {
				value = encode(t, tc.want)
			}
			out, v := ingest.Route(input([]byte("any-key"), value))
			if v.Placement == nil || v.Err != nil || v.Reason != "" {
				t.Fatalf("verdict = %+v, want a placement", v)
			}
			if out.Topic != "status-requests" || string(out.Key) != tc.want.OrderID || len(out.Headers) != 0 {
				t.Errorf("record topic %q key %q headers %v, want status-requests, the order id %q, no headers",
					out.Topic, out.Key, out.Headers, tc.want.OrderID)
			}
			if out.Partition != 0 {
				t.Errorf("partition %d set: the partitioner must place the record", out.Partition)
			}
			var got ingest.Placement
			if err := json.Unmarshal(out.Value, &got); err != nil {
				t.Fatal(err)
			}
			want := ingest.Placement{Order: tc.want, Source: exactly.Pos{Partition: 2, Offset: 41}}
			if !got.Order.PlacedAt.Equal(want.Order.PlacedAt) {
				t.Errorf("placed_at %v, want %v", got.Order.PlacedAt, want.Order.PlacedAt)
			}
			got.Order.PlacedAt, want.Order.PlacedAt = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("placement = %+v, want %+v", got, want)
			}
			if !reflect.DeepEqual(*v.Placement, ingest.Placement{Order: *mustParse(t, value), Source: want.Source}) {
				t.Errorf("verdict placement = %+v", v.Placement)
			}
		})
	}
}

func mustParse(t *testing.T, value []byte) *order.Order {
	t.Helper()
	o, err := order.Parse(value)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestRouteInvalid(t *testing.T) {
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
		key    []byte // nil: a record without a key
		value  []byte // nil: a Kafka null record
		reason order.Reason
		err    string // exact x-dlq-error; "" to take Parse's own message
	}{
		{"malformed json", []byte("r-1"), []byte(`{"order_id":`), order.ReasonMalformed, ""},
		{"not an object", []byte("r-1"), []byte(`[1,2]`), order.ReasonMalformed, ""},
		{"null record", []byte("r-1"), nil, order.ReasonMalformed, ""},
		{"null record without key", nil, nil, order.ReasonMalformed, ""},
		{"empty record", []byte("r-1"), []byte{}, order.ReasonMalformed, ""},
		{"binary garbage", []byte{0xff, 0}, []byte{0x00, 0xff, 0xfe, '{'}, order.ReasonMalformed, ""},
		{"json null", []byte("r-1"), []byte(`null`), order.ReasonMissingOrderID, "invalid order: missing_order_id: order_id is empty"},
		{"missing order id", []byte("r-1"), mutate(func(o *order.Order) { o.OrderID = "" }), order.ReasonMissingOrderID,
			"invalid order: missing_order_id: order_id is empty"},
		{"missing restaurant id", []byte("r-1"), mutate(func(o *order.Order) { o.RestaurantID = "" }), order.ReasonMissingRestaurant,
			"invalid order: missing_restaurant_id: restaurant_id is empty"},
		{"missing user id", []byte("r-1"), mutate(func(o *order.Order) { o.UserID = "" }), order.ReasonMissingUser,
			"invalid order: missing_user_id: user_id is empty"},
		{"id too long", []byte("r-1"), mutate(func(o *order.Order) { o.OrderID = strings.Repeat("o", order.MaxIDLen+1) }), order.ReasonIDTooLong,
			"invalid order: id_too_long: order_id longer than 128 bytes"},
		{"order id with a path", []byte("r-1"), mutate(func(o *order.Order) { o.OrderID = "a/b" }), order.ReasonBadID,
			`invalid order: bad_id: order_id has path character '/' at byte 1; want 1..128 bytes of UTF-8 without control characters, '/', '\' or U+FFFD, not starting or ending with a space`},
		{"no items", []byte("r-1"), mutate(func(o *order.Order) { o.Items, o.TotalCents = nil, 0 }), order.ReasonNoItems,
			"invalid order: no_items: an order needs at least one item"},
		{"too many items", []byte("r-1"), mutate(func(o *order.Order) { o.Items, o.TotalCents = many, int64(len(many)) }), order.ReasonTooManyItems,
			"invalid order: too_many_items: 101 items, at most 100"},
		{"missing sku", []byte("r-1"), mutate(func(o *order.Order) { o.Items[0].SKU = "" }), order.ReasonMissingSKU,
			"invalid order: missing_sku: item 0 sku is empty"},
		{"bad qty", []byte("r-1"), mutate(func(o *order.Order) { o.Items[1].Qty = 0 }), order.ReasonBadQty,
			"invalid order: bad_qty: item 1 qty 0, want 1..10000"},
		{"bad price", []byte("r-1"), mutate(func(o *order.Order) { o.Items[2].PriceCents = -650 }), order.ReasonBadPrice,
			"invalid order: bad_price: item 2 price_cents -650, want 0..100000000"},
		{"total mismatch", []byte("r-1"), mutate(func(o *order.Order) { o.TotalCents = valid.TotalCents + 1 }), order.ReasonTotalMismatch,
			"invalid order: total_mismatch: total_cents 3451, items sum to 3450"},
		{"missing placed_at", []byte("r-1"), mutate(func(o *order.Order) { o.PlacedAt = time.Time{} }), order.ReasonMissingPlacedAt,
			"invalid order: missing_placed_at: placed_at is missing"},
	}
	covered := map[order.Reason]bool{}
	for _, tc := range tests {
		covered[tc.reason] = true
		t.Run(tc.name, func(t *testing.T) {
			wantErr := tc.err
			if wantErr == "" {
				_, err := order.Parse(tc.value)
				wantErr = err.Error()
			}
			out, v := ingest.Route(input(tc.key, tc.value))
			if v.Placement != nil || v.Reason != tc.reason || v.Err == nil || v.Err.Error() != wantErr {
				t.Errorf("verdict = %+v, want reason %s error %q", v, tc.reason, wantErr)
			}
			if out.Topic != "orders-dlq" {
				t.Errorf("topic %q, want orders-dlq", out.Topic)
			}
			if !bytes.Equal(out.Key, tc.key) || (out.Key == nil) != (tc.key == nil) {
				t.Errorf("key %q, want the original %q", out.Key, tc.key)
			}
			if !bytes.Equal(out.Value, tc.value) || (out.Value == nil) != (tc.value == nil) {
				t.Errorf("value %q, want the original bytes %q", out.Value, tc.value)
			}
			want := []kgo.RecordHeader{
				{Key: "x-dlq-reason", Value: []byte(tc.reason)},
				{Key: "x-dlq-error", Value: []byte(wantErr)},
				{Key: "x-dlq-topic", Value: []byte("orders")},
				{Key: "x-dlq-partition", Value: []byte("2")},
				{Key: "x-dlq-offset", Value: []byte("41")},
			}
			if !reflect.DeepEqual(out.Headers, want) {
				t.Errorf("headers = %s, want %s", fmtHeaders(out.Headers), fmtHeaders(want))
			}
		})
	}
	for _, r := range order.Reasons {
		if !covered[r] {
			t.Errorf("no case for reason %q", r)
		}
	}
}

// TestRouteHuge: a record too big to be an order is dead-lettered cut to
// MaxDeadLetterBytes, so that it fits on the dead-letter topic.
func TestRouteHuge(t *testing.T) {
	value := bytes.Repeat([]byte("x"), ingest.MaxDeadLetterBytes+10)
	out, v := ingest.Route(input([]byte("k"), value))
	if v.Reason != order.ReasonMalformed || out.Topic != "orders-dlq" {
		t.Fatalf("verdict %+v to %s", v, out.Topic)
	}
	if len(out.Value) != ingest.MaxDeadLetterBytes || !bytes.Equal(out.Value, value[:ingest.MaxDeadLetterBytes]) {
		t.Errorf("value of %d bytes, want the first %d", len(out.Value), ingest.MaxDeadLetterBytes)
	}
	last := out.Headers[len(out.Headers)-1]
	if last.Key != ingest.HeaderTruncated || string(last.Value) != "921610" {
		t.Errorf("last header %s=%s, want %s=921610", last.Key, last.Value, ingest.HeaderTruncated)
	}
	for _, h := range out.Headers {
		if h.Key == ingest.HeaderError && len(h.Value) > 1024 {
			t.Errorf("x-dlq-error of %d bytes", len(h.Value))
		}
	}
}

func fmtHeaders(hs []kgo.RecordHeader) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(h.Key + "=" + string(h.Value) + " ")
	}
	return b.String()
}

// FuzzRoute: whatever the bytes, Route gives one record on one of the two
// outputs, and a dead letter keeps the original key and bytes.
func FuzzRoute(f *testing.F) {
	f.Add([]byte("r-1"), []byte(`{"order_id":"o","restaurant_id":"r","user_id":"u","items":[{"sku":"s","qty":1,"price_cents":5}],"total_cents":5,"placed_at":"2025-03-14T12:00:00Z"}`))
	f.Add([]byte(nil), []byte(nil))
	f.Add([]byte{}, []byte(`{"order_id":`))
	f.Fuzz(func(t *testing.T, key, value []byte) {
		out, v := ingest.Route(input(key, value))
		switch out.Topic {
		case "status-requests":
			if v.Placement == nil || string(out.Key) != v.Placement.Order.OrderID {
				t.Fatalf("placement %+v under key %q", v.Placement, out.Key)
			}
		case "orders-dlq":
			if v.Placement != nil || !bytes.Equal(out.Key, key) || !bytes.Equal(out.Value, value[:min(len(value), ingest.MaxDeadLetterBytes)]) {
				t.Fatalf("dead letter %q=%q of %q=%q", out.Key, out.Value, key, value)
			}
		default:
			t.Fatalf("topic %q", out.Topic)
		}
	})
}
