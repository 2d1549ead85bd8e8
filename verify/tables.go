package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
)

// expected is every table recomputed from the counted orders.
type expected struct {
	restaurants map[string]*restaurant.Stats
	users       map[string]*user.Stats
	summary     global.Summary
}

// recompute applies the counted orders with the processors' own Apply
// functions, and the recomputed lifecycle's updates with Track and
// StatusDelta. Each order gets a sequence number of its own in place of
// its lifecycle position, which only the bookkeeping fields (First,
// Applied) record; the figures compared do not depend on the order orders
// are applied in.
func recompute(c counted, a *audit) expected {
	e := expected{restaurants: map[string]*restaurant.Stats{}, users: map[string]*user.Stats{}}
	// Restaurant and user deltas go to shards of their own, as they do in
	// the global table, since each shard deduplicates by position.
	rshard, ushard := new(global.Shard), new(global.Shard)
	ids := slices.SortedFunc(maps.Keys(c), func(a, b string) int { return comparePos(c[a].pos, c[b].pos) })
	for i, id := range ids {
		o := c[id].order
		p := &streams.Placed{Order: *o, Seq: exactly.Pos{Partition: 0, Offset: int64(i)}}
		rs := e.restaurants[o.RestaurantID]
		if rs == nil {
			rs = &restaurant.Stats{RestaurantID: o.RestaurantID}
			e.restaurants[o.RestaurantID] = rs
		}
		rs.Apply(p)
		rshard.Apply(rs.Delta(p))
		us := e.users[o.UserID]
		if us == nil {
			us = &user.Stats{UserID: o.UserID}
			e.users[o.UserID] = us
		}
		us.Apply(p)
		if us.First == p.Seq {
			ushard.Apply(&streams.Delta{Seq: p.Seq, NewUsers: 1})
		}
	}
	e.summary = global.Summarize([]*global.Shard{rshard, ushard, trackStatus(e.restaurants, a)})
	return e
}

// trackStatus applies the lifecycle's updates to the restaurants with
// Track, and returns the global shard of their StatusDelta. Whether a
// restaurant opened a placed order depends on its capacity and on the
// order of its input, but it opened exactly the orders it accepted, which
// the lifecycle recorded; so each placed update is tracked with the
// capacity that reproduces that decision. The updates of one partition
// come in order, as Track's deduplication requires.
func trackStatus(restaurants map[string]*restaurant.Stats, a *audit) *global.Shard {
	shard := new(global.Shard)
	for _, u := range a.updates {
		rs := restaurants[u.RestaurantID]
		if rs == nil {
			rs = &restaurant.Stats{RestaurantID: u.RestaurantID}
			restaurants[u.RestaurantID] = rs
		}
		capacity := 0
		if a.accepted[u.OrderID] {
			capacity = math.MaxInt
		}
		rs.Track(u, capacity)
		if d := restaurant.StatusDelta(u); d != nil {
			shard.Apply(d)
		}
	}
	return shard
}

// restaurantOf is s as compared: without what depends on the order of
// its input (the positions applied, the per-minute windows), with times
// in UTC and empty collections made alike. A field added to Stats is
// compared unless it is cleared here.
func restaurantOf(s *restaurant.Stats) restaurant.Stats {
	var zero restaurant.Stats
	c := *s
	c.First, c.Applied, c.StatusApplied, c.PerMinute = zero.First, zero.Applied, zero.StatusApplied, zero.PerMinute
	c.FirstOrderAt, c.LastOrderAt = c.FirstOrderAt.UTC(), c.LastOrderAt.UTC()
	c.TopItems, c.ItemQty, c.OpenOrders = nonNil(c.TopItems), nonNilMap(c.ItemQty), nonNil(c.OpenOrders)
	return c
}

// userOf is s as compared, as restaurantOf.
func userOf(s *user.Stats) user.Stats {
	var zero user.Stats
	c := *s
	c.First, c.Applied = zero.First, zero.Applied
	c.LastOrderAt, c.Restaurants = c.LastOrderAt.UTC(), nonNilMap(c.Restaurants)
	return c
}

// summaryOf is s as compared: without the per-minute windows.
func summaryOf(s global.Summary) global.Summary {
	s.PerMinute, s.TopRestaurants = nil, nonNil(s.TopRestaurants)
	return s
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func nonNilMap[K comparable, V any](m map[K]V) map[K]V {
	if m == nil {
		return map[K]V{}
	}
	return m
}

// table reads a table topic to the snapshot and decodes every value of a
// key on its partition.
func table[T any](ctx context.Context, base []kgo.Opt, snap *snapshot, topic string, r *Report) (map[string]*T, error) {
	raw, err := latest(ctx, base, snap, topic, func(rec *kgo.Record, want int32) {
		r.differ(topic, string(rec.Key), "value at %d@%d, where goka looks in partition %d", rec.Partition, rec.Offset, want)
	})
	if err != nil {
		return nil, err
	}
	out := map[string]*T{}
	for k, v := range raw {
		t := new(T)
		if err := json.Unmarshal(v, t); err != nil {
			r.differ(topic, k, "undecodable value: %v", err)
			continue
		}
		out[k] = t
	}
	return out, nil
}

// compareKeyed adds a difference for every key whose figures differ
// between got and want, or that only one of them has.
func compareKeyed[G, W, F any](r *Report, topic string, got map[string]*G, want map[string]*W, figGot func(*G) F, figWant func(*W) F) {
	for _, k := range slices.Sorted(maps.Keys(want)) {
		w := figWant(want[k])
		g, ok := got[k]
		if !ok {
			r.differ(topic, k, "missing; want %s", show(w))
			continue
		}
		if f := figGot(g); !reflect.DeepEqual(f, w) {
			r.differ(topic, k, "differs\n    got  %s\n    want %s", show(f), show(w))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			r.differ(topic, k, "not expected: %s", show(figGot(got[k])))
		}
	}
}

func show(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(bytes.TrimSpace(buf.Bytes()))
}

// checkTables compares the restaurant, user and global tables
// with the recomputation from the counted orders and the lifecycle.
func checkTables(ctx context.Context, base []kgo.Opt, snap *snapshot, c counted, a *audit, r *Report) error {
	e := recompute(c, a)
	restaurants, err := table[restaurant.Stats](ctx, base, snap, string(restaurant.Table), r)
	if err != nil {
		return err
	}
	compareKeyed(r, string(restaurant.Table), restaurants, e.restaurants, restaurantOf, restaurantOf)
	users, err := table[user.Stats](ctx, base, snap, string(user.Table), r)
	if err != nil {
		return err
	}
	compareKeyed(r, string(user.Table), users, e.users, userOf, userOf)

	shards, err := table[global.Shard](ctx, base, snap, string(global.Table), r)
	if err != nil {
		return err
	}
	list := make([]*global.Shard, 0, len(shards))
	for _, k := range slices.Sorted(maps.Keys(shards)) {
		list = append(list, shards[k])
	}
	if got, want := summaryOf(global.Summarize(list)), summaryOf(e.summary); !reflect.DeepEqual(got, want) {
		r.differ(string(global.Table), "summary", "differs\n    got  %s\n    want %s", show(got), show(want))
	}
	r.Orders.Distinct = len(c)
	r.Restaurants, r.Users = len(e.restaurants), len(e.users)
	return nil
}
