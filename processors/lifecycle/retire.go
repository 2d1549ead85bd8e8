package lifecycle

import (
	"time"

	"github.com/lovoo/goka"
)

// VisitRetire names the visitor that deletes finished orders. Its meta is
// the cutoff, a time.Time: orders that finished before it are deleted.
const VisitRetire = "retire"

// Bounds of RetireInterval.
const (
	minRetireInterval = time.Second
	maxRetireInterval = 5 * time.Minute
)

// RetireInterval is how often the table is swept for a retention: a tenth
// of it, within a second and five minutes, so an order outlives its
// retention by at most that much.
func RetireInterval(retention time.Duration) time.Duration {
	return min(max(retention/10, minRetireInterval), maxRetireInterval)
}

// Cutoff is the meta of a sweep at now: orders finished before it go.
func Cutoff(retention time.Duration) func(now time.Time) any {
	return func(now time.Time) any { return now.Add(-retention) }
}

// Expired reports whether o finished before cutoff.
func Expired(o *Order, cutoff time.Time) bool {
	if o == nil || !o.Status.Final() || len(o.History) == 0 {
		return false
	}
	return o.History[len(o.History)-1].At.Before(cutoff)
}

// retire deletes the visited order if it expired: a tombstone in the
// compacted table topic, so the table does not grow forever. An order
// that is deleted must be far older than any redelivery, or a replayed
// placed request would bring it back.
func retire(ctx goka.Context, meta any) {
	cutoff, ok := meta.(time.Time)
	if !ok {
		return
	}
	if o, _ := ctx.Value().(*Order); Expired(o, cutoff) {
		ctx.Delete()
	}
}
