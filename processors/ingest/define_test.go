package ingest_test

import (
	"reflect"
	"sync"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/ingest"
)

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
	if want := []string{"status-requests", "orders-dlq"}; !reflect.DeepEqual(outputs, want) {
		t.Errorf("outputs = %v, want %v", outputs, want)
	}
	if in := g.InputStreams(); len(in) != 1 || in[0].Topic() != "orders" {
		t.Errorf("inputs = %v, want [orders]", in)
	}
}

// invalidCalls records Hooks.Invalid.
type invalidCalls struct {
	mu      sync.Mutex
	reasons []order.Reason
}

func (c *invalidCalls) invalid(r order.Reason, _ error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reasons = append(c.reasons, r)
}

func (c *invalidCalls) got() []order.Reason {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]order.Reason(nil), c.reasons...)
}

// TestDefineRoutesAsRoute runs the graph of Define in goka's tester: what
// it emits for each record is what Route writes for it.
func TestDefineRoutesAsRoute(t *testing.T) {
	tt := tester.New(t)
	calls := new(invalidCalls)
	testutil.StartProcessor(t, tt, ingest.Define(ingest.Hooks{Invalid: calls.invalid}), ingest.Options()...)
	out := tt.NewQueueTracker(string(ingest.Output))
	dlq := tt.NewQueueTracker(string(ingest.DLQ))

	values := [][]byte{encode(t, testutil.ValidOrder()), []byte(`{`), nil, []byte(`null`), []byte(`{"order_id":"o-2"}`)}
	var wantReasons []order.Reason
	for offset, value := range values {
		if value == nil {
			tt.Consume(string(order.Stream), "r-1", nil)
		} else {
			tt.Consume(string(order.Stream), "r-1", value)
		}
		want, v := ingest.Route(&kgo.Record{Topic: "orders", Partition: 0, Offset: int64(offset), Key: []byte("r-1"), Value: value})
		if v.Placement != nil {
			key, got, ok := out.Next()
			if !ok || key != string(want.Key) || !reflect.DeepEqual(got, v.Placement.Request()) {
				t.Errorf("record %d: status-requests %q %+v, want %q %+v", offset, key, got, want.Key, v.Placement)
			}
			continue
		}
		wantReasons = append(wantReasons, v.Reason)
		headers, key, raw, ok := dlq.NextRawWithHeaders()
		wantHeaders := goka.Headers{}
		for _, h := range want.Headers {
			wantHeaders[h.Key] = h.Value
		}
		if !ok || key != string(want.Key) || string(raw) != string(want.Value) || (raw == nil) != (want.Value == nil) ||
			!reflect.DeepEqual(headers, wantHeaders) {
			t.Errorf("record %d: orders-dlq %q %q %v, want %q %q %v", offset, key, raw, headers, want.Key, want.Value, wantHeaders)
		}
	}
	if _, _, ok := out.Next(); ok {
		t.Error("more on status-requests")
	}
	if _, _, ok := dlq.Next(); ok {
		t.Error("more on orders-dlq")
	}
	if got := calls.got(); !reflect.DeepEqual(got, wantReasons) {
		t.Errorf("Invalid calls %v, want %v", got, wantReasons)
	}
}
