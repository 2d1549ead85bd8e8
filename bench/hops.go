package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
)

// hopNames name the legs of a probe's way, between the timestamps of the
// records it caused. A record's timestamp is taken by the producer as it
// batches the record, so each leg is: the upstream producer's linger and
// round trip, the broker, the downstream fetch and the callback.
var hopNames = []string{
	"placed -> orders record (HTTP + intake, or emit)",
	"orders -> status-requests (ingest)",
	"status-requests -> status-by-restaurant (lifecycle)",
	"status-by-restaurant -> restaurant-table (restaurant)",
	"restaurant-table -> shown (view + read)",
}

// hopTimes reads back the records the probes caused and splits each
// probe's latency into hops, per path (true: HTTP).
func hopTimes(ctx context.Context, c *cluster, probes []*probe) (map[bool][]Hop, error) {
	byOrder := map[string]*probe{}
	byCount := map[string]map[int64]*probe{}
	for _, p := range probes {
		byOrder[p.orderID] = p
		if byCount[p.restaurant] == nil {
			byCount[p.restaurant] = map[int64]*probe{}
		}
		byCount[p.restaurant][p.n] = p
	}
	// stamps[p][i] is the timestamp of the probe's record on topic i.
	stamps := map[*probe][]time.Time{}
	stamp := func(p *probe, i int, t time.Time) {
		if p == nil {
			return
		}
		if stamps[p] == nil {
			stamps[p] = make([]time.Time, 4)
		}
		if stamps[p][i].IsZero() {
			stamps[p][i] = t
		}
	}

	topics := []string{string(order.Stream), string(ingest.Output), string(streams.ByRestaurant), string(restaurant.Table)}
	err := readAll(ctx, c, topics, func(r *kgo.Record) error {
		key := string(r.Key)
		switch r.Topic {
		case topics[0], topics[2]:
			if byCount[key] == nil {
				return nil
			}
			id, err := orderIDOf(r.Value)
			if err != nil {
				return err
			}
			i := 0
			if r.Topic == topics[2] {
				i = 2
			}
			stamp(byOrder[id], i, r.Timestamp)
		case topics[1]:
			stamp(byOrder[key], 1, r.Timestamp)
		case topics[3]:
			if byCount[key] == nil {
				return nil
			}
			var s restaurant.Stats
			if err := json.Unmarshal(r.Value, &s); err != nil {
				return err
			}
			stamp(byCount[key][s.Orders], 3, r.Timestamp)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}

	legs := map[bool][][]time.Duration{true: make([][]time.Duration, len(hopNames)), false: make([][]time.Duration, len(hopNames))}
	for p, ts := range stamps {
		points := append([]time.Time{p.start}, append(ts, p.shown)...)
		complete := true
		for _, t := range points {
			complete = complete && !t.IsZero()
		}
		if !complete {
			continue
		}
		for i := range hopNames {
			legs[p.http][i] = append(legs[p.http][i], points[i+1].Sub(points[i]))
		}
	}
	out := map[bool][]Hop{}
	for path, ls := range legs {
		for i, name := range hopNames {
			if len(ls[i]) > 0 {
				out[path] = append(out[path], Hop{Name: name, P50: percentile(ls[i], 0.5), P99: percentile(ls[i], 0.99)})
			}
		}
	}
	return out, nil
}

// orderIDOf decodes the order id of an order, or of a lifecycle update
// (the first of an order being its placed update).
func orderIDOf(value []byte) (string, error) {
	var v struct {
		OrderID string `json:"order_id"`
	}
	err := json.Unmarshal(value, &v)
	return v.OrderID, err
}

// readAll reads every record the topics hold now, calling f with each.
func readAll(ctx context.Context, c *cluster, topics []string, f func(*kgo.Record) error) error {
	ends, err := c.endOffsets(ctx, topics...)
	if err != nil {
		return err
	}
	want := int64(0)
	for _, n := range ends {
		want += n
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.kafka.Brokers...),
		kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for got := int64(0); got < want; {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read back %d of %d records: %w", got, want, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return errs[0].Err
		}
		var ferr error
		fetches.EachRecord(func(r *kgo.Record) {
			got++
			ferr = cmp(ferr, f(r))
		})
		if ferr != nil {
			return ferr
		}
	}
	return nil
}
