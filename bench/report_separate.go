package bench

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// printSeparate writes the rows of the separate-process scenarios.
func (r Report) printSeparate(w io.Writer) {
	for _, s := range r.System {
		sustained := fmt.Sprintf("sustained in %d/%d runs", s.SustainedRuns(), len(s.Runs))
		fmt.Fprintf(w, "system\t%g orders/s: CPU per order\t%s  (%.2f cores)\t%s; placed %.0f/s; %s\n",
			s.Rate, msf(s.CPUPerOrder()), s.Cores(), processParts(s), s.Placed(), sustained)
		fmt.Fprintf(w, "\t  %s\tp50 %s  p99 %s  max %s\tprobes per run %s\n",
			PathHTTP, ms(s.P(0.5)), ms(s.P(0.99)), ms(s.P(1)), probeCounts(s))
	}
	for _, s := range r.Streams {
		if len(s.KS) == 0 || len(s.Ours.Runs) == 0 {
			continue
		}
		ours := s.Ours.CPUPerOrder()
		fmt.Fprintf(w, "streams\t%g orders/s: CPU per order, broker included\torderstream %s  kafka streams %s  (%.2fx)\torderstream: %s; kafka streams: JVM %s, broker %s; %d runs each, alternating\n",
			s.Rate, msf(ours), msf(s.CPUPerOrder()), float64(ours)/float64(s.CPUPerOrder()),
			processParts(s.Ours), msf(s.part(func(r StreamsRun) time.Duration { return r.JVM })),
			msf(s.part(func(r StreamsRun) time.Duration { return r.Broker })), len(s.KS))
		fmt.Fprintf(w, "\t  latency p50 / p99\torderstream %s / %s  kafka streams %s / %s\torderstream: %s; kafka streams: produce -> restaurant statistics record\n",
			ms(s.Ours.P(0.5)), ms(s.Ours.P(0.99)), ms(s.P(0.5)), ms(s.P(0.99)), PathHTTP)
	}
	if m := r.MaxRate; m != nil {
		missed := "none missed up to the search's limit"
		if m.Missed > 0 {
			missed = fmt.Sprintf("%g missed", m.Missed)
		}
		fmt.Fprintf(w, "system\thighest rate sustained\t%g orders/s\t%s; tried %s\n", m.Rate, missed, m)
	}
	if c := r.Catchup; c != nil {
		fmt.Fprintf(w, "catchup\tprocess cold over %d orders\t%s orders/s  %.3fx plain client\tplain client %s orders/s; CPU %s/order (broker, serve, process); runs %s\n",
			c.Orders, si(c.Rate()), c.Ratio(), si(c.BaselineRate()), us(c.CPUPerOrder()), catchupRuns(c))
	}
	if d := r.Demo; d != nil {
		fmt.Fprintf(w, "demo\t%g orders/s for %v: data dir growth per order\t%s compacted\t%d orders placed; %s when ready, %s at the end (%s/order), %s compacted (%s/order: %s)\n",
			d.Rate, d.Duration, bytesString(d.GrowthPerOrder()), d.Orders,
			sizeString(totalBytes(d.Start)), sizeString(totalBytes(d.Running)), bytesString(d.RunningBytesPerOrder()),
			sizeString(totalBytes(d.Compacted)), bytesString(d.BytesPerOrder()), sizesString(d.Compacted, d.Orders))
		fmt.Fprintf(w, "\t  RSS\t%s, peak %s\tVmRSS at the end, VmHWM\n", mib(d.RSS), mib(d.HWM))
		fmt.Fprintf(w, "\t  CPU per order\t%s\tthe demo process's user and system time from ready to the end, per order placed meanwhile\n", msf(d.CPUPerOrder()))
		fmt.Fprintf(w, "\t  records per order, all topics\t%.1f\t%s\n", d.RecordsPerOrder(), recordsString(d.Records, d.Orders))
	}
}

// processParts is the CPU per order of each process of s.
func processParts(s System) string {
	parts := []string{}
	for _, p := range s.Processes() {
		parts = append(parts, fmt.Sprintf("%s %s", p, msf(s.ProcessCPUPerOrder(p))))
	}
	return strings.Join(parts, ", ")
}

// recordsString is each topic's records per order, most first.
func recordsString(records map[string]int64, orders int64) string {
	topics := slices.Collect(maps.Keys(records))
	slices.Sort(topics)
	slices.SortStableFunc(topics, func(a, b string) int { return int(records[b] - records[a]) })
	parts := make([]string, 0, len(topics))
	for _, t := range topics {
		if records[t] > 0 {
			parts = append(parts, fmt.Sprintf("%s %.2f", t, countPer(records[t], orders)))
		}
	}
	return strings.Join(parts, ", ")
}

// printSeparateNotes says how the separate-process scenarios measure.
func (r Report) printSeparateNotes(w io.Writer) {
	if len(r.System) > 0 {
		fmt.Fprintf(w, "\nsystem: each command a process of %s, on a fresh broker per run (%s); warm-up %v, then %v windows; medians of %d runs.\n"+
			"  CPU is utime+stime from /proc/PID/stat over the window, per order placed in it (emit's and the probes'); cores = CPU / window.\n"+
			"  Probes: POST /api/orders to serve, then GET /api/restaurants/{id} every %v until counted, at most %.0f%% of the rate and %v apart.\n"+
			"  Sustained: emit placed >= %.0f%% of the rate, the backlog (orders on the topic minus /api/stats orders) grew by < %gs of orders, and /api/stats counted every order of the window within %v after it.\n",
			r.Config.Binary, r.Config.separateBrokerName(), r.Config.WarmUp, r.Config.Duration, r.Config.Runs,
			systemProbeEvery, 100*systemProbeShare, systemProbeGap, 100*sustainedPlaced, sustainedGrowth, sustainedCatchUp)
	}
	if len(r.Streams) > 0 {
		fmt.Fprintf(w, "streams: at each rate, Kafka Streams (kafka/streams: validation, dedupe, restaurant, user and global statistics; exactly_once_v2, one thread) on a fresh %s,\n"+
			"  the simulator's orders at the rate, a probe every 100ms; warm-up %v, then a %v window; CPU of the JVM and the broker's JVMs per order produced.\n"+
			"  Beside it, alternating run by run, orderstream as in the system scenario (separate processes; lifecycle, kitchens, notifications, views too).\n",
			r.Config.separateBrokerName(), r.Config.WarmUp, r.Config.Duration)
	}
	if r.Catchup != nil {
		fmt.Fprintf(w, "catchup: %d orders pre-produced on %s; the plain client reads them once, then serve starts, then process on an empty data dir: timed from starting process until /api/stats counts them all.\n",
			r.Catchup.Orders, r.Config.separateBrokerName())
	}
	if d := r.Demo; d != nil {
		fmt.Fprintf(w, "demo: `orderstream demo --rate %g` for %v after /readyz; the data dir (apparent file sizes) when ready, at the end with orders flowing, and compacted: after the demo stopped and `orderstream broker` compacted its directory %d times with no client; growth = (compacted - when ready) / orders placed in between.\n",
			d.Rate, d.Duration, int(compactFor/compactEvery))
	}
}

// separateBrokerName says which broker the separate-process scenarios
// ran on.
func (c Config) separateBrokerName() string {
	if c.Kafka > 0 {
		return fmt.Sprintf("Apache Kafka, %d node(s), their JVMs' CPU counted as broker", c.Kafka)
	}
	return "`orderstream broker --data-dir`, a process of its own"
}

func probeCounts(s System) string {
	out := make([]string, len(s.Runs))
	for i, r := range s.Runs {
		out[i] = fmt.Sprint(len(r.Samples))
		if r.Missed > 0 || r.Failed > 0 {
			out[i] += fmt.Sprintf(" (%d missed, %d failed)", r.Missed, r.Failed)
		}
	}
	return strings.Join(out, " ")
}

func catchupRuns(c *Catchup) string {
	out := make([]string, len(c.Runs))
	for i, r := range c.Runs {
		out[i] = si(r.Rate(c.Orders))
	}
	return strings.Join(out, " ")
}

// bytesString formats a size per order.
func bytesString(b float64) string {
	if b >= 1<<10 || b <= -1<<10 {
		return fmt.Sprintf("%.1f KiB", b/(1<<10))
	}
	return fmt.Sprintf("%.0f B", b)
}

// sizeString formats a directory's size.
func sizeString(b int64) string {
	switch {
	case b >= 100<<20:
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", float64(b)/(1<<10))
}

func sizesString(sizes []DirSize, orders int64) string {
	out := make([]string, len(sizes))
	for i, s := range sizes {
		out[i] = fmt.Sprintf("%s %s", s.Name, bytesString(countPer(s.Bytes, orders)))
	}
	return strings.Join(out, ", ")
}
