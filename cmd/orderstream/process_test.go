package main

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestRefusedRequestsCounted: every verdict the lifecycle refuses with is
// a label the metrics start at zero, and the hook counts it there.
func TestRefusedRequestsCounted(t *testing.T) {
	m := metrics.New()
	h := processorHooks(m, slog.New(slog.DiscardHandler))
	r := &streams.Request{OrderID: "o-1", Status: order.StatusReady}
	verdicts := []lifecycle.Verdict{lifecycle.Repeated, lifecycle.Invalid, lifecycle.Unknown}
	if len(verdicts) != len(metrics.RefusedVerdicts) {
		t.Fatalf("metrics know %d verdicts, the lifecycle refuses with %d", len(metrics.RefusedVerdicts), len(verdicts))
	}
	for i, v := range verdicts {
		if !v.Refused() || v.String() != metrics.RefusedVerdicts[i] {
			t.Errorf("verdict %v: refused %v, label %q", v, v.Refused(), metrics.RefusedVerdicts[i])
		}
		h.Lifecycle.Refused(r, order.StatusCancelled, v)
		if got := testutil.ToFloat64(m.StatusRequestsRefused.WithLabelValues(v.String())); got != 1 {
			t.Errorf("%s refusals counted %v, want 1", v, got)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		s       settings
		wantErr string
	}{
		{settings{capacity: 10, retention: time.Hour, txnInterval: time.Millisecond}, ""},
		{settings{capacity: 1, txnInterval: 100 * time.Millisecond}, ""},
		{settings{capacity: 0, txnInterval: time.Millisecond}, "--capacity 0: want at least 1"},
		{settings{capacity: 5, retention: -time.Second, txnInterval: time.Millisecond}, "--audit-retention -1s: want 0 or more"},
		{settings{capacity: 5, purgeInterval: -time.Second, txnInterval: time.Millisecond}, "--purge-interval -1s: want 0 or more"},
		{settings{capacity: 5}, "--transaction-interval 0s: want more than 0"},
	}
	for _, tc := range tests {
		cfg, err := tc.s.config(metrics.New(), slog.New(slog.DiscardHandler))
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%+v: error %v, want %q", tc.s, err, tc.wantErr)
			}
			continue
		}
		if err != nil || cfg.Restaurant.Capacity != tc.s.capacity || cfg.AuditRetention != tc.s.retention ||
			cfg.TransactionInterval != tc.s.txnInterval || cfg.Hooks.Lifecycle.Refused == nil {
			t.Errorf("%+v: config %+v, %v", tc.s, cfg, err)
		}
	}
}
