package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const dashboardFile = "grafana/orderstream.json"

// appMetrics are the metrics the binary exposes (besides go_* and
// process_*); the dashboard may query only these.
var appMetrics = []string{
	"orderstream_processor_messages_consumed_total",
	"orderstream_processor_messages_produced_total",
	"orderstream_processor_consumer_lag",
	"orderstream_view_lag",
	"orderstream_view_recovered",
	"orderstream_view_records_recovered_total",
	"orderstream_invalid_orders_total",
	"orderstream_duplicate_orders_total",
	"orderstream_orders_emitted_total",
	"orderstream_http_request_duration_seconds",
	"orderstream_consumergroup_lag",
	"orderstream_ingest_transactions_total",
	"orderstream_table_cache_flushes_total",
	"orderstream_table_cache_flushed_records_total",
	"orderstream_status_requests_refused_total",
	"orderstream_processor_recovered",
	"orderstream_build_info",
	"orderstream_conflicting_orders_total",
	"orderstream_component_restarts_total",
	"orderstream_amqp_published_total",
	"orderstream_amqp_confirmed_total",
	"orderstream_amqp_delivered_total",
	"orderstream_amqp_redelivered_total",
	"orderstream_amqp_dead_lettered_total",
}

// runtimeMetrics are the Go and process collectors' metrics the dashboard
// uses, and Prometheus' own up.
var runtimeMetrics = []string{"up", "go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total", "process_start_time_seconds"}

type dashboardPanel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *dashboardDS             `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		Datasource *dashboardDS `json:"datasource"`
		Expr       string       `json:"expr"`
	} `json:"targets"`
	Panels []dashboardPanel `json:"panels"` // collapsed rows
}

type dashboardDS struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type dashboard struct {
	UID           string           `json:"uid"`
	Title         string           `json:"title"`
	SchemaVersion int              `json:"schemaVersion"`
	Panels        []dashboardPanel `json:"panels"`
	Templating    struct {
		List []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Query   any    `json:"query"`
			Current struct {
				Value any `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

func TestDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d: want both set and schema >= 36", d.UID, d.Title, d.SchemaVersion)
	}

	// The data source is the variable DS_PROMETHEUS, defaulting to the
	// provisioned data source's uid.
	var ds struct {
		Datasources []struct {
			UID string `json:"uid"`
		} `json:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/prometheus.yaml", &ds)
	found := false
	for _, v := range d.Templating.List {
		if v.Name == "DS_PROMETHEUS" {
			found = true
			if v.Type != "datasource" || v.Query != "prometheus" || len(ds.Datasources) == 0 || v.Current.Value != ds.Datasources[0].UID {
				t.Errorf("variable DS_PROMETHEUS = %+v, want a prometheus datasource variable defaulting to uid %v", v, ds.Datasources)
			}
		}
	}
	if !found {
		t.Error("no DS_PROMETHEUS variable")
	}

	const dsRef = "${DS_PROMETHEUS}"
	ids := map[int]string{}
	used := map[string]bool{}
	var cells [][2]int // occupied (x, y) grid cells
	var walk func([]dashboardPanel)
	walk = func(ps []dashboardPanel) {
		for _, p := range ps {
			if prev, dup := ids[p.ID]; dup {
				t.Errorf("panels %q and %q share id %d", prev, p.Title, p.ID)
			}
			ids[p.ID] = p.Title
			g := p.GridPos
			if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("panel %q: gridPos %+v outside the 24 columns", p.Title, g)
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if slices.Contains(cells, [2]int{x, y}) {
						t.Errorf("panel %q overlaps another at (%d, %d)", p.Title, x, y)
					}
					cells = append(cells, [2]int{x, y})
				}
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.UID != dsRef {
				t.Errorf("panel %q: datasource %+v, want uid %s", p.Title, p.Datasource, dsRef)
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q: no queries", p.Title)
			}
			for _, q := range p.Targets {
				if q.Datasource == nil || q.Datasource.UID != dsRef {
					t.Errorf("panel %q: query datasource %+v, want uid %s", p.Title, q.Datasource, dsRef)
				}
				checkExpr(t, p.Title, q.Expr, used)
			}
		}
	}
	walk(d.Panels)
	for _, m := range appMetrics {
		if !used[m] {
			t.Errorf("no panel shows %s", m)
		}
	}
}

var (
	// metricName finds the metric names in a PromQL expression: identifiers
	// of the families the system exposes.
	metricName = regexp.MustCompile(`\b(?:orderstream|go|process)_[a-z0-9_]+\b|\bup\b`)
	// labelMatchers removes {...} and by (...) contents, which hold label
	// names, not metrics.
	labelMatchers = regexp.MustCompile(`\{[^}]*\}|\b(?:by|without|on|ignoring)\s*\([^)]*\)`)
)

// checkExpr reports unknown metric names and unbalanced brackets in expr,
// and records the metrics it uses.
func checkExpr(t *testing.T, panel, expr string, used map[string]bool) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("panel %q: empty query", panel)
		return
	}
	depth := map[rune]int{}
	for _, r := range expr {
		switch r {
		case '(', '{', '[':
			depth[r]++
		case ')':
			depth['(']--
		case '}':
			depth['{']--
		case ']':
			depth['[']--
		}
	}
	for r, n := range depth {
		if n != 0 {
			t.Errorf("panel %q: unbalanced %c in %s", panel, r, expr)
		}
	}
	names := metricName.FindAllString(labelMatchers.ReplaceAllString(expr, ""), -1)
	if len(names) == 0 {
		t.Errorf("panel %q: no known metric in %s", panel, expr)
	}
	for _, n := range names {
		base := n
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if b, ok := strings.CutSuffix(n, suffix); ok && b == "orderstream_http_request_duration_seconds" {
				base = b
			}
		}
		if !slices.Contains(appMetrics, base) && !slices.Contains(runtimeMetrics, base) {
			t.Errorf("panel %q: unknown metric %s", panel, n)
		}
		used[base] = true
	}
}

// TestDashboardMetricsAreDefined: every application metric the dashboard
// shows is named in the metrics package (or, for RabbitMQ delivery, in
// delivery/metrics.go), so renaming one there fails here instead of
// leaving an empty panel.
func TestDashboardMetricsAreDefined(t *testing.T) {
	files, err := filepath.Glob("../internal/metrics/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sources in internal/metrics (%v)", err)
	}
	files = append(files, "../delivery/metrics.go")
	var src strings.Builder
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(raw)
	}
	for _, m := range appMetrics {
		// The package builds names from Namespace "orderstream" and a
		// quoted suffix.
		if !strings.Contains(src.String(), `"`+strings.TrimPrefix(m, "orderstream_")+`"`) {
			t.Errorf("%s is not defined in internal/metrics or delivery", m)
		}
	}
}
