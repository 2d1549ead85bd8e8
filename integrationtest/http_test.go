package integrationtest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
)

// httpClient bounds every request, so that a hung server fails a wait
// instead of blocking it.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// get returns the status and body of GET url; a transport error is
// reported as status 0 with the error as body, for polling.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err.Error()
	}
	return resp.StatusCode, string(body)
}

// getJSON decodes the body of a 200 answer to GET url into v; otherwise
// it returns a description of what came back.
func getJSON(t *testing.T, url string, v any) error {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, code, strings.TrimSpace(body))
	}
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode %q: %v", url, body, err)
	}
	return nil
}

// post sends body to url as JSON with the given extra headers and returns
// the status, headers and body of the answer. It does not fail the test, so
// goroutines other than the test's may call it.
func post(url, body string, header map[string]string) (int, http.Header, string, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, "", fmt.Errorf("POST %s: %w", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, "", fmt.Errorf("POST %s: read body: %w", url, err)
	}
	return resp.StatusCode, resp.Header, string(b), nil
}

// scrape returns the samples of the order counters on /metrics (invalid,
// duplicate and emitted orders), keyed by name and labels as exposed:
// orderstream_invalid_orders_total{reason="bad_qty"}.
func scrape(t *testing.T, base string) (map[string]float64, error) {
	t.Helper()
	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %d %s", code, body)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "orderstream_invalid_orders_total") &&
			!strings.HasPrefix(line, "orderstream_duplicate_orders_total") &&
			!strings.HasPrefix(line, "orderstream_orders_emitted_total") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("metrics line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// checkCounters compares the counters of the invalid and duplicate orders
// with want (reason → count; reasons not in want must be zero).
func checkCounters(t *testing.T, base string, invalid map[order.Reason]int, duplicates int) (string, bool) {
	t.Helper()
	got, err := scrape(t, base)
	if err != nil {
		return err.Error(), false
	}
	var diffs []string
	for _, r := range order.Reasons {
		name := fmt.Sprintf("orderstream_invalid_orders_total{reason=%q}", r)
		if v, ok := got[name]; !ok || v != float64(invalid[r]) {
			diffs = append(diffs, fmt.Sprintf("%s = %v (present %v), want %d", name, v, ok, invalid[r]))
		}
	}
	name := "orderstream_duplicate_orders_total"
	if v, ok := got[name]; !ok || v != float64(duplicates) {
		diffs = append(diffs, fmt.Sprintf("%s = %v (present %v), want %d", name, v, ok, duplicates))
	}
	return strings.Join(diffs, "; "), len(diffs) == 0
}
