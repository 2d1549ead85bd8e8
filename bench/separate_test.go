package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// buildBinary builds the orderstream command into a temporary directory:
// the separate-process scenarios run it as users do.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "orderstream")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/orderstream")
	cmd.Dir = ".." // the module root; tests run in the package's directory
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/orderstream: %v\n%s", err, out)
	}
	return bin
}

// childrenOf lists the processes whose executable is bin.
func childrenOf(t *testing.T, bin string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if exe, err := os.Readlink(filepath.Join("/proc", e.Name(), "exe")); err == nil && exe == bin {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// TestRunSeparateProcesses runs the system, catchup and demo scenarios at
// a tiny size with the orderstream binary built from this tree: broker,
// topics, process, serve, emit and demo as child processes. It checks
// that each produced its section with numbers in it, and that no child
// and no temporary directory is left, never how fast anything was.
func TestRunSeparateProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the orderstream binary and runs it as child processes")
	}
	bin := buildBinary(t)
	cfg := tinyConfig(t, separateProcesses...)
	cfg.Binary = bin
	cfg.Rates = []float64{20}
	cfg.WarmUp = time.Second
	cfg.Duration = 3 * time.Second
	cfg.N = 2000
	cfg.DemoRate = 20
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}

	if len(rep.System) != 1 || len(rep.System[0].Runs) != 1 {
		t.Fatalf("system: %+v, want one rate with one run", rep.System)
	}
	r := rep.System[0].Runs[0]
	if r.Orders <= 0 || r.Placed() <= 0 || r.TotalCPU() <= 0 || len(r.Samples) == 0 {
		t.Errorf("system run: %d orders, placed %.1f/s, CPU %v, %d probes", r.Orders, r.Placed(), r.TotalCPU(), len(r.Samples))
	}
	if got, want := rep.System[0].Processes(), []string{ProcBroker, ProcProcess, ProcServe, ProcEmit}; !slices.Equal(got, want) {
		t.Errorf("system processes = %v, want %v", got, want)
	}
	if !r.CaughtUp {
		t.Errorf("system run: /api/stats never counted every order placed")
	}

	if c := rep.Catchup; c == nil || len(c.Runs) != 1 {
		t.Errorf("catchup: %+v, want one run", c)
	} else if run := c.Runs[0]; run.Elapsed <= 0 || run.Baseline.Orders != cfg.N || c.Rate() <= 0 || c.Ratio() <= 0 {
		t.Errorf("catchup run: %+v", run)
	}

	if d := rep.Demo; d == nil {
		t.Error("demo: no result")
	} else {
		if d.Orders <= 0 || d.HWM <= 0 || d.RSS <= 0 || totalBytes(d.Compacted) <= 0 {
			t.Errorf("demo: %d orders, RSS %d, peak %d, compacted %d bytes", d.Orders, d.RSS, d.HWM, totalBytes(d.Compacted))
		}
		if d.Records["orders"] != d.Orders || d.RecordsPerOrder() <= 1 {
			t.Errorf("demo: %d orders, records by topic %v", d.Orders, d.Records)
		}
		if !slices.ContainsFunc(d.Compacted, func(s DirSize) bool { return s.Name == "broker" && s.Bytes > 0 }) {
			t.Errorf("demo data dir %+v: no broker directory", d.Compacted)
		}
	}

	for _, want := range []string{"system", "catchup", "demo", "targets:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if left := childrenOf(t, bin); len(left) > 0 {
		t.Errorf("children left running:\n%s", strings.Join(left, "\n"))
	}
	if left, err := os.ReadDir(cfg.WorkDir); err != nil || len(left) > 0 {
		t.Errorf("work dir not cleaned up: %v %v", left, err)
	}
}

func TestStatCPU(t *testing.T) {
	// A command name with a space and a parenthesis, 250 + 50 ticks.
	line := "4242 (odd) name) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 1000000 500 18446744073709551615\n"
	got, err := statCPU(line)
	if err != nil || got != 3*time.Second {
		t.Errorf("statCPU = %v, %v; want 3s", got, err)
	}
	if _, err := statCPU("4242 (x) S 1"); err == nil {
		t.Error("statCPU of a short line: no error")
	}
	if d, err := procCPU(os.Getpid()); err != nil || d < 0 {
		t.Errorf("procCPU(self) = %v, %v", d, err)
	}
}

func TestFindMaxSearch(t *testing.T) {
	// A system that sustains up to limit orders/s.
	fake := func(limit float64) func(rate float64) (SystemRun, error) {
		return func(rate float64) (SystemRun, error) {
			return SystemRun{Asked: rate, Window: time.Second, Orders: int64(rate), CaughtUp: rate <= limit}, nil
		}
	}
	for _, tc := range []struct {
		limit    float64
		measured []float64
	}{
		{limit: 2345},
		{limit: 2345, measured: []float64{50, 1000}},
		{limit: 700, measured: []float64{50, 1000}},
		{limit: 20, measured: []float64{50}},
	} {
		m := &MaxRate{}
		for _, r := range tc.measured {
			run, _ := fake(tc.limit)(r)
			m.note(System{Rate: r, Runs: []SystemRun{run}})
		}
		if err := m.search(fake(tc.limit)); err != nil {
			t.Fatal(err)
		}
		if m.Rate > tc.limit || m.Missed <= tc.limit || m.Missed > findMaxPrecision*m.Rate*1.01 {
			t.Errorf("limit %g from %v: sustained %g, missed %g; tried %s", tc.limit, tc.measured, m.Rate, m.Missed, m)
		}
	}
	m := &MaxRate{}
	if err := m.search(fake(1e9)); err != nil || m.Missed != 0 || m.Rate < findMaxLimit/2 {
		t.Errorf("unbounded system: sustained %g, missed %g (%v)", m.Rate, m.Missed, err)
	}
}
