package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// wrkThreads is wrk's thread count: one per core of the machine the
// numbers are reported for.
const wrkThreads = 2

// loadWrk runs wrk against r with conns connections for d; a Lua script
// rotates through r's paths. It reports what wrk prints: requests/s and
// the latency distribution (--latency).
func loadWrk(ctx context.Context, wrk, base string, r route, conns int, d time.Duration) (Query, error) {
	dir, err := os.MkdirTemp("", "orderstream-bench-wrk-")
	if err != nil {
		return Query{}, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "paths.lua")
	if err := os.WriteFile(script, []byte(wrkScript(r.paths)), 0o644); err != nil {
		return Query{}, err
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, wrk, "-t", strconv.Itoa(wrkThreads), "-c", strconv.Itoa(conns),
		"-d", strconv.Itoa(secs)+"s", "--latency", "-s", script, base)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return Query{}, fmt.Errorf("wrk: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	q, err := parseWrk(stdout.String())
	if err != nil {
		return Query{}, fmt.Errorf("wrk output: %w\n%s", err, stdout.String())
	}
	q.Route, q.Tool, q.Connections = r.name, ToolWrk, conns
	return q, nil
}

// wrkScript makes wrk request the paths in turn.
func wrkScript(paths []string) string {
	var b strings.Builder
	b.WriteString("local paths = {")
	for i, p := range paths {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(p))
	}
	b.WriteString("}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format(\"GET\", paths[(i % #paths) + 1])\nend\n")
	return b.String()
}

// parseWrk reads requests, errors, duration and the latency percentiles
// from wrk's report.
func parseWrk(out string) (Query, error) {
	var q Query
	var got int
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 2 && f[0] == "50%":
			d, err := parseWrkDuration(f[1])
			q.P50, got = d, got+1
			if err != nil {
				return q, err
			}
		case len(f) == 2 && f[0] == "99%":
			d, err := parseWrkDuration(f[1])
			q.P99, got = d, got+1
			if err != nil {
				return q, err
			}
		case len(f) >= 4 && f[0] == "Latency" && !strings.HasSuffix(f[1], "%"):
			// "Latency  avg  stdev  max  +/- stdev"
			d, err := parseWrkDuration(f[3])
			if err != nil {
				return q, err
			}
			q.Max = d
		case len(f) >= 5 && f[1] == "requests" && f[2] == "in":
			// "123456 requests in 10.00s, 20.00MB read"
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return q, err
			}
			d, err := parseWrkDuration(strings.TrimSuffix(f[3], ","))
			if err != nil {
				return q, err
			}
			q.Requests, q.Duration, got = n, d, got+1
		case len(f) == 5 && f[0] == "Non-2xx":
			// "Non-2xx or 3xx responses: 12"
			n, err := strconv.ParseInt(f[4], 10, 64)
			if err != nil {
				return q, err
			}
			q.Errors += n
		case len(f) >= 2 && f[0] == "Socket" && f[1] == "errors:":
			// "Socket errors: connect 0, read 0, write 0, timeout 0"
			for i := 2; i+1 < len(f); i += 2 {
				n, _ := strconv.ParseInt(strings.TrimSuffix(f[i+1], ","), 10, 64)
				q.Errors += n
			}
		}
	}
	if got < 3 {
		return q, fmt.Errorf("no requests and latency percentiles found")
	}
	return q, nil
}

// parseWrkDuration reads wrk's "812.00us", "1.23ms", "2.00s", "1.00m".
func parseWrkDuration(s string) (time.Duration, error) {
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"us", time.Microsecond}, {"ms", time.Millisecond}, {"s", time.Second}, {"m", time.Minute}} {
		if v, ok := strings.CutSuffix(s, u.suffix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return 0, fmt.Errorf("duration %q: %w", s, err)
			}
			return time.Duration(f * float64(u.unit)), nil
		}
	}
	return 0, fmt.Errorf("duration %q: unknown unit", s)
}
