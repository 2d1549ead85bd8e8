package bench

import (
	"context"
	"fmt"
	"time"

	json "github.com/go-json-experiment/json/v1"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// counts are what a table value counts: orders, and users (global).
type counts struct{ orders, users int64 }

// tableSum reads a table topic and sums counts over the latest value of
// each key: a cached table (processors/cache) writes a key once per flush,
// so its record count says nothing; its values say when it holds every
// order.
type tableSum struct {
	client *kgo.Client
	latest map[string]counts
	sum    counts
}

// sumOf returns the counter of topic, a restaurant, user or global table.
func (c *cluster) sumOf(topic string) (*tableSum, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.kafka.Brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("table reader: %w", err)
	}
	return &tableSum{client: cl, latest: map[string]counts{}}, nil
}

// reached reads what arrived and reports whether the sums are want.
func (t *tableSum) reached(ctx context.Context, want counts) (bool, error) {
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Millisecond)
		fetches := t.client.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return false, err
		}
		n := 0
		var ferr error
		fetches.EachError(func(_ string, _ int32, err error) {
			if err != context.DeadlineExceeded && err != context.Canceled {
				ferr = err
			}
		})
		if ferr != nil {
			return false, ferr
		}
		// Only the latest value of a key counts: decode that one.
		last := map[string]*kgo.Record{}
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			last[string(r.Key)] = r
		})
		for k, r := range last {
			c, err := countsOf(r.Value)
			if err != nil {
				return false, fmt.Errorf("%s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
			}
			old := t.latest[k]
			t.latest[k] = c
			t.sum.orders += c.orders - old.orders
			t.sum.users += c.users - old.users
		}
		if n == 0 {
			return t.sum == want, nil
		}
	}
}

func (t *tableSum) Close() { t.client.Close() }

// countsOf reads the top-level "orders" and "users" of a restaurant,
// user or global table value, and nothing else: the poller runs beside the
// subject and its CPU is charged to it.
func countsOf(b []byte) (counts, error) {
	// Restaurant and user values start with their id and orders, as
	// their AppendJSON writes them.
	s := jsoncodec.NewScanner(b)
	if s.Maybe(`{"restaurant_id":`) || s.Maybe(`{"user_id":`) {
		_ = s.String() // the id
		s.Lit(`,"orders":`)
		if n := s.Int(); s.OK() {
			return counts{orders: n}, nil
		}
	}
	var v struct {
		Orders int64 `json:"orders"`
		Users  int64 `json:"users"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return counts{}, err
	}
	return counts{orders: v.Orders, users: v.Users}, nil
}
