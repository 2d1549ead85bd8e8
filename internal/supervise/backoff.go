package supervise

import (
	"math/rand/v2"
	"time"
)

// Backoff is how long a supervisor waits before it runs a failed
// component again: Initial after the first failure, doubling with each
// failure in a row up to Max, each wait drawn at random from its upper
// half (jitter, so that components failing together do not come back in
// lockstep). A component that ran for Stable or longer before failing
// starts again from Initial.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
	Stable  time.Duration
}

// DefaultBackoff is the backoff of a zero Options.
var DefaultBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Stable: time.Minute}

// Delay is the wait after the failure numbered attempt (1 for the first
// in a row); rnd returns a number in [0, 1) (rand.Float64).
func (b Backoff) Delay(attempt int, rnd func() float64) time.Duration {
	d := b.Initial
	for i := 1; i < attempt && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, b.Max)
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}

func (b Backoff) withDefaults() Backoff {
	if b.Initial <= 0 {
		b.Initial = DefaultBackoff.Initial
	}
	if b.Max < b.Initial {
		b.Max = max(DefaultBackoff.Max, b.Initial)
	}
	if b.Stable <= 0 {
		b.Stable = DefaultBackoff.Stable
	}
	return b
}

var jitter = rand.Float64
