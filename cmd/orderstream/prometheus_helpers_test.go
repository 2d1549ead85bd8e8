package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// The repository's monitoring files, relative to this package.
const (
	repoPrometheusConfig = "../../deploy/prometheus/prometheus.yml"
	repoDashboard        = "../../deploy/grafana/orderstream.json"
)

// Grafana's variables in the dashboard's queries, as Grafana would fill
// them against a Prometheus scraping every second: $__rate_interval is at
// least four scrape intervals.
var grafanaVariables = strings.NewReplacer(
	"$__rate_interval", "15s",
	"$__interval", "2s",
	"$__range", "1m",
	"$job", ".*orderstream.*",
)

// prometheusBinary returns Debian's prometheus, or skips the test (fails it
// with CI=true) when it is not installed.
func prometheusBinary(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus not found; CI must install it: apt-get install prometheus")
		}
		t.Skip("prometheus not found; install it with: apt-get install prometheus")
	}
	return path
}

// scrapeConfig is the repository's Prometheus configuration with every
// job's targets replaced by targets[job] (a job the test has no targets
// for fails it), scraping and evaluating every second, and its rule files
// resolved to the repository's.
func scrapeConfig(t *testing.T, targets map[string][]string) []byte {
	t.Helper()
	raw, err := os.ReadFile(repoPrometheusConfig)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	global, _ := cfg["global"].(map[string]any)
	if global == nil {
		global = map[string]any{}
		cfg["global"] = global
	}
	global["scrape_interval"] = "1s"
	global["evaluation_interval"] = "1s"
	rules, _ := cfg["rule_files"].([]any)
	if len(rules) == 0 {
		t.Fatalf("%s loads no rule files", repoPrometheusConfig)
	}
	for i, r := range rules {
		abs, err := filepath.Abs(filepath.Join(filepath.Dir(repoPrometheusConfig), r.(string)))
		if err != nil {
			t.Fatal(err)
		}
		rules[i] = abs
	}
	scs, _ := cfg["scrape_configs"].([]any)
	for _, x := range scs {
		sc := x.(map[string]any)
		job := sc["job_name"].(string)
		ts, ok := targets[job]
		if !ok {
			t.Fatalf("%s: job %s has no targets in the test", repoPrometheusConfig, job)
		}
		static := map[string]any{"targets": ts}
		if old, _ := sc["static_configs"].([]any); len(old) > 0 {
			if labels := old[0].(map[string]any)["labels"]; labels != nil {
				static["labels"] = labels
			}
		}
		delete(sc, "dns_sd_configs")
		sc["static_configs"] = []any{static}
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// promServer is a running Prometheus server.
type promServer struct {
	base string
}

// startPrometheus runs bin with config on addr, with its own storage, until
// the test ends.
func startPrometheus(t *testing.T, bin, addr string, config []byte) *promServer {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, config, 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfgPath,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("prometheus log:\n%s", log)
		}
	})
	p := &promServer{base: "http://" + addr}
	eventually(t, "prometheus ready", 60*time.Second, func() (string, bool) {
		code, body := get(t, p.base+"/-/ready")
		return body, code == http.StatusOK
	})
	return p
}

// query evaluates expr now and returns the number of series (or 1 for a
// scalar) it returned.
func (p *promServer) query(expr string) (int, error) {
	resp, err := http.Get(p.base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return 0, err
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("%s: %s", expr, r.Error)
	}
	switch r.Data.ResultType {
	case "scalar", "string":
		return 1, nil
	}
	var series []json.RawMessage
	if err := json.Unmarshal(r.Data.Result, &series); err != nil {
		return 0, err
	}
	return len(series), nil
}

// alertRule is one alerting rule as Prometheus loaded it.
type alertRule struct {
	Name      string `json:"name"`
	Query     string `json:"query"`
	Health    string `json:"health"`
	LastError string `json:"lastError"`
	State     string `json:"state"`
	Type      string `json:"type"`
}

// rules returns the alerting rules Prometheus loaded, by name.
func (p *promServer) rules(t *testing.T) map[string]alertRule {
	t.Helper()
	resp, err := http.Get(p.base + "/api/v1/rules?type=alert")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			Groups []struct {
				Rules []alertRule `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	out := map[string]alertRule{}
	for _, g := range r.Data.Groups {
		for _, rule := range g.Rules {
			out[rule.Name] = rule
		}
	}
	return out
}

// panelQuery is one query of one dashboard panel.
type panelQuery struct{ panel, expr string }

// dashboardQueries returns every query of every panel of the repository's
// dashboard (rows' nested panels included), Grafana's variables filled in.
func dashboardQueries(t *testing.T) []panelQuery {
	t.Helper()
	raw, err := os.ReadFile(repoDashboard)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	var out []panelQuery
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, r := range ps {
			var p panel
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatal(err)
			}
			for _, q := range p.Targets {
				if q.Expr != "" {
					out = append(out, panelQuery{p.Title, grafanaVariables.Replace(q.Expr)})
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if len(out) == 0 {
		t.Fatalf("%s: no queries", repoDashboard)
	}
	return out
}

// eventually polls f every 250ms until it reports done, failing the test
// after timeout.
func eventually(t *testing.T, what string, timeout time.Duration, f func() (string, bool)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		last, ok := f()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
