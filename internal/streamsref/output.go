package streamsref

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// RestaurantStats is a value of RestaurantsTopic, keyed by restaurant_id.
type RestaurantStats struct {
	RestaurantID  string           `json:"restaurant_id"`
	Orders        int64            `json:"orders"`
	RevenueCents  int64            `json:"revenue_cents"`
	Items         int64            `json:"items"`
	AvgOrderCents int64            `json:"avg_order_cents"`
	LastOrderAt   time.Time        `json:"last_order_at"`
	ItemQty       map[string]int64 `json:"item_qty"`
}

// UserStats is a value of UsersTopic, keyed by user_id.
type UserStats struct {
	UserID              string           `json:"user_id"`
	Orders              int64            `json:"orders"`
	SpentCents          int64            `json:"spent_cents"`
	FavouriteRestaurant string           `json:"favourite_restaurant"`
	LastOrderAt         time.Time        `json:"last_order_at"`
	Restaurants         map[string]int64 `json:"restaurants"`
}

// GlobalStats is a value of GlobalTopic, keyed by shard; the global
// statistics are the sum of the shards (Output.Global).
type GlobalStats struct {
	Orders       int64 `json:"orders"`
	RevenueCents int64 `json:"revenue_cents"`
	Items        int64 `json:"items"`
	Restaurants  int64 `json:"restaurants"`
	Users        int64 `json:"users"`
}

// Output follows the application's statistics topics from their start,
// reading only committed records (the application writes in
// transactions), and keeps the latest value of every key.
type Output struct {
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}

	mu          sync.Mutex
	restaurants map[string]*RestaurantStats
	users       map[string]*UserStats
	global      map[string]*GlobalStats
	records     int64
	err         error
	// onRestaurant, if set, sees every restaurant record as it arrives.
	onRestaurant func(*RestaurantStats, time.Time)
}

// Follow starts following the output topics at brokers. onRestaurant, if
// not nil, is called for every restaurant record as it is read, with the
// time it was.
func Follow(ctx context.Context, brokers []string, onRestaurant func(*RestaurantStats, time.Time)) (*Output, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(RestaurantsTopic, UsersTopic, GlobalTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxWait(100*time.Millisecond),
		kgo.ClientID("streamsref-output"),
	)
	if err != nil {
		return nil, fmt.Errorf("follow kafka streams output: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	o := &Output{cl: cl, cancel: cancel, done: make(chan struct{}), onRestaurant: onRestaurant,
		restaurants: map[string]*RestaurantStats{}, users: map[string]*UserStats{}, global: map[string]*GlobalStats{}}
	go o.run(ctx)
	return o, nil
}

func (o *Output) run(ctx context.Context) {
	defer close(o.done)
	for {
		fetches := o.cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		fetches.EachError(func(topic string, p int32, err error) {
			// A topic the application has not created yet: keep polling.
			if !errors.Is(err, context.Canceled) {
				o.setErr(fmt.Errorf("fetch %s[%d]: %w", topic, p, err))
			}
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if err := o.apply(r, now); err != nil {
				o.setErr(err)
			}
		})
	}
}

func (o *Output) setErr(err error) {
	o.mu.Lock()
	o.err = err
	o.mu.Unlock()
}

func (o *Output) apply(r *kgo.Record, at time.Time) error {
	key := string(r.Key)
	var cb *RestaurantStats
	o.mu.Lock()
	o.records++
	var err error
	switch r.Topic {
	case RestaurantsTopic:
		s := new(RestaurantStats)
		if err = json.Unmarshal(r.Value, s); err == nil {
			o.restaurants[key], cb = s, s
		}
	case UsersTopic:
		s := new(UserStats)
		if err = json.Unmarshal(r.Value, s); err == nil {
			o.users[key] = s
		}
	case GlobalTopic:
		s := new(GlobalStats)
		if err = json.Unmarshal(r.Value, s); err == nil {
			o.global[key] = s
		}
	}
	o.mu.Unlock()
	if err != nil {
		return fmt.Errorf("decode %s %q: %w", r.Topic, key, err)
	}
	if cb != nil && o.onRestaurant != nil {
		o.onRestaurant(cb, at)
	}
	return nil
}

// Err is the last error reading the topics, if any (a topic not yet
// created is one until it is).
func (o *Output) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.err
}

// Restaurants returns the latest statistics of every restaurant.
func (o *Output) Restaurants() map[string]RestaurantStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]RestaurantStats, len(o.restaurants))
	for k, v := range o.restaurants {
		out[k] = *v
	}
	return out
}

// Users returns the latest statistics of every user.
func (o *Output) Users() map[string]UserStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[string]UserStats, len(o.users))
	for k, v := range o.users {
		out[k] = *v
	}
	return out
}

// Global returns the sum of the global shards.
func (o *Output) Global() GlobalStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	var g GlobalStats
	for _, s := range o.global {
		g.Orders += s.Orders
		g.RevenueCents += s.RevenueCents
		g.Items += s.Items
		g.Restaurants += s.Restaurants
		g.Users += s.Users
	}
	return g
}

// RestaurantOrders is the sum of orders over the restaurants.
func (o *Output) RestaurantOrders() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var n int64
	for _, s := range o.restaurants {
		n += s.Orders
	}
	return n
}

// Close stops following.
func (o *Output) Close() {
	o.cancel()
	<-o.done
	o.cl.Close()
}
