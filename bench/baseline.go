package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
)

// restaurantTotals is what the baseline keeps per restaurant.
type restaurantTotals struct {
	orders, revenueCents, items int64
}

// runBaseline measures the limit: a plain franz-go consumer, no consumer
// group, no local state, no output, that reads the N orders, decodes each
// and aggregates per restaurant in a map. It runs cfg.Runs times, each on
// a fresh broker.
func runBaseline(ctx context.Context, cfg Config, f *fixture, w io.Writer) (*Throughput, error) {
	t := &Throughput{Subject: "baseline: franz-go consumer", Orders: len(f.orders)}
	records, err := f.records(order.Stream)
	if err != nil {
		return nil, err
	}
	for run := range cfg.Runs {
		r, err := baselineRun(ctx, cfg, records, profilePath(cfg, run, "baseline"))
		if err != nil {
			return t, err
		}
		t.Runs = append(t.Runs, r)
		fmt.Fprintf(w, "  baseline run %d: %s\n", run+1, r)
	}
	return t, nil
}

func baselineRun(ctx context.Context, cfg Config, records []*kgo.Record, profile string) (res RunResult, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	if err := c.produce(ctx, records); err != nil {
		return res, err
	}
	stop, err := startProfile(profile)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stop()) }()

	labelled(ctx, "baseline", func(ctx context.Context) {
		res, err = consumeAll(ctx, cfg, c.kafka.Brokers[0], len(records))
	})
	return res, err
}

// consumeAll reads n orders from the start of "orders" and aggregates
// them; the clock runs from creating the client to the last record.
func consumeAll(ctx context.Context, cfg Config, addr string, n int) (RunResult, error) {
	start, cpu := time.Now(), cpuTime()
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.ConsumeTopics(string(order.Stream)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxBytes(16<<20),
	)
	if err != nil {
		return RunResult{}, fmt.Errorf("consumer: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()

	totals := map[string]*restaurantTotals{}
	var first time.Time
	seen := 0
	for seen < n {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return RunResult{}, fmt.Errorf("consumed %d of %d orders: %w", seen, n, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return RunResult{}, fmt.Errorf("fetch: %w", errs[0].Err)
		}
		var decodeErr error
		fetches.EachRecord(func(r *kgo.Record) {
			if first.IsZero() {
				first = time.Now()
			}
			var o order.Order
			if err := json.Unmarshal(r.Value, &o); err != nil {
				decodeErr = cmp(decodeErr, err)
				return
			}
			t := totals[o.RestaurantID]
			if t == nil {
				t = &restaurantTotals{}
				totals[o.RestaurantID] = t
			}
			t.orders++
			t.revenueCents += o.TotalCents
			t.items += o.Quantity()
			seen++
		})
		if decodeErr != nil {
			return RunResult{}, fmt.Errorf("decode order: %w", decodeErr)
		}
	}
	end := time.Now()
	return RunResult{Elapsed: end.Sub(start), Startup: first.Sub(start), Orders: n, CPU: cpuTime() - cpu}, nil
}
