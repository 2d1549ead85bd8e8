// Package verify recomputes every statistic of the system from the public
// "orders" log and the lifecycle's input, and compares it with the tables:
// the check that the pipeline counted every valid order exactly once in
// every table, dead-lettered every invalid record exactly once, and lost
// nothing, whatever crashed, restarted or rebalanced on the way.
//
// It waits until every consumer group has processed all of its input,
// then reads every topic up to where it ended at that moment: "orders" to
// recompute, the placed requests on status-requests and orders-dlq to
// check ingest, and the table
// topics, latest value per key, which is what the views serve once they
// have caught up.
//
// What became of the orders is whatever the restaurants, kitchens,
// couriers and users asked for on status-requests; the lifecycle's
// decisions are a function of that log, so verify recomputes them with
// lifecycle.Process, reading it as the lifecycle does, and checks:
//   - status-requests: a placed request for every valid record of
//     "orders", and no other, with that record's order and position; the
//     first of each order id is the copy counted, and the lifecycle
//     table keeps its position;
//   - lifecycle-table, the audit: every counted order, and no other, with
//     the recomputed history: one placed step first, then moves the state
//     machine allows, no status twice, no order left placed. A finished
//     order may be missing, retired by the retention sweep; order-status
//     shows that it finished, and an unfinished one is never retired;
//   - order-status and notifications: every change at least once, with the
//     same contents on a redelivery, and nothing else (a notification's
//     message is not compared: it names the restaurant from the catalog);
//   - inbox-table: every user's inbox.Size newest notifications, each once,
//     newest first (of those as old as its oldest, which it kept depends on
//     arrival, so is not compared);
//   - restaurant-table and global-table: the status counts, open orders
//     and times, recomputed with the restaurant's own Track and
//     StatusDelta.
//
// Per-minute windows depend on the order of each processor's input and
// are not compared; the kitchen's table is a simulator's timers.
package verify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/streams"
)

// DefaultTimeout is how long Run waits for the processors to catch up
// when Config.Timeout is zero.
const DefaultTimeout = 2 * time.Minute

// Config is what Run checks, and how long it waits.
type Config struct {
	Kafka kafkaconf.Config
	// Timeout bounds the wait for the processors to catch up with their
	// input; zero means DefaultTimeout.
	Timeout time.Duration
	// Logger logs progress; nil discards it.
	Logger *slog.Logger
}

// ErrTruncated is returned when a log the recomputation needs no longer
// starts at offset 0: retention deleted records, so nothing can be
// recomputed from it.
var ErrTruncated = errors.New("log truncated by retention")

// Run waits for the system to settle, recomputes and compares. The
// differences are in the Report; an error means the check could not be
// made.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	base, err := kgoconf.Options(cfg.Kafka)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	cl, err := kgo.NewClient(base...)
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)

	graphs := processors.Graphs()
	groups := map[string][]string{}
	for _, g := range graphs {
		for _, in := range g.InputStreams() {
			groups[string(g.Group())] = append(groups[string(g.Group())], in.Topic())
		}
	}
	var names []string
	for _, s := range topics.FromGraphs(graphs...) {
		names = append(names, s.Name)
	}

	start := time.Now()
	logger.Info("waiting for the processors to catch up", "groups", slices.Sorted(maps.Keys(groups)), "timeout", timeout)
	snap, err := settle(ctx, adm, base, groups, names, timeout)
	if err != nil {
		return nil, err
	}
	logger.Info("processors caught up", "after", time.Since(start).Round(time.Millisecond))
	for _, t := range []string{string(order.Stream), string(ingest.Output), string(ingest.DLQ),
		string(streams.Requests), string(streams.Changes), string(streams.Notifications)} {
		for p, s := range snap.starts[t] {
			if s > 0 {
				return nil, fmt.Errorf("%w: %s/%d starts at offset %d", ErrTruncated, t, p, s)
			}
		}
	}

	r := &Report{}
	l, err := readOrders(ctx, base, snap)
	if err != nil {
		return nil, err
	}
	r.Orders.Records, r.Orders.Valid, r.Orders.Invalid = l.records, len(l.valid), len(l.invalid)
	c, err := checkIngest(ctx, base, snap, l, r)
	if err != nil {
		return nil, err
	}
	a, err := replayRequests(ctx, base, snap, c, r)
	if err != nil {
		return nil, err
	}
	if err := checkTables(ctx, base, snap, c, a, r); err != nil {
		return nil, err
	}
	if err := checkAudit(ctx, base, snap, c, a, r); err != nil {
		return nil, err
	}
	logger.Info("compared", "differences", len(r.Differences), "after", time.Since(start).Round(time.Millisecond))
	return r, nil
}

// Report is what Run found.
type Report struct {
	// Orders counts the records of "orders".
	Orders struct {
		Records    int // every record
		Valid      int // valid orders, duplicates included
		Invalid    int // invalid records
		Distinct   int // distinct valid order ids
		Duplicates int // valid records whose order id came before
	}
	DeadLetters int // records on orders-dlq
	Restaurants int // restaurants with orders
	Users       int // users with orders
	Changes     int // status changes the lifecycle made
	Retired     int // finished orders the retention sweep retired in the lifecycle table (lifecycle.Retire)
	Inboxes     int // users with notifications
	// Ambiguous lists order ids written more than once with different
	// contents on different partitions of "orders": which copy counts
	// depends on how ingest interleaved the partitions, so the copy the
	// lifecycle saw first (the first placed request) is the one recomputed.
	Ambiguous []Ambiguity
	// Conflicts lists the copies of an order id that are another order
	// (another restaurant, user or items; placed_at aside) than the copy
	// counted: dropped by the lifecycle, and counted in
	// orderstream_conflicting_orders_total. They are not differences: the
	// pipeline did what it promises, but their writers lost an order.
	Conflicts []Conflict
	// Differences between the tables and the recomputation.
	Differences []Difference
}

// Ambiguity is an order id whose copies differ.
type Ambiguity struct {
	OrderID string
	Copies  []exactly.Pos // positions on "orders"
	Counted exactly.Pos   // the copy the lifecycle counts
}

// Conflict is a copy of an order id that differs from the copy counted.
type Conflict struct {
	OrderID string
	Copy    exactly.Pos // the dropped copy's position on "orders"
	Counted exactly.Pos // the counted copy's
	Detail  string      // how the copy differs
}

// Difference is one way a topic or table differs from the recomputation.
type Difference struct {
	Topic  string
	Key    string
	Detail string
}

func (r *Report) differ(topic, key, format string, args ...any) {
	r.Differences = append(r.Differences, Difference{Topic: topic, Key: key, Detail: fmt.Sprintf(format, args...)})
}

// OK reports whether the tables equal the recomputation.
func (r *Report) OK() bool { return len(r.Differences) == 0 }
