package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/user"
)

// counts are what a table value counts: orders, and users (global).
type counts struct{ orders, users int64 }

// tableSum reads a table topic and sums counts over the latest value of
// each key: a cached table (processors/cache) writes a key once per flush,
// so its record count says nothing; its values say when it holds every
// order.
type tableSum struct {
	client *kgo.Client
	decode func([]byte) (counts, error)
	latest map[string]counts
	sum    counts
}

// sumOf returns the counter of topic, whose values decode counts.
func (c *cluster) sumOf(topic string, decode func([]byte) (counts, error)) (*tableSum, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(c.kafka.Brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("table reader: %w", err)
	}
	return &tableSum{client: cl, decode: decode, latest: map[string]counts{}}, nil
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
		fetches.EachRecord(func(r *kgo.Record) {
			n++
			if ferr != nil {
				return
			}
			c, err := t.decode(r.Value)
			if err != nil {
				ferr = fmt.Errorf("%s/%d@%d: %w", r.Topic, r.Partition, r.Offset, err)
				return
			}
			old := t.latest[string(r.Key)]
			t.latest[string(r.Key)] = c
			t.sum.orders += c.orders - old.orders
			t.sum.users += c.users - old.users
		})
		if ferr != nil {
			return false, ferr
		}
		if n == 0 {
			return t.sum == want, nil
		}
	}
}

func (t *tableSum) Close() { t.client.Close() }

func restaurantCounts(b []byte) (counts, error) {
	v, err := new(restaurant.StatsCodec).Decode(b)
	if err != nil {
		return counts{}, err
	}
	return counts{orders: v.(*restaurant.Stats).Orders}, nil
}

func userCounts(b []byte) (counts, error) {
	v, err := new(user.StatsCodec).Decode(b)
	if err != nil {
		return counts{}, err
	}
	return counts{orders: v.(*user.Stats).Orders}, nil
}

func shardCounts(b []byte) (counts, error) {
	v, err := new(global.ShardCodec).Decode(b)
	if err != nil {
		return counts{}, err
	}
	s := v.(*global.Shard)
	return counts{orders: s.Orders, users: s.Users}, nil
}
