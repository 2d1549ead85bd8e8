package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Tuning values of the system scenario.
const (
	// systemProbeEvery is how often a probe looks for its order in GET
	// /api/restaurants/{id}: every look costs serve CPU, which the
	// scenario measures, so it looks less often than the in-process
	// latency scenario; latencies are rounded up to it.
	systemProbeEvery = 5 * time.Millisecond
	// systemProbeShare bounds the probes to a tenth of the rate asked,
	// and systemProbeGap spaces them at least this far apart.
	systemProbeShare = 0.1
	systemProbeGap   = 100 * time.Millisecond
	// backlogEvery is how often the backlog (orders placed but not yet
	// in GET /api/stats) is sampled during the window.
	backlogEvery = time.Second
	// sustainedPlaced is the share of the rate asked that emit must
	// place, and sustainedCatchUp how soon after the window every order
	// placed in it must show in /api/stats, for the rate to count as
	// sustained; sustainedGrowth bounds the backlog's growth over the
	// window, in seconds of orders at the rate asked.
	sustainedPlaced  = 0.95
	sustainedCatchUp = 5 * time.Second
	sustainedGrowth  = 1.0
	// catchUpWait bounds the wait after the window for the counts to
	// catch up; a system that has not by then did not sustain the rate.
	catchUpWait = 60 * time.Second
)

// System is the system at one rate, run as separate processes.
type System struct {
	Rate float64
	Runs []SystemRun
}

// SystemRun is one measurement window.
type SystemRun struct {
	// Asked is the rate given to emit; Window the wall time between the
	// two CPU readings.
	Asked  float64
	Window time.Duration
	// Orders is the records added to the orders topic in the window (by
	// emit and by the probes), Probes the probe orders among them.
	Orders, Probes int64
	// CPU is what each process spent in the window.
	CPU []ProcCPU
	// Samples are the probes' POST -> restaurant view latencies; Missed
	// the probes not shown within probeTimeout (in Samples as that), and
	// Failed the probes whose POST or GET failed.
	Samples        []time.Duration
	Missed, Failed int
	// Backlog is orders on the topic not yet in GET /api/stats, at the
	// window's start and end, and its peak in between.
	BacklogStart, BacklogEnd, BacklogMax int64
	// CatchUp is the time from the window's end until GET /api/stats
	// counted every order placed by then; CaughtUp false if it did not
	// within catchUpWait.
	CatchUp  time.Duration
	CaughtUp bool
}

// Placed is emit's rate in the window, in orders/s.
func (r SystemRun) Placed() float64 { return perSecond(r.Orders-r.Probes, r.Window) }

// TotalCPU is the CPU of every process in the window.
func (r SystemRun) TotalCPU() time.Duration { return sumCPU(r.CPU) }

// CPUPerOrder is TotalCPU per order placed in the window.
func (r SystemRun) CPUPerOrder() time.Duration { return perOrder(r.TotalCPU(), r.Orders) }

// Cores is how many cores the processes kept busy.
func (r SystemRun) Cores() float64 { return r.TotalCPU().Seconds() / r.Window.Seconds() }

// Sustained reports whether the run kept up with the rate asked: emit
// placed nearly all of it, the backlog did not grow by more than a
// second's orders, and every order placed in the window was counted soon
// after it.
func (r SystemRun) Sustained() bool {
	return r.Placed() >= sustainedPlaced*r.Asked &&
		float64(r.BacklogEnd-r.BacklogStart) <= sustainedGrowth*r.Asked &&
		r.CaughtUp && r.CatchUp <= sustainedCatchUp
}

// P is the q-quantile of the probe latencies.
func (r SystemRun) P(q float64) time.Duration { return percentile(r.Samples, q) }

func perOrder(cpu time.Duration, orders int64) time.Duration {
	if orders <= 0 {
		return 0
	}
	return cpu / time.Duration(orders)
}

// Medians of the runs.

func (s System) median(f func(SystemRun) float64) float64 { return medianOf(s.Runs, f) }

// CPUPerOrder is the median CPU per order of all processes.
func (s System) CPUPerOrder() time.Duration {
	return time.Duration(s.median(func(r SystemRun) float64 { return float64(r.CPUPerOrder()) }))
}

// ProcessCPUPerOrder is the median CPU per order of one process.
func (s System) ProcessCPUPerOrder(name string) time.Duration {
	return time.Duration(s.median(func(r SystemRun) float64 {
		for _, c := range r.CPU {
			if c.Process == name {
				return float64(perOrder(c.CPU, r.Orders))
			}
		}
		return 0
	}))
}

// Cores is the median of the cores busy.
func (s System) Cores() float64 { return s.median(SystemRun.Cores) }

// Placed is the median rate emit placed.
func (s System) Placed() float64 { return s.median(SystemRun.Placed) }

// P is the median over the runs of each run's q-quantile latency.
func (s System) P(q float64) time.Duration {
	return time.Duration(s.median(func(r SystemRun) float64 { return float64(r.P(q)) }))
}

// SustainedRuns counts the runs that sustained the rate.
func (s System) SustainedRuns() int {
	n := 0
	for _, r := range s.Runs {
		if r.Sustained() {
			n++
		}
	}
	return n
}

// Sustained is true when most runs sustained the rate.
func (s System) Sustained() bool { return len(s.Runs) > 0 && 2*s.SustainedRuns() > len(s.Runs) }

// Processes names the processes measured, in start order.
func (s System) Processes() []string {
	if len(s.Runs) == 0 {
		return nil
	}
	out := make([]string, len(s.Runs[0].CPU))
	for i, c := range s.Runs[0].CPU {
		out[i] = c.Process
	}
	return out
}

// runSystem measures the system, deployed as separate processes, at each
// of cfg.Rates, cfg.Runs times each on a fresh deployment.
func runSystem(ctx context.Context, cfg Config, w io.Writer) ([]System, error) {
	var out []System
	for _, rate := range cfg.Rates {
		s := System{Rate: rate}
		for run := range cfg.Runs {
			r, err := systemRun(ctx, cfg, rate, w)
			if err != nil {
				if len(s.Runs) > 0 {
					out = append(out, s)
				}
				return out, fmt.Errorf("rate %g run %d: %w", rate, run+1, err)
			}
			s.Runs = append(s.Runs, r)
			fmt.Fprintf(w, "  %g orders/s run %d: %s\n", rate, run+1, r)
		}
		out = append(out, s)
	}
	return out, nil
}

func (r SystemRun) String() string {
	parts := make([]string, len(r.CPU))
	for i, c := range r.CPU {
		parts[i] = fmt.Sprintf("%s %s", c.Process, msf(perOrder(c.CPU, r.Orders)))
	}
	sustained := "sustained"
	if !r.Sustained() {
		sustained = "NOT sustained"
	}
	return fmt.Sprintf("placed %.0f/s, CPU %s/order (%s), %.2f cores; POST->view p50 %s p99 %s (%d probes, %d missed); backlog %d->%d, caught up in %s: %s",
		r.Placed(), msf(r.CPUPerOrder()), strings.Join(parts, ", "), r.Cores(),
		ms(r.P(0.5)), ms(r.P(0.99)), len(r.Samples), r.Missed, r.BacklogStart, r.BacklogEnd, catchUpString(r), sustained)
}

func catchUpString(r SystemRun) string {
	if !r.CaughtUp {
		return fmt.Sprintf("not within %v", catchUpWait)
	}
	return ms(r.CatchUp)
}

// msf formats CPU per order in milliseconds.
func msf(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

// systemRun deploys broker, process, serve and emit --rate rate, warms up,
// and measures one window.
func systemRun(ctx context.Context, cfg Config, rate float64, w io.Writer) (_ SystemRun, err error) {
	res := SystemRun{Asked: rate}
	d, err := deploy(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, d.close()) }()
	process, err := d.startProcess(ctx, true)
	if err != nil {
		return res, err
	}
	serve, err := d.startServe(ctx)
	if err != nil {
		return res, err
	}
	emit, err := d.startEmit(rate)
	if err != nil {
		return res, err
	}
	running := func() error { return errors.Join(process.exited(), serve.exited(), emit.exited()) }

	select {
	case <-time.After(cfg.WarmUp):
	case <-ctx.Done():
		return res, ctx.Err()
	}
	if err := running(); err != nil {
		return res, err
	}

	client := httpClient(2)
	defer client.CloseIdleConnections()
	backlog := func() (int64, error) {
		placed, err := d.ordersPlaced(ctx)
		if err != nil {
			return 0, err
		}
		counted, err := statsOrders(ctx, client, d.serveHTTP)
		return placed - counted, err
	}
	if res.BacklogStart, err = backlog(); err != nil {
		return res, err
	}
	res.BacklogMax = res.BacklogStart
	cpu0, err := d.cpu()
	if err != nil {
		return res, err
	}
	placed0, err := d.ordersPlaced(ctx)
	if err != nil {
		return res, err
	}
	start := time.Now()
	end := start.Add(cfg.Duration)

	// Probes, until the window ends.
	var (
		probes    []*probe
		probeErrs probeOutcome
		wg        sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		probes, probeErrs = systemProbes(ctx, cfg, rate, "http://"+d.serveHTTP, end)
	}()
	// The backlog, every backlogEvery.
	tick := time.NewTicker(backlogEvery)
	for time.Now().Add(backlogEvery).Before(end) {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		if ctx.Err() != nil {
			break
		}
		b, err := backlog()
		if err != nil {
			tick.Stop()
			wg.Wait()
			return res, err
		}
		res.BacklogMax = max(res.BacklogMax, b)
	}
	tick.Stop()
	select {
	case <-time.After(time.Until(end)):
	case <-ctx.Done():
	}
	cpu1, cpuErr := d.cpu()
	placed1, placedErr := d.ordersPlaced(ctx)
	res.Window = time.Since(start)
	counted, statsErr := statsOrders(ctx, client, d.serveHTTP)
	wg.Wait()
	if err := errors.Join(ctx.Err(), cpuErr, placedErr, statsErr, running()); err != nil {
		return res, err
	}
	res.CPU = cpuDelta(cpu0, cpu1)
	res.Orders = placed1 - placed0
	res.BacklogEnd = placed1 - counted
	res.BacklogMax = max(res.BacklogMax, res.BacklogEnd)
	for _, p := range probes {
		if p.start.Before(start.Add(res.Window)) {
			res.Probes++
		}
		res.Samples = append(res.Samples, p.shown.Sub(p.start))
	}
	res.Missed, res.Failed = probeErrs.missed, probeErrs.failed
	if len(res.Samples) == 0 {
		return res, fmt.Errorf("no probe was shown: %v", probeErrs.first)
	}
	if probeErrs.failed > 0 {
		fmt.Fprintf(w, "  %d probes failed, the first: %v\n", probeErrs.failed, probeErrs.first)
	}

	// Catch-up: every order placed by the window's end counted.
	windowEnd := time.Now()
	err = pollEvery(ctx, catchUpWait, catchUpPoll, "the counts to catch up", func(ctx context.Context) (bool, error) {
		n, err := statsOrders(ctx, client, d.serveHTTP)
		return n >= placed1, err
	})
	res.CatchUp, res.CaughtUp = time.Since(windowEnd), err == nil
	if err != nil && ctx.Err() != nil {
		return res, err
	}
	return res, running()
}

// probeOutcome counts the probes that did not give a latency.
type probeOutcome struct {
	missed, failed int
	first          error
}

// systemProbes places probe orders through POST /api/orders of serve at
// base, one at a time and at most a tenth of rate (and at least
// systemProbeGap apart), each watched through GET /api/restaurants/{id},
// until end. Probes go to restaurants of their own, one per partition. A
// probe not shown within probeTimeout counts as missed, with that
// latency; the next ones go on.
func systemProbes(ctx context.Context, cfg Config, rate float64, base string, end time.Time) ([]*probe, probeOutcome) {
	var out probeOutcome
	gap := max(systemProbeGap, time.Duration(float64(time.Second)/(rate*systemProbeShare)))
	ids := probeRestaurants("bench-system-probe", cfg.Partitions)
	counts := map[string]int64{}
	client := httpClient(1)
	defer client.CloseIdleConnections()
	var probes []*probe
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		p := &probe{http: true, every: systemProbeEvery, restaurant: ids[i%len(ids)]}
		counts[p.restaurant]++
		p.n = counts[p.restaurant]
		err := probeHTTP(ctx, client, base, p)
		switch {
		case err == nil:
			probes = append(probes, p)
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && !p.start.IsZero() && p.orderID != "":
			// Not shown within probeTimeout: the system is behind.
			out.missed++
			p.shown = p.start.Add(probeTimeout)
			probes = append(probes, p)
		default:
			out.failed++
			out.first = cmp(out.first, err)
			if p.orderID == "" {
				// Not placed: the restaurant's count will not include it.
				counts[p.restaurant]--
			}
		}
		from := p.start
		if from.IsZero() {
			from = time.Now()
		}
		if wait := time.Until(from.Add(gap)); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
	return probes, out
}
