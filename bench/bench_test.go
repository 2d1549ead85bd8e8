package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"
)

// childEnv carries a child spec to this test binary re-executed.
const childEnv = "ORDERSTREAM_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := RunChild(context.Background(), spec, os.Stdin, os.Stdout, os.Stderr); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// raceEnabled reports whether the binary was built with -race, without a
// build tag: the build settings say so.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// tinyConfig sizes a run to check the machinery, not to measure: a few
// hundred orders, sub-second loads.
func tinyConfig(t *testing.T, only ...string) Config {
	return Config{
		N:           300,
		Rate:        50,
		Duration:    300 * time.Millisecond,
		Runs:        1,
		Only:        only,
		Users:       500,
		Restaurants: 10,
		SimUsers:    100,
		Timeout:     time.Minute,
		WorkDir:     t.TempDir(),
		Child: func(spec string) *exec.Cmd {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childEnv+"="+spec)
			return cmd
		},
	}
}

// TestRun runs every scenario at a tiny size through the real broker,
// processors, views, HTTP server and child processes. It asserts that each
// produced its section, never how fast: timings on a shared machine are
// not test results. Under the race detector, which slows goka several
// times, only the cheap scenarios run.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts brokers, processors, views and child processes")
	}
	// The scenarios of separate processes have a test of their own; the
	// streams scenario needs Apache Kafka and a JVM: TestStreams.
	scenarios := slices.DeleteFunc(slices.Clone(Scenarios), func(s string) bool {
		return slices.Contains(separateProcesses, s) || s == ScenarioStreams
	})
	if raceEnabled() {
		scenarios = []string{ScenarioBaseline, ScenarioLatency, ScenarioQueries, ScenarioMemory}
	}
	cfg := tinyConfig(t, scenarios...)
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, s := range scenarios {
		var got int
		switch s {
		case ScenarioBaseline:
			if rep.Baseline != nil {
				got = len(rep.Baseline.Runs)
			}
		case ScenarioThroughput:
			got = len(rep.Throughput)
			if got != len(stages(&fixture{}))+1 {
				t.Errorf("throughput subjects = %d, want every processor alone and the full topology", got)
			}
		case ScenarioLatency:
			got = len(rep.Latency)
			for _, l := range rep.Latency {
				if len(l.Samples) == 0 {
					t.Errorf("latency %s: no probe samples", l.Path)
				}
			}
		case ScenarioRecovery:
			got = len(rep.Recovery)
		case ScenarioQueries:
			got = len(rep.Queries)
			for _, q := range rep.Queries {
				if q.Requests == 0 || q.Errors != 0 {
					t.Errorf("queries %s (%s): %d requests, %d errors", q.Route, q.Tool, q.Requests, q.Errors)
				}
			}
		case ScenarioMemory:
			got = len(rep.Memory)
			for _, m := range rep.Memory {
				if m.Peak <= 0 {
					t.Errorf("memory %s: no peak RSS", m.Process)
				}
			}
		}
		if got == 0 {
			t.Errorf("scenario %s: no results", s)
		}
	}
	if !strings.Contains(out.String(), "targets:") {
		t.Errorf("output has no targets section:\n%s", out.String())
	}
}
