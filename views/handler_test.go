package views

import (
	"net/http"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/metrics"
)

func TestNewHandlerNeedsViews(t *testing.T) {
	if _, err := NewHandler(HandlerConfig{Logger: discardLogger()}); err == nil {
		t.Error("no error without views")
	}
}

func TestRouting(t *testing.T) {
	set, _ := newTestSet(t)
	runSet(t, set)
	intake := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "placed"})
	})
	withIntake := newTestHandler(t, HandlerConfig{Views: set, Intake: intake})
	without := newTestHandler(t, HandlerConfig{Views: set})

	tests := []struct {
		name      string
		h         http.Handler
		method    string
		target    string
		wantCode  int
		wantBody  string
		wantAllow string
	}{
		{"intake", withIntake, http.MethodPost, "/api/orders", 202, `{"status":"placed"}`, ""},
		{"intake wrong method", withIntake, http.MethodGet, "/api/orders", 405,
			`{"error":"method GET not allowed on /api/orders, use POST"}`, "POST"},
		{"no intake", without, http.MethodPost, "/api/orders", 404, `{"error":"no route for /api/orders"}`, ""},
		{"unknown api path", without, http.MethodGet, "/api/nope", 404, `{"error":"no route for /api/nope"}`, ""},
		{"restaurants with a trailing slash", without, http.MethodGet, "/api/restaurants/", 404,
			`{"error":"no route for /api/restaurants/"}`, ""},
		{"too deep", without, http.MethodGet, "/api/restaurants/a/b", 404, `{"error":"no route for /api/restaurants/a/b"}`, ""},
		{"unknown path", without, http.MethodGet, "/nope", 404, `{"error":"no route for /nope"}`, ""},
		{"post to stats", without, http.MethodPost, "/api/stats", 405,
			`{"error":"method POST not allowed on /api/stats, use GET"}`, "GET, HEAD"},
		{"delete a restaurant", without, http.MethodDelete, "/api/restaurants/r1", 405,
			`{"error":"method DELETE not allowed on /api/restaurants/{id}, use GET"}`, "GET, HEAD"},
		{"put healthz", without, http.MethodPut, "/healthz", 405,
			`{"error":"method PUT not allowed on /healthz, use GET"}`, "GET, HEAD"},
		{"post to the monitor", without, http.MethodPost, "/monitor/", 405,
			`{"error":"method POST not allowed on /monitor/, use GET"}`, "GET, HEAD"},
		{"no metrics without Metrics", without, http.MethodGet, "/metrics", 404, `{"error":"no route for /metrics"}`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, tc.h, tc.method, tc.target)
			checkJSON(t, got, tc.wantCode, tc.wantBody)
			if allow := got.header.Get("Allow"); allow != tc.wantAllow {
				t.Errorf("Allow %q, want %q", allow, tc.wantAllow)
			}
		})
	}
}

func TestHeadIsServed(t *testing.T) {
	set, _ := newTestSet(t)
	runSet(t, set)
	h := newTestHandler(t, HandlerConfig{Views: set})
	if got := do(t, h, http.MethodHead, "/api/stats"); got.code != http.StatusOK {
		t.Errorf("HEAD /api/stats: %d", got.code)
	}
}

func TestMetricsRoutes(t *testing.T) {
	set, _ := newTestSet(t)
	runSet(t, set)
	m := metrics.New()
	h := newTestHandler(t, HandlerConfig{Views: set, Metrics: m})

	do(t, h, http.MethodGet, "/api/restaurants/r1")
	do(t, h, http.MethodGet, "/api/restaurants/r2")
	do(t, h, http.MethodPost, "/api/stats")
	do(t, h, http.MethodGet, "/nope/whatever")
	got := do(t, h, http.MethodGet, "/metrics")
	if got.code != http.StatusOK {
		t.Fatalf("/metrics: %d", got.code)
	}
	for _, want := range []string{
		`orderstream_http_request_duration_seconds_count{code="404",method="GET",route="GET /api/restaurants/{id}"} 2`,
		`orderstream_http_request_duration_seconds_count{code="405",method="POST",route="/api/stats"} 1`,
		`orderstream_http_request_duration_seconds_count{code="404",method="GET",route="/"} 1`,
		`orderstream_view_recovered{table="restaurant-table"} 1`,
		`orderstream_view_recovered{table="user-table"} 1`,
		`orderstream_view_recovered{table="global-table"} 1`,
	} {
		if !strings.Contains(got.body, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(got.body, "r1") || strings.Contains(got.body, "/nope") {
		t.Error("a request path leaked into a label")
	}
}
