package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orderstream/orderstream/order"
)

func TestNewStartsEveryLabelAtZero(t *testing.T) {
	m := New()
	if got, want := testutil.CollectAndCount(m.InvalidOrders), len(order.Reasons); got != want {
		t.Errorf("invalid_orders_total series = %d, want %d", got, want)
	}
	for _, r := range order.Reasons {
		if v := testutil.ToFloat64(m.InvalidOrders.WithLabelValues(string(r))); v != 0 {
			t.Errorf("invalid_orders_total{reason=%q} = %v, want 0", r, v)
		}
	}
	if got := testutil.CollectAndCount(m.OrdersEmitted); got != 2 {
		t.Errorf("orders_emitted_total series = %d, want 2", got)
	}
}

func TestCounters(t *testing.T) {
	m := New()
	m.InvalidOrders.WithLabelValues(string(order.ReasonBadQty)).Inc()
	m.DuplicateOrders.Add(2)
	m.OrdersEmitted.WithLabelValues(SourceIntake).Add(3)

	const want = `
# HELP orderstream_duplicate_orders_total Orders dropped by the registry because their order_id was seen before.
# TYPE orderstream_duplicate_orders_total counter
orderstream_duplicate_orders_total 2
# HELP orderstream_orders_emitted_total Orders written to the orders topic, by source.
# TYPE orderstream_orders_emitted_total counter
orderstream_orders_emitted_total{source="intake"} 3
orderstream_orders_emitted_total{source="simulator"} 0
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"orderstream_duplicate_orders_total", "orderstream_orders_emitted_total"); err != nil {
		t.Error(err)
	}
	if v := testutil.ToFloat64(m.InvalidOrders.WithLabelValues(string(order.ReasonBadQty))); v != 1 {
		t.Errorf("invalid_orders_total{reason=bad_qty} = %v, want 1", v)
	}
}

func TestHandlerServesTheRegistry(t *testing.T) {
	m := New()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	body, _ := io.ReadAll(rec.Body)
	for _, name := range []string{
		"orderstream_invalid_orders_total",
		"orderstream_duplicate_orders_total",
		"orderstream_orders_emitted_total",
		"go_goroutines",
		"process_cpu_seconds_total",
	} {
		if !strings.Contains(string(body), name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
}
