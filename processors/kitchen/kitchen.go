// Package kitchen plays the restaurants' kitchens and the couriers for the
// simulator: a goka group that follows "order-status" and, after a random
// delay, asks the lifecycle to move each accepted order to ready and each
// ready order to delivered.
//
// Its timers are jobs in its group table, keyed by order_id, fired by a
// visit of the table every TickInterval, so they survive a restart. The
// table is cached (processors/cache) and written every FlushInterval: no
// one reads it but the kitchen, and a job is written two to five times in
// its few seconds. It is
// a simulator, not a service of record: it ignores changes older than
// MaxAge (a kitchen started on an old topic does not replay history) and
// gives up on a job after MaxAttempts requests the lifecycle ignored, so
// an order can stay accepted or ready for good.
package kitchen

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
)

// Group is the goka group of the kitchen; its table is Table.
const Group goka.Group = "kitchen"

// Table holds the pending jobs: order_id → Job.
var Table = goka.GroupTable(Group)

// VisitFire names the visitor that sends the requests of due jobs; its
// meta is the time.Time of the visit.
const VisitFire = "fire"

// Tuning values.
const (
	// TickInterval is how often due jobs are looked for.
	TickInterval = 250 * time.Millisecond
	// RetryAfter is how long a fired job waits for its change before it
	// asks again.
	RetryAfter = 5 * time.Second
	// MaxAttempts is how often a job asks before it gives up.
	MaxAttempts = 3
	// FlushInterval is how often at most a partition of the table is
	// written. A job set since the last flush is visited after the next
	// one; after a crash the changes since the last flush are read again.
	FlushInterval = TickInterval
)

// Config is how long the kitchens and couriers take: a uniformly random
// time between the minimum and the maximum.
type Config struct {
	PrepMin, PrepMax         time.Duration
	DeliveryMin, DeliveryMax time.Duration
}

// DefaultConfig takes a few seconds for each, so a person watching sees
// orders move.
var DefaultConfig = Config{PrepMin: 2 * time.Second, PrepMax: 6 * time.Second, DeliveryMin: 3 * time.Second, DeliveryMax: 8 * time.Second}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	switch {
	case c.PrepMin < 0 || c.PrepMax < c.PrepMin:
		return fmt.Errorf("preparation time %v..%v: want 0 <= min <= max", c.PrepMin, c.PrepMax)
	case c.DeliveryMin < 0 || c.DeliveryMax < c.DeliveryMin:
		return fmt.Errorf("delivery time %v..%v: want 0 <= min <= max", c.DeliveryMin, c.DeliveryMax)
	}
	return nil
}

// Job is a request to send once Due.
type Job struct {
	Next     order.Status `json:"next"`
	Due      time.Time    `json:"due"`
	Attempts int          `json:"attempts,omitempty"`
	// Seq is the change that made the job: older changes are ignored.
	Seq exactly.Pos `json:"seq"`
}

// JobCodec encodes *Job.
type JobCodec = jsoncodec.Codec[Job]

// Define returns the kitchen group graph, its table cached. now is the
// clock (time.Now in production).
func Define(cfg Config, now func() time.Time) runner.Graph {
	k := &kitchen{cfg: cfg, now: now, table: cache.New[Job](cache.Interval(FlushInterval))}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.Changes, new(streams.ChangeCodec), k.follow),
		goka.Visitor(VisitFire, k.fire),
		goka.Persist(new(JobCodec)),
		goka.Output(streams.Requests, new(streams.RequestCodec)),
	), Cache: k.table}
}

// Run runs the kitchen until ctx ends, firing due jobs every TickInterval.
func Run(ctx context.Context, rc runner.Config, cfg Config, logger *slog.Logger) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("kitchen: %w", err)
	}
	visit := func(now time.Time) any { return now }
	return runner.RunTended(ctx, rc, Define(cfg, time.Now), runner.Visits(VisitFire, TickInterval, visit, logger))
}

type kitchen struct {
	cfg   Config
	now   func() time.Time
	table *cache.Table[Job]
}

func (k *kitchen) follow(ctx goka.Context, msg any) {
	c := msg.(*streams.Change)
	k.table.Change(ctx, func(job *Job) (*Job, bool) {
		return Plan(job, c, k.now(), k.cfg)
	})
}

// Plan is the job after change c given the current job (nil if none):
// ok is false when nothing changes, and a nil job means the order needs
// nothing more. Changes older than the job's are ignored. The delay runs
// from the change, or from now if the change is older: a kitchen that
// learns of an order late still takes its time to prepare it.
func Plan(job *Job, c *streams.Change, now time.Time, cfg Config) (next *Job, ok bool) {
	if job != nil && c.Seq.Partition == job.Seq.Partition && c.Seq.Offset <= job.Seq.Offset {
		return nil, false
	}
	if c.Status.Final() {
		return nil, job != nil
	}
	from := c.At
	if now.After(from) {
		from = now
	}
	switch c.Status {
	case order.StatusAccepted:
		return &Job{Next: order.StatusReady, Due: from.Add(between(cfg.PrepMin, cfg.PrepMax)), Seq: c.Seq}, true
	case order.StatusReady:
		return &Job{Next: order.StatusDelivered, Due: from.Add(between(cfg.DeliveryMin, cfg.DeliveryMax)), Seq: c.Seq}, true
	}
	return nil, false
}

// between is a random duration in [lo, hi].
func between(lo, hi time.Duration) time.Duration {
	return lo + rand.N(hi-lo+1)
}

// fire sends the request of a due job and schedules a retry, or drops the
// job after MaxAttempts.
func (k *kitchen) fire(ctx goka.Context, meta any) {
	now, ok := meta.(time.Time)
	if !ok {
		return
	}
	k.table.Change(ctx, func(job *Job) (*Job, bool) {
		switch {
		case job == nil || job.Due.After(now):
			return job, false
		case job.Attempts >= MaxAttempts:
			return nil, true
		}
		ctx.Emit(streams.Requests, ctx.Key(), &streams.Request{OrderID: ctx.Key(), Status: job.Next, At: now})
		return &Job{Next: job.Next, Due: now.Add(RetryAfter), Attempts: job.Attempts + 1, Seq: job.Seq}, true
	})
}
