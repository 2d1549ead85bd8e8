package bench

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/orderstream/orderstream/internal/kafkacluster"
)

// Report is everything one Run measured; sections of scenarios that did
// not run are empty.
type Report struct {
	Machine    Machine
	Config     Config
	Baseline   *Throughput
	Throughput []Throughput
	Latency    []Latency
	Recovery   []Timed
	Queries    []Query
	Memory     []Memory
	// The scenarios that run the binary as separate processes.
	System  []System
	MaxRate *MaxRate
	Catchup *Catchup
	Demo    *DemoSoak
	// Streams is Kafka Streams beside the system at fixed rates.
	Streams []StreamsRate
}

// Machine is where the numbers were taken.
type Machine struct {
	CPU        string
	Cores      int
	GOMAXPROCS int
	Go         string
	OS         string
}

// DescribeMachine reads the CPU model from /proc/cpuinfo where there is one.
func DescribeMachine() Machine {
	m := Machine{
		CPU:        "unknown CPU",
		Cores:      runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Go:         runtime.Version(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
	}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}

// RunResult is one cold-start throughput run.
type RunResult struct {
	Orders int
	// Elapsed runs from start to the last order counted; Startup to the
	// first record out (group join, table recovery, first fetch).
	Elapsed, Startup time.Duration
	// CPU is the user and system time the bench process spent meanwhile:
	// the subject, the in-process broker and the bench's own polling. It
	// is steadier than Elapsed on a machine shared with other work.
	CPU time.Duration
}

// CPUPerOrder is the process CPU time per order.
func (r RunResult) CPUPerOrder() time.Duration {
	if r.Orders == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Orders)
}

// Rate is orders per second over the whole run, start-up included.
func (r RunResult) Rate() float64 { return perSecond(int64(r.Orders), r.Elapsed) }

// SteadyRate is orders per second once the first record was out.
func (r RunResult) SteadyRate() float64 { return perSecond(int64(r.Orders), r.Elapsed-r.Startup) }

func (r RunResult) String() string {
	return fmt.Sprintf("%d orders in %v (start-up %v): %s orders/s, %s steady, CPU %s/order",
		r.Orders, r.Elapsed.Round(time.Millisecond), r.Startup.Round(time.Millisecond), si(r.Rate()), si(r.SteadyRate()), us(r.CPUPerOrder()))
}

// Throughput is the runs of one subject.
type Throughput struct {
	Subject string
	// Groups are the processors that ran (none for the baseline).
	Groups []string
	Orders int
	Runs   []RunResult
}

// Rate is the median rate of the runs.
func (t Throughput) Rate() float64 { return medianOf(t.Runs, RunResult.Rate) }

// SteadyRate is the median steady rate of the runs.
func (t Throughput) SteadyRate() float64 { return medianOf(t.Runs, RunResult.SteadyRate) }

// CPUPerOrder is the median CPU time per order.
func (t Throughput) CPUPerOrder() time.Duration {
	return time.Duration(medianOf(t.Runs, func(r RunResult) float64 { return float64(r.CPUPerOrder()) }))
}

// Startup is the median start-up time.
func (t Throughput) Startup() time.Duration {
	return time.Duration(medianOf(t.Runs, func(r RunResult) float64 { return float64(r.Startup) }))
}

// Latency is the end-to-end latency of one path.
type Latency struct {
	Path    string
	Samples []time.Duration
	// Background is the order rate asked of the simulator, Achieved what
	// it placed.
	Background, Achieved float64
	// Cores is how many cores the whole system (one process: broker,
	// processors, views, HTTP, simulator, probes) kept busy while probing:
	// user and system time over wall time. It moves less than the p99
	// from run to run.
	Cores float64
	// Hops splits the path by the timestamps of the records the probe
	// order caused on each topic.
	Hops []Hop
}

// P returns the q-quantile of the samples.
func (l Latency) P(q float64) time.Duration { return percentile(l.Samples, q) }

// Hop is one leg of a probe's way.
type Hop struct {
	Name     string
	P50, P99 time.Duration
}

// Timed is a recovery measurement: how long it took to be ready, over
// Records records, per run.
type Timed struct {
	Subject string
	Records int64
	Runs    []time.Duration
}

// Median is the median run.
func (t Timed) Median() time.Duration {
	return time.Duration(medianOf(t.Runs, func(d time.Duration) float64 { return float64(d) }))
}

// Rate is Records per second at the median.
func (t Timed) Rate() float64 { return perSecond(t.Records, t.Median()) }

// Query is one load run against an HTTP route.
type Query struct {
	Route       string
	Tool        string
	Connections int
	Duration    time.Duration
	Requests    int64
	Errors      int64
	P50, P99    time.Duration
	Max         time.Duration
}

// RPS is successful requests per second.
func (q Query) RPS() float64 { return perSecond(q.Requests-q.Errors, q.Duration) }

// Memory is the peak resident memory of one process.
type Memory struct {
	Process string
	Keys    int
	// Peak is the process's maximum RSS (getrusage), Ready its RSS when
	// it became ready; in bytes.
	Peak, Ready int64
}

// brokerName says what the measurements ran on.
func (c Config) brokerName() string {
	if c.Kafka > 0 {
		return fmt.Sprintf("Apache Kafka %s, %d node(s) on loopback, a JVM each (its CPU is not in the cores figures)", kafkacluster.Version, c.Kafka)
	}
	return "embedded (kfake, in the bench's process)"
}

// Print writes the report as a table, then the targets as PASS/MISS.
func (r Report) Print(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %s, %s\n", m.CPU, m.Cores, m.GOMAXPROCS, m.Go, m.OS)
	if r.Baseline != nil || len(r.Throughput)+len(r.Latency)+len(r.Recovery)+len(r.Queries)+len(r.Memory) > 0 {
		fmt.Fprintf(w, "broker: %s\n", r.Config.brokerName())
	}
	fmt.Fprintf(w, "sizes: n=%d orders, rate=%g orders/s, duration=%v, runs=%d (medians), users=%d, partitions=%d\n\n",
		r.Config.N, r.Config.Rate, r.Config.Duration, r.Config.Runs, r.Config.Users, r.Config.Partitions)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tmeasurement\tresult\tdetail")
	fmt.Fprintln(tw, "--------\t-----------\t------\t------")
	baseline := 0.0
	if r.Baseline != nil {
		baseline = r.Baseline.Rate()
		throughputRow(tw, ScenarioBaseline, *r.Baseline, baseline)
	}
	for _, t := range r.Throughput {
		throughputRow(tw, ScenarioThroughput, t, baseline)
	}
	for _, l := range r.Latency {
		fmt.Fprintf(tw, "latency\t%s\tp50 %s  p99 %s  max %s\t%d probes; background %g/s asked, %.0f/s placed; CPU %.2f cores\n",
			l.Path, ms(l.P(0.5)), ms(l.P(0.99)), ms(l.P(1)), len(l.Samples), l.Background, l.Achieved, l.Cores)
		for _, h := range l.Hops {
			fmt.Fprintf(tw, "\t  %s\tp50 %s  p99 %s\t\n", h.Name, ms(h.P50), ms(h.P99))
		}
	}
	for _, t := range r.Recovery {
		fmt.Fprintf(tw, "recovery\t%s\t%s\t%d records, %s records/s; runs %s\n",
			t.Subject, ms(t.Median()), t.Records, si(t.Rate()), durations(t.Runs))
	}
	for _, q := range r.Queries {
		fmt.Fprintf(tw, "queries\t%s (%s, %d conns)\t%s req/s  p50 %s  p99 %s\t%d requests in %v, %d errors, max %s\n",
			q.Route, q.Tool, q.Connections, si(q.RPS()), ms(q.P50), ms(q.P99), q.Requests, q.Duration.Round(time.Millisecond), q.Errors, ms(q.Max))
	}
	for _, mem := range r.Memory {
		fmt.Fprintf(tw, "memory\t%s\tpeak RSS %s\t%d user keys; RSS when ready %s\n",
			mem.Process, mib(mem.Peak), mem.Keys, mib(mem.Ready))
	}
	r.printSeparate(tw)
	tw.Flush()
	for _, t := range r.Throughput {
		if len(t.Groups) > 1 {
			fmt.Fprintf(w, "\n%s: %s\n", t.Subject, strings.Join(t.Groups, ", "))
		}
	}
	if len(r.Latency) > 0 {
		fmt.Fprintln(w, "latency hops are differences of record timestamps, which producers take at millisecond resolution when they batch a record")
	}
	r.printSeparateNotes(w)
	verdicts := r.Verdicts()
	if len(verdicts) > 0 {
		fmt.Fprintln(w, "\ntargets:")
		for _, v := range verdicts {
			fmt.Fprintln(w, v)
		}
	}
}

func throughputRow(w io.Writer, scenario string, t Throughput, baseline float64) {
	ratio := "-"
	if baseline > 0 {
		ratio = fmt.Sprintf("%.2fx baseline", t.Rate()/baseline)
	}
	runs := make([]string, len(t.Runs))
	for i, r := range t.Runs {
		runs[i] = si(r.Rate())
	}
	fmt.Fprintf(w, "%s\t%s\t%s orders/s  %s\tCPU %s/order, start-up %s, steady %s/s; runs %s\n",
		scenario, t.Subject, si(t.Rate()), ratio, us(t.CPUPerOrder()), ms(t.Startup()), si(t.SteadyRate()), strings.Join(runs, " "))
}

func perSecond(n int64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// medianOf is the median of f over xs (the mean of the middle two for an
// even count); zero for none.
func medianOf[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// percentile is the nearest-rank q-quantile of ds; zero for none.
func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

// si formats a rate with a k or M suffix.
func si(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.0fk", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// ms formats a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

// us formats a duration in microseconds.
func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond)) }

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func durations(ds []time.Duration) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = ms(d)
	}
	return strings.Join(s, " ")
}
