package bench

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
)

// fixtureBatch is how many deltas of a shard the fixture puts in one
// record of global-deltas.
const fixtureBatch = 100

// fixture is N simulated orders and, for each processor, its input as the
// processor upstream would have written it: the same codecs, keys, goka
// partitioning and exactly-once positions. Feeding a processor its own
// input measures it alone, without its upstream on the same cores.
type fixture struct {
	partitions int
	orders     []*order.Order
	// Where each order lands on "orders" and, as its placed request, on
	// "status-requests"; both topics are fresh, so offsets count from zero
	// in produce order.
	source, seq []exactly.Pos
	// users is the number of distinct users of the orders.
	users int
	// deltas is what the restaurant and user processors send the global
	// processor, in order.
	deltas []keyed[streams.Delta]
	// The tables once every order is in, as the processors compute them.
	restaurants map[string]*restaurant.Stats
	userStats   map[string]*user.Stats
}

type keyed[T any] struct {
	key   string
	value *T
}

// newFixture draws cfg.N orders from the simulator's generator.
func newFixture(cfg Config) (*fixture, error) {
	gen, err := simulator.NewGenerator(simulator.Config{
		Rate: 1, Restaurants: cfg.Restaurants, Users: cfg.SimUsers, Seed: cfg.Seed,
	}, "bench")
	if err != nil {
		return nil, fmt.Errorf("order generator: %w", err)
	}
	f := &fixture{partitions: cfg.Partitions}
	// Orders are placed a millisecond apart, ending now.
	at := time.Now().Add(-time.Duration(cfg.N) * time.Millisecond)
	ordersNext := make([]int64, cfg.Partitions)
	byIDNext := make([]int64, cfg.Partitions)
	rest := map[string]*restaurant.Stats{}
	users := map[string]*user.Stats{}
	for i := range cfg.N {
		o := gen.Next(at.Add(time.Duration(i) * time.Millisecond))
		f.orders = append(f.orders, o)
		f.source = append(f.source, next(ordersNext, partitionOf(o.RestaurantID, cfg.Partitions)))
		seq := next(byIDNext, partitionOf(o.OrderID, cfg.Partitions))
		f.seq = append(f.seq, seq)

		// What the restaurant and user processors emit, computed by their
		// own code.
		placed := &streams.Placed{Order: *o, Seq: seq}
		rs := rest[o.RestaurantID]
		if rs == nil {
			rs = &restaurant.Stats{RestaurantID: o.RestaurantID}
			rest[o.RestaurantID] = rs
		}
		rs.Apply(placed)
		f.deltas = append(f.deltas, keyed[streams.Delta]{
			key:   streams.ShardKey(restaurant.Group, partitionOf(o.RestaurantID, cfg.Partitions)),
			value: rs.Delta(placed),
		})
		us := users[o.UserID]
		if us == nil {
			us = &user.Stats{UserID: o.UserID}
			users[o.UserID] = us
		}
		us.Apply(placed)
		if us.First == seq {
			f.deltas = append(f.deltas, keyed[streams.Delta]{
				key:   streams.ShardKey(user.Group, partitionOf(o.UserID, cfg.Partitions)),
				value: &streams.Delta{Seq: seq, NewUsers: 1},
			})
		}
	}
	f.users = len(users)
	f.restaurants, f.userStats = rest, users
	return f, nil
}

// next returns the next position of partition p and advances it.
func next(offsets []int64, p int32) exactly.Pos {
	pos := exactly.Pos{Partition: p, Offset: offsets[p]}
	offsets[p]++
	return pos
}

// records encodes the input of topic: "orders" (what any client writes),
// "status-requests" (ingest's placed requests), "status-by-restaurant"
// (the lifecycle's placed updates) and "placed-by-user" (its new orders)
// or "global-deltas".
func (f *fixture) records(topic goka.Stream) ([]*kgo.Record, error) {
	out := make([]*kgo.Record, 0, len(f.orders))
	add := func(key string, codec goka.Codec, value any) error {
		b, err := codec.Encode(value)
		if err != nil {
			return fmt.Errorf("encode %s: %w", topic, err)
		}
		out = append(out, &kgo.Record{Topic: string(topic), Key: []byte(key), Value: b})
		return nil
	}
	var err error
	switch topic {
	case order.Stream:
		for _, o := range f.orders {
			err = cmp(err, add(o.RestaurantID, new(order.Codec), o))
		}
	case ingest.Output:
		for i, o := range f.orders {
			err = cmp(err, add(o.OrderID, new(streams.RequestCodec), streams.PlacedRequest(o, f.source[i])))
		}
	case streams.ByRestaurant:
		for i, o := range f.orders {
			u := &streams.Update{Change: streams.Change{OrderID: o.OrderID, RestaurantID: o.RestaurantID, UserID: o.UserID,
				Status: order.StatusPlaced, At: o.PlacedAt, Seq: f.seq[i]}, Order: o}
			err = cmp(err, add(o.RestaurantID, new(streams.UpdateCodec), u))
		}
	case streams.ByUser:
		for i, o := range f.orders {
			err = cmp(err, add(o.UserID, new(streams.PlacedCodec), &streams.Placed{Order: *o, Seq: f.seq[i]}))
		}
	case streams.Deltas:
		// As the processors send them: each shard's deltas in order,
		// in batches (of an interval's worth, there; of fixtureBatch
		// here).
		batches := map[string]*streams.DeltaBatch{}
		for _, d := range f.deltas {
			b := batches[d.key]
			if b == nil {
				b = new(streams.DeltaBatch)
				batches[d.key] = b
			}
			b.Deltas = append(b.Deltas, *d.value)
			if len(b.Deltas) == fixtureBatch {
				err = cmp(err, add(d.key, new(streams.DeltaBatchCodec), b))
				delete(batches, d.key)
			}
		}
		for _, key := range slices.Sorted(maps.Keys(batches)) {
			err = cmp(err, add(key, new(streams.DeltaBatchCodec), batches[key]))
		}
	default:
		return nil, fmt.Errorf("no fixture for topic %s", topic)
	}
	return out, err
}

// tableRecords encodes the restaurant, user and global tables as the
// processors leave them once every order of f is in: one record per key.
func (f *fixture) tableRecords() ([]*kgo.Record, error) {
	var out []*kgo.Record
	add := func(table goka.Table, key string, codec goka.Codec, value any) error {
		b, err := codec.Encode(value)
		if err != nil {
			return fmt.Errorf("encode %s: %w", table, err)
		}
		out = append(out, &kgo.Record{Topic: string(table), Key: []byte(key), Value: b})
		return nil
	}
	var err error
	for id, s := range f.restaurants {
		err = cmp(err, add(restaurant.Table, id, new(restaurant.StatsCodec), s))
	}
	for id, s := range f.userStats {
		err = cmp(err, add(user.Table, id, new(user.StatsCodec), s))
	}
	shards := map[string]*global.Shard{}
	for _, d := range f.deltas {
		if shards[d.key] == nil {
			shards[d.key] = new(global.Shard)
		}
		shards[d.key].Apply(d.value)
	}
	for key, s := range shards {
		err = cmp(err, add(global.Table, key, new(global.ShardCodec), s))
	}
	return out, err
}

// restaurantIDs lists the restaurants that have orders.
func (f *fixture) restaurantIDs() []string {
	ids := make([]string, 0, len(f.restaurants))
	for id := range f.restaurants {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
