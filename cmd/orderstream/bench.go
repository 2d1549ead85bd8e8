package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/orderstream/orderstream/bench"
)

func init() {
	register("bench", "measure throughput, latency, recovery, queries and memory against a plain Kafka consumer, the system as separate processes, and Kafka Streams (--only streams --kafka 1)", setupBench)
}

// wrkAuto looks wrk up on the PATH.
const wrkAuto = "auto"

func setupBench(fs *flag.FlagSet) func(context.Context, *env) error {
	var (
		cfg   bench.Config
		only  string
		wrk   string
		child string
		rates string
	)
	fs.IntVar(&cfg.N, "n", bench.DefaultN, "orders pre-produced for the baseline and throughput scenarios")
	fs.Float64Var(&cfg.Rate, "rate", bench.DefaultRate, fmt.Sprintf("background orders/s of the latency scenario; also the demo scenario's --rate (default %d there)", bench.DefaultDemoRate))
	fs.DurationVar(&cfg.Duration, "duration", bench.DefaultDuration, "how long the latency scenario probes, and each query load lasts")
	fs.IntVar(&cfg.Runs, "runs", bench.DefaultRuns, "runs of each short measurement; the table shows the median")
	fs.StringVar(&only, "only", "", "comma separated scenarios to run (default all: "+strings.Join(bench.Scenarios, ",")+")")
	fs.IntVar(&cfg.Users, "users", bench.DefaultUsers, "keys of the user table in the recovery and memory scenarios")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the simulated orders")
	fs.DurationVar(&cfg.Timeout, "timeout", bench.DefaultTimeout, "give up waiting for the system after this long (a hang guard, not a target)")
	fs.StringVar(&cfg.ProfileDir, "cpuprofile", "", "directory to write a CPU profile of each measurement's first run to (go tool pprof)")
	fs.IntVar(&cfg.Kafka, "kafka", 0, "measure on a fresh local Apache Kafka cluster of this many nodes (1 or 3; see kafka-cluster) instead of the embedded broker; 0 = embedded")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "directory for the temporary LevelDB state (default: the system's temporary directory)")
	fs.StringVar(&wrk, "wrk", wrkAuto, "path of wrk, to load the query endpoints with it too; auto looks it up on the PATH, empty turns it off")
	fs.StringVar(&child, "child", "", "internal: run as a child process of the bench with this JSON spec")
	fs.StringVar(&rates, "rates", formatRates(bench.DefaultRates), "comma separated orders/s of the system and streams scenarios, each measured over --duration after --warmup (e.g. 50,1000,3000)")
	fs.BoolVar(&cfg.FindMax, "find-max", false, "after --rates, search the highest rate the system sustains (doubling, then bisecting; one run per rate)")
	fs.DurationVar(&cfg.WarmUp, "warmup", bench.DefaultWarmUp, "how long the system and streams scenarios run at each rate before measuring")
	return func(ctx context.Context, e *env) error {
		if child != "" {
			return bench.RunChild(ctx, child, os.Stdin, e.stdout, os.Stderr)
		}
		cfg.Only = splitList(only)
		for _, r := range splitList(rates) {
			v, err := strconv.ParseFloat(r, 64)
			if err != nil {
				return fmt.Errorf("--rates %q: %w", rates, err)
			}
			cfg.Rates = append(cfg.Rates, v)
		}
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "rate" {
				cfg.DemoRate = cfg.Rate
			}
		})
		switch wrk {
		case wrkAuto:
			cfg.Wrk, _ = exec.LookPath("wrk")
		default:
			cfg.Wrk = wrk
		}
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own executable for child processes: %w", err)
		}
		cfg.Child = func(spec string) *exec.Cmd { return exec.Command(self, "bench", "--child", spec) }
		cfg.Binary = self
		cfg.Logger = slog.New(atLeast{Handler: e.logger.Handler(), min: slog.LevelWarn})
		_, err = bench.Run(ctx, cfg, e.stdout)
		return err
	}
}

// formatRates is rates as --rates takes them.
func formatRates(rates []float64) string {
	s := make([]string, len(rates))
	for i, r := range rates {
		s[i] = strconv.FormatFloat(r, 'g', -1, 64)
	}
	return strings.Join(s, ",")
}

// atLeast drops records below min: the system's routine info lines would
// bury the bench's output, unless --log-level debug asks for everything.
type atLeast struct {
	slog.Handler
	min slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	if h.Handler.Enabled(ctx, slog.LevelDebug) {
		return true
	}
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(attrs []slog.Attr) slog.Handler {
	return atLeast{Handler: h.Handler.WithAttrs(attrs), min: h.min}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{Handler: h.Handler.WithGroup(name), min: h.min}
}
