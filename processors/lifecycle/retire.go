package lifecycle

import (
	"time"

	"github.com/orderstream/orderstream/processors/cache"

	"github.com/lovoo/goka"
)

// VisitRetire names the visitor that retires finished orders. Its meta is
// the cutoff, a time.Time: orders that finished before it are retired.
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

// retire replaces the visited order, if it expired, by what Retire keeps
// of it, so the table does not grow by its history forever.
func (r retirer) retire(ctx goka.Context, meta any) {
	cutoff, ok := meta.(time.Time)
	if !ok {
		return
	}
	r.table.Change(ctx, func(o *Order) (*Order, bool) {
		if Expired(o, cutoff) {
			return Retire(o), true
		}
		return o, false
	})
}

// retirer runs the retention sweep's visits on the lifecycle's table.
type retirer struct{ table *cache.Table[Order] }

// Retire is what the table keeps of the finished order o after its
// retention: its parties, total, status, source and digest, and the
// positions applied, without the history. The lifecycle is the registry
// of order ids: a later copy of the id (a client retrying days later, a
// replay of "orders") is still a duplicate, or a conflict, and never
// counted again. About a hundred bytes per order, as the registry's
// entries were.
func Retire(o *Order) *Order {
	return &Order{OrderID: o.OrderID, RestaurantID: o.RestaurantID, UserID: o.UserID, TotalCents: o.TotalCents,
		Status: o.Status, Applied: o.Applied, Source: o.Source, Digest: o.Digest, Retired: true}
}
