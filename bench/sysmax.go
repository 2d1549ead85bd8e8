package bench

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
)

// Tuning values of the search for the highest sustained rate.
const (
	// findMaxStart is the first rate tried when no rate of Config.Rates
	// was sustained or missed.
	findMaxStart = 500
	// findMaxLimit bounds the doubling: beyond it, the bench reports the
	// limit as sustained.
	findMaxLimit = 64_000
	// findMaxPrecision ends the bisection once the highest rate missed is
	// within this factor of the highest sustained.
	findMaxPrecision = 1.1
)

// MaxRate is the highest rate the system sustained, found by doubling
// and then bisecting between a rate sustained and one missed, one run per
// rate.
type MaxRate struct {
	// Rate is the highest rate sustained (0 if none was), Missed the
	// lowest above it that was not (0 if none was tried).
	Rate, Missed float64
	// Tried are the runs of the search, in order, beside the rates of
	// Config.Rates it started from.
	Tried []System
}

func (m MaxRate) String() string {
	tried := make([]string, len(m.Tried))
	for i, s := range m.Tried {
		word := "missed"
		if s.Sustained() {
			word = "sustained"
		}
		tried[i] = fmt.Sprintf("%g %s (placed %.0f/s)", s.Rate, word, s.Placed())
	}
	return strings.Join(tried, ", ")
}

// findMax searches the highest sustained rate, starting from what the
// rates of measured showed.
func findMax(ctx context.Context, cfg Config, measured []System, w io.Writer) (*MaxRate, error) {
	m := &MaxRate{}
	for _, s := range measured {
		m.note(s)
	}
	return m, m.search(func(rate float64) (SystemRun, error) {
		r, err := systemRun(ctx, cfg, rate, w)
		if err != nil {
			return r, fmt.Errorf("find max, rate %g: %w", rate, err)
		}
		fmt.Fprintf(w, "  find max: %g orders/s: %s\n", rate, r)
		return r, nil
	})
}

// search runs rates until the bracket is narrow enough.
func (m *MaxRate) search(run func(rate float64) (SystemRun, error)) error {
	try := func(rate float64) error {
		r, err := run(rate)
		if err != nil {
			return err
		}
		s := System{Rate: rate, Runs: []SystemRun{r}}
		m.Tried = append(m.Tried, s)
		m.note(s)
		return nil
	}
	for m.Missed == 0 {
		next := math.Max(findMaxStart, 2*m.Rate)
		if next > findMaxLimit {
			return nil
		}
		if err := try(next); err != nil {
			return err
		}
	}
	for m.Missed > findMaxPrecision*m.Rate {
		mid := (m.Rate + m.Missed) / 2
		// Round to a tenth of the precision, for rates a user can type.
		step := math.Pow(10, math.Floor(math.Log10(mid*(findMaxPrecision-1)/2)))
		mid = math.Round(mid/step) * step
		if mid <= m.Rate || mid >= m.Missed || mid < 1 {
			break
		}
		if err := try(mid); err != nil {
			return err
		}
	}
	return nil
}

// note narrows the bracket with s.
func (m *MaxRate) note(s System) {
	switch {
	case s.Sustained() && s.Rate > m.Rate:
		m.Rate = s.Rate
		if m.Missed != 0 && m.Missed <= m.Rate {
			m.Missed = 0
		}
	case !s.Sustained() && s.Rate > m.Rate && (m.Missed == 0 || s.Rate < m.Missed):
		m.Missed = s.Rate
	}
}
