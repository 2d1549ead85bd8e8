package lifecycle

import (
	"fmt"
	"time"

	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/streams"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/order"
)

// VisitRelease names the visitor that releases accepted orders nobody
// moved on. Its meta is a Release.
const VisitRelease = "release"

// DefaultAcceptTimeout is how long an order may stay accepted before it is
// released: far longer than any kitchen takes, short enough that a
// restaurant does not lose an open slot for good to an order nobody will
// prepare.
const DefaultAcceptTimeout = 30 * time.Minute

// Release is the meta of a release sweep at Now: accepted orders whose
// acceptance is older than Timeout are cancelled.
type Release struct {
	Now     time.Time
	Timeout time.Duration
}

// ReleaseInterval is how often the table is swept for a timeout: a tenth
// of it, within a second and five minutes.
func ReleaseInterval(timeout time.Duration) time.Duration {
	return min(max(timeout/10, minRetireInterval), maxRetireInterval)
}

// ReleaseMeta is the meta of a sweep at now.
func ReleaseMeta(timeout time.Duration) func(now time.Time) any {
	return func(now time.Time) any { return Release{Now: now, Timeout: timeout} }
}

// ReleaseReason is the reason of the cancellation of an order that was
// not ready within timeout.
func ReleaseReason(timeout time.Duration) string {
	return fmt.Sprintf("not ready within %v", timeout)
}

// Stuck returns the request that releases o at rel: a cancellation, since
// an accepted order may always be cancelled, or nil if o is not an
// accepted order older than rel.Timeout.
func Stuck(o *Order, rel Release) *streams.Request {
	if o == nil || o.Status != order.StatusAccepted || len(o.History) == 0 {
		return nil
	}
	if accepted := o.History[len(o.History)-1].At; rel.Now.Sub(accepted) < rel.Timeout {
		return nil
	}
	return &streams.Request{OrderID: o.OrderID, Status: order.StatusCancelled, At: rel.Now.UTC(), Reason: ReleaseReason(rel.Timeout)}
}

// release asks for the visited order to be cancelled if it is stuck. It
// does not decide: the request goes through Requests like any actor's, so
// the decision is the state machine's, made in the order requests are
// read, and a replay of Requests (verify's) makes the same. The order may
// have moved on by then (the kitchen's ready wins), and a sweep before
// the request is read asks again, which the lifecycle drops as a repeat.
func (r releaser) release(ctx goka.Context, meta any) {
	rel, ok := meta.(Release)
	if !ok {
		return
	}
	r.table.Change(ctx, func(o *Order) (*Order, bool) {
		if req := Stuck(o, rel); req != nil {
			ctx.Emit(streams.Requests, ctx.Key(), req)
		}
		return o, false
	})
}

// releaser runs the release sweep's visits on the lifecycle's table.
type releaser struct{ table *cache.Table[Order] }
