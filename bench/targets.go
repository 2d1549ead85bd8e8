package bench

import (
	"fmt"
	"strings"
	"time"
)

// The targets of issue #5. They grade a report; nothing fails on them.
const (
	TargetRestaurantRatio = 0.5
	TargetFullRatio       = 0.15
	TargetLatencyP99      = 25 * time.Millisecond
	TargetLatencyRate     = 1000
	TargetRestart         = 2 * time.Second
	TargetRestartKeys     = 1_000_000
	TargetViewRestore     = 200_000 // records/s
	TargetQueryRPS        = 20_000
	TargetQueryP99        = 5 * time.Millisecond
	TargetRSS             = 300 << 20
)

// Verdict is one target, met or missed.
type Verdict struct {
	Target   string
	Measured string
	Pass     bool
	// Note says how the measurement's conditions differ from the
	// target's (a smaller table, another rate).
	Note string
}

func (v Verdict) String() string {
	word := "MISS"
	if v.Pass {
		word = "PASS"
	}
	s := fmt.Sprintf("%s  %s: %s", word, v.Target, v.Measured)
	if v.Note != "" {
		s += " (" + v.Note + ")"
	}
	return s
}

// Verdicts grades the sections of r that ran.
func (r Report) Verdicts() []Verdict {
	var out []Verdict
	if r.Baseline != nil && r.Baseline.Rate() > 0 {
		base := r.Baseline.Rate()
		for _, t := range r.Throughput {
			var want float64
			switch t.Subject {
			case "restaurant alone":
				want = TargetRestaurantRatio
			case FullTopology:
				want = TargetFullRatio
			default:
				continue
			}
			ratio := t.Rate() / base
			out = append(out, Verdict{
				Target:   fmt.Sprintf("%s >= %.2fx baseline", t.Subject, want),
				Measured: fmt.Sprintf("%.3fx (%s vs %s orders/s)", ratio, si(t.Rate()), si(base)),
				Pass:     ratio >= want,
			})
		}
	}
	for _, l := range r.Latency {
		if !strings.HasPrefix(l.Path, "POST") {
			continue
		}
		v := Verdict{
			Target:   fmt.Sprintf("latency %s p99 <= %v at %d orders/s", l.Path, TargetLatencyP99, TargetLatencyRate),
			Measured: fmt.Sprintf("p99 %s", ms(l.P(0.99))),
			Pass:     len(l.Samples) > 0 && l.P(0.99) <= TargetLatencyP99,
		}
		if l.Background != TargetLatencyRate {
			v.Note = fmt.Sprintf("measured at %g orders/s", l.Background)
		}
		out = append(out, v)
	}
	for _, t := range r.Recovery {
		switch {
		case strings.HasPrefix(t.Subject, "processor restart"):
			v := Verdict{
				Target:   fmt.Sprintf("processor restart with intact local state of %s keys ready <= %v", si(TargetRestartKeys), TargetRestart),
				Measured: ms(t.Median()),
				Pass:     len(t.Runs) > 0 && t.Median() <= TargetRestart,
			}
			if t.Records < TargetRestartKeys {
				v.Note = fmt.Sprintf("measured with %d keys", t.Records)
			}
			out = append(out, v)
		case strings.HasPrefix(t.Subject, "view cold"):
			out = append(out, Verdict{
				Target:   fmt.Sprintf("cold view restore >= %s records/s", si(TargetViewRestore)),
				Measured: fmt.Sprintf("%s records/s", si(t.Rate())),
				Pass:     t.Rate() >= TargetViewRestore,
			})
		}
	}
	for _, q := range r.Queries {
		if !strings.HasPrefix(q.Route, "GET /api/restaurants/") || q.Tool != ToolGo {
			continue
		}
		out = append(out, Verdict{
			Target:   fmt.Sprintf("%s >= %s req/s, p99 <= %v at %d connections", q.Route, si(TargetQueryRPS), TargetQueryP99, QueryConnections),
			Measured: fmt.Sprintf("%s req/s, p99 %s", si(q.RPS()), ms(q.P99)),
			Pass:     q.RPS() >= TargetQueryRPS && q.P99 <= TargetQueryP99,
		})
	}
	for _, m := range r.Memory {
		v := Verdict{
			Target:   fmt.Sprintf("%s peak RSS <= %s with %s users", m.Process, mib(TargetRSS), si(TargetRestartKeys)),
			Measured: mib(m.Peak),
			Pass:     m.Peak > 0 && m.Peak <= TargetRSS,
		}
		if m.Keys < TargetRestartKeys {
			v.Note = fmt.Sprintf("measured with %d users", m.Keys)
		}
		out = append(out, v)
	}
	return append(out, r.separateVerdicts()...)
}

// The targets of issue #13, for the system run as separate processes
// (broker, process, serve, emit with kitchens on). They grade a report;
// nothing fails on them.
const (
	TargetSystemCPULow      = 2 * time.Millisecond // per order, all processes
	TargetSystemRateLow     = 50
	TargetSystemCPUHigh     = 500 * time.Microsecond
	TargetSystemRateHigh    = 1000
	TargetSystemLatencyP99  = 50 * time.Millisecond // at TargetSystemRateHigh
	TargetSustainedRate     = 3000
	TargetCatchupRatio      = 0.15
	TargetDemoRate          = 20
	TargetDemoDuration      = time.Hour
	TargetDemoBytesPerOrder = 2 << 10
	TargetDemoRSS           = 250 << 20
)

// separateVerdicts grades the separate-process sections that ran.
func (r Report) separateVerdicts() []Verdict {
	var out []Verdict
	for _, s := range r.System {
		if s.Rate == TargetSystemRateLow || s.Rate == TargetSystemRateHigh {
			want := TargetSystemCPULow
			if s.Rate == TargetSystemRateHigh {
				want = TargetSystemCPUHigh
			}
			out = append(out, Verdict{
				Target:   fmt.Sprintf("system CPU per order, all processes, <= %s at %g orders/s", msf(want), s.Rate),
				Measured: msf(s.CPUPerOrder()),
				Pass:     len(s.Runs) > 0 && s.CPUPerOrder() <= want,
			})
		}
		if s.Rate == TargetSystemRateHigh {
			out = append(out, Verdict{
				Target:   fmt.Sprintf("system %g orders/s sustained with %s p99 <= %v", s.Rate, PathHTTP, TargetSystemLatencyP99),
				Measured: fmt.Sprintf("p99 %s, sustained in %d/%d runs", ms(s.P(0.99)), s.SustainedRuns(), len(s.Runs)),
				Pass:     s.Sustained() && s.P(0.99) <= TargetSystemLatencyP99,
			})
		}
		if s.Rate >= TargetSustainedRate {
			v := Verdict{
				Target:   fmt.Sprintf("system %d orders/s sustained", TargetSustainedRate),
				Measured: fmt.Sprintf("placed %.0f/s, sustained in %d/%d runs", s.Placed(), s.SustainedRuns(), len(s.Runs)),
				Pass:     s.Sustained(),
			}
			if s.Rate != TargetSustainedRate {
				v.Note = fmt.Sprintf("measured at %g orders/s", s.Rate)
			}
			out = append(out, v)
		}
	}
	if m := r.MaxRate; m != nil {
		out = append(out, Verdict{
			Target:   fmt.Sprintf("system %d orders/s sustained", TargetSustainedRate),
			Measured: fmt.Sprintf("highest rate sustained %g orders/s (one run per rate)", m.Rate),
			Pass:     m.Rate >= TargetSustainedRate,
		})
	}
	if c := r.Catchup; c != nil && len(c.Runs) > 0 {
		out = append(out, Verdict{
			Target:   fmt.Sprintf("cold catch-up of process >= %.2fx a plain client's read", TargetCatchupRatio),
			Measured: fmt.Sprintf("%.3fx (%s vs %s orders/s)", c.Ratio(), si(c.Rate()), si(c.BaselineRate())),
			Pass:     c.Ratio() >= TargetCatchupRatio,
		})
	}
	if d := r.Demo; d != nil {
		var note string
		if d.Rate != TargetDemoRate || d.Duration < TargetDemoDuration {
			note = fmt.Sprintf("measured at %g orders/s for %v", d.Rate, d.Duration)
		}
		out = append(out,
			Verdict{
				Target:   fmt.Sprintf("demo at %d orders/s for %v: data dir growth <= %s per order after compaction", TargetDemoRate, TargetDemoDuration, bytesString(TargetDemoBytesPerOrder)),
				Measured: fmt.Sprintf("%s (%s per order with the empty tables)", bytesString(d.GrowthPerOrder()), bytesString(d.BytesPerOrder())),
				Pass:     d.Orders > d.StartOrders && d.GrowthPerOrder() <= TargetDemoBytesPerOrder,
				Note:     note,
			},
			Verdict{
				Target:   fmt.Sprintf("demo at %d orders/s for %v: RSS <= %s", TargetDemoRate, TargetDemoDuration, mib(TargetDemoRSS)),
				Measured: fmt.Sprintf("peak %s", mib(d.HWM)),
				Pass:     d.HWM > 0 && d.HWM <= TargetDemoRSS,
				Note:     note,
			})
	}
	return out
}
