// Package bench measures what users of orderstream feel, side by side with
// the limit: a plain franz-go consumer reading the same orders. Every
// scenario starts its own embedded broker, so runs do not interfere; each
// lives in a file of its own:
//
//   - baseline.go: the raw consumer over N pre-produced orders;
//   - throughput.go: each processor alone and the full topology, cold start
//     until every table holds all N orders;
//   - latency.go: POST /api/orders (and a goka emit) until the restaurant
//     view shows the order, under a steady background rate;
//   - state.go: a processor restarted with intact local state, a view
//     started cold on a large table, and the peak RSS of both, each in a
//     child process;
//   - queries.go: the read API under 64 concurrent connections;
//   - sysrate.go, catchup.go, demosoak.go: the orderstream binary run as a
//     user deploys it, each command its own process (deploy.go, procs.go):
//     CPU per order of every process at fixed rates, with latency and
//     whether the rate is sustained; the cold catch-up of `process`; and
//     the demo's data directory and memory.
//
// Run prints a table and returns the Report; targets.go grades it.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Scenario names, as --only takes them.
const (
	ScenarioBaseline   = "baseline"
	ScenarioThroughput = "throughput"
	ScenarioLatency    = "latency"
	ScenarioRecovery   = "recovery"
	ScenarioQueries    = "queries"
	ScenarioMemory     = "memory"
	ScenarioSystem     = "system"
	ScenarioCatchup    = "catchup"
	ScenarioDemo       = "demo"
)

// Scenarios lists every scenario in the order Run runs them.
var Scenarios = []string{
	ScenarioBaseline, ScenarioThroughput, ScenarioLatency,
	ScenarioRecovery, ScenarioQueries, ScenarioMemory, ScenarioStreams,
	ScenarioSystem, ScenarioCatchup, ScenarioDemo,
}

// separateProcesses are the scenarios that run the orderstream binary
// (Config.Binary) as child processes.
var separateProcesses = []string{ScenarioSystem, ScenarioCatchup, ScenarioDemo}

// Defaults of Config, as the bench command offers them.
const (
	DefaultN           = 100_000
	DefaultRate        = 1000
	DefaultDuration    = 10 * time.Second
	DefaultRuns        = 3
	DefaultUsers       = 1_000_000
	DefaultRestaurants = 50
	DefaultSimUsers    = 5000
	DefaultTimeout     = 10 * time.Minute
	DefaultWarmUp      = 15 * time.Second
	DefaultDemoRate    = 20
	// QueryConnections is the concurrency of the query load.
	QueryConnections = 64
)

// DefaultRates are the rates of the system scenario, in orders/s.
var DefaultRates = []float64{50, 1000}

// Config sizes a run.
type Config struct {
	// N is the number of orders pre-produced for the baseline and the
	// throughput scenarios.
	N int
	// Rate is the background order rate (orders/s) of the latency
	// scenario.
	Rate float64
	// Duration is how long the latency scenario probes and each query
	// load lasts.
	Duration time.Duration
	// Runs is how often the short measurements are repeated; the table
	// shows their median.
	Runs int
	// Only selects scenarios by name; empty runs all of them.
	Only []string
	// Users is the number of keys of the user table the recovery and
	// memory scenarios load.
	Users int
	// Partitions of every topic; kafkaconf.DefaultPartitions when zero.
	Partitions int
	// Restaurants and SimUsers size the simulated world orders are drawn
	// from; Seed makes it repeatable.
	Restaurants int
	SimUsers    int
	Seed        uint64
	// Timeout bounds every wait for the system (a table to fill, a child
	// to become ready): it turns a hang into an error, it is not a target.
	Timeout time.Duration
	// ProfileDir, if set, receives a CPU profile of the first run of every
	// measurement (and of every child process), for go tool pprof.
	ProfileDir string
	// Wrk, if set, is the path of wrk: the query scenario also runs it
	// against the same endpoints.
	Wrk string
	// Child starts a child process that runs RunChild with spec; without
	// it the recovery and memory scenarios are skipped. The bench command
	// re-executes itself; tests re-execute the test binary.
	Child func(spec string) *exec.Cmd
	// WorkDir holds the temporary LevelDB directories; empty means the
	// system's temporary directory.
	WorkDir string
	// Kafka, if above zero, measures on a fresh Apache Kafka cluster of
	// this many nodes (internal/kafkacluster, 1 or 3) for each
	// measurement instead of the embedded broker.
	Kafka int
	// Logger receives progress and the system's warnings; nil discards.
	Logger *slog.Logger

	// Binary is the orderstream executable the system, catchup and demo
	// scenarios run as child processes; without it they fail.
	Binary string
	// Rates are the orders/s of the system scenario; DefaultRates when
	// empty. Each is measured over Duration after WarmUp, Runs times.
	Rates  []float64
	WarmUp time.Duration
	// FindMax, after Rates, searches the highest rate sustained: doubling
	// from the highest sustained, then bisecting, one run per rate.
	FindMax bool
	// DemoRate is the --rate of the demo scenario, which runs for
	// Duration; DefaultDemoRate when zero.
	DemoRate float64
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Partitions == 0 {
		c.Partitions = kafkaconf.DefaultPartitions
	}
	if c.Restaurants == 0 {
		c.Restaurants = DefaultRestaurants
	}
	if c.SimUsers == 0 {
		c.SimUsers = DefaultSimUsers
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if len(c.Rates) == 0 {
		c.Rates = DefaultRates
	}
	if c.DemoRate == 0 {
		c.DemoRate = DefaultDemoRate
	}
	return c
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.N < 1:
		return fmt.Errorf("n %d: want at least 1 order", c.N)
	case c.Rate <= 0:
		return fmt.Errorf("rate %v: want more than 0 orders/s", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("duration %v: want more than 0", c.Duration)
	case c.Runs < 1:
		return fmt.Errorf("runs %d: want at least 1", c.Runs)
	case c.Users < 1:
		return fmt.Errorf("users %d: want at least 1", c.Users)
	case c.Partitions < 0:
		return fmt.Errorf("partitions %d: want at least 1", c.Partitions)
	case c.WarmUp < 0:
		return fmt.Errorf("warm-up %v: want 0 or more", c.WarmUp)
	case c.DemoRate < 0:
		return fmt.Errorf("demo rate %v: want more than 0 orders/s", c.DemoRate)
	}
	for _, r := range c.Rates {
		if !(r > 0) {
			return fmt.Errorf("rate %v: want more than 0 orders/s", r)
		}
	}
	for _, s := range c.Only {
		if !slices.Contains(Scenarios, s) {
			return fmt.Errorf("unknown scenario %q (have %s)", s, strings.Join(Scenarios, ", "))
		}
	}
	return nil
}

// wants reports whether scenario s is selected.
func (c Config) wants(s string) bool { return len(c.Only) == 0 || slices.Contains(c.Only, s) }

// Run runs the selected scenarios one after the other, writing progress
// lines and finally the table to w, and returns what it measured. A
// scenario that fails is reported and the others still run; the errors
// are joined.
func Run(ctx context.Context, cfg Config, w io.Writer) (Report, error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, fmt.Errorf("bench: %w", err)
	}
	cfg = cfg.withDefaults()
	if cfg.ProfileDir != "" {
		if err := os.MkdirAll(cfg.ProfileDir, 0o755); err != nil {
			return Report{}, fmt.Errorf("bench: profile dir: %w", err)
		}
	}
	rep := Report{Machine: DescribeMachine(), Config: cfg}
	fmt.Fprintf(w, "orderstream bench: %s, %d cores (GOMAXPROCS %d), %s\n",
		rep.Machine.CPU, rep.Machine.Cores, rep.Machine.GOMAXPROCS, rep.Machine.Go)

	var errs []error
	step := func(name string, selected bool, run func() error) {
		if !selected || ctx.Err() != nil {
			return
		}
		fmt.Fprintf(w, "running %s...\n", name)
		start := time.Now()
		if err := run(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			fmt.Fprintf(w, "  %s failed: %v\n", name, err)
			return
		}
		fmt.Fprintf(w, "  %s done in %v\n", name, time.Since(start).Round(100*time.Millisecond))
	}
	var fx *fixture
	orders := func() (*fixture, error) {
		if fx == nil {
			var err error
			if fx, err = newFixture(cfg); err != nil {
				return nil, err
			}
		}
		return fx, nil
	}

	step(ScenarioBaseline, cfg.wants(ScenarioBaseline), func() (err error) {
		f, err := orders()
		if err != nil {
			return err
		}
		rep.Baseline, err = runBaseline(ctx, cfg, f, w)
		return err
	})
	step(ScenarioThroughput, cfg.wants(ScenarioThroughput), func() (err error) {
		f, err := orders()
		if err != nil {
			return err
		}
		rep.Throughput, err = runThroughput(ctx, cfg, f, w)
		return err
	})
	step(ScenarioLatency, cfg.wants(ScenarioLatency), func() (err error) {
		rep.Latency, err = runLatency(ctx, cfg, w)
		return err
	})
	// Recovery and memory share one expensive fixture (a large user
	// table) and the same child processes.
	recovery, memory := cfg.wants(ScenarioRecovery), cfg.wants(ScenarioMemory)
	stateName := ScenarioRecovery + "+" + ScenarioMemory
	if !memory {
		stateName = ScenarioRecovery
	} else if !recovery {
		stateName = ScenarioMemory
	}
	step(stateName, recovery || memory, func() (err error) {
		if cfg.Child == nil {
			return errors.New("no way to start child processes (Config.Child)")
		}
		st, err := runState(ctx, cfg, w)
		if recovery {
			rep.Recovery = st.recovery
		}
		if memory {
			rep.Memory = st.memory
		}
		return err
	})
	step(ScenarioQueries, cfg.wants(ScenarioQueries), func() (err error) {
		f, err := orders()
		if err != nil {
			return err
		}
		rep.Queries, err = runQueries(ctx, cfg, f, w)
		return err
	})
	step(ScenarioSystem, cfg.wants(ScenarioSystem), func() (err error) {
		rep.System, err = runSystem(ctx, cfg, w)
		if err == nil && cfg.FindMax {
			rep.MaxRate, err = findMax(ctx, cfg, rep.System, w)
		}
		return err
	})
	step(ScenarioCatchup, cfg.wants(ScenarioCatchup), func() (err error) {
		rep.Catchup, err = runCatchup(ctx, cfg, w)
		return err
	})
	step(ScenarioDemo, cfg.wants(ScenarioDemo), func() (err error) {
		rep.Demo, err = runDemo(ctx, cfg, w)
		return err
	})

	// Kafka Streams needs Apache Kafka: without --kafka it runs only when
	// asked for by name (and then says why it cannot).
	step(ScenarioStreams, slices.Contains(cfg.Only, ScenarioStreams) || (len(cfg.Only) == 0 && cfg.Kafka > 0), func() error {
		f, err := orders()
		if err != nil {
			return err
		}
		rep.Streams, err = runStreams(ctx, cfg, f, w)
		return err
	})

	fmt.Fprintln(w)
	rep.Print(w)
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return rep, errors.Join(errs...)
}
