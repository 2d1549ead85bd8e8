package emitters_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/order"
)

var testLogger = slog.New(slog.NewTextHandler(io.Discard, nil))

// startKafka starts an in-process broker with the orders topic.
func startKafka(t *testing.T) kafkaconf.Config {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(kafkaconf.DefaultPartitions, string(order.Stream)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	return kafkaconf.Config{
		Brokers:     cluster.ListenAddrs(),
		Partitions:  kafkaconf.DefaultPartitions,
		Replication: 1,
		ClientID:    "emitters-test",
	}
}

func newEmitter(t *testing.T, cfg kafkaconf.Config) *emitters.Emitter {
	t.Helper()
	e, err := emitters.New(cfg, testLogger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// readAll reads the orders topic to its end: key and order of every record.
func readAll(t *testing.T, cfg kafkaconf.Config) (keys []string, orders []*order.Order) {
	t.Helper()
	consumer, err := sarama.NewConsumer(cfg.Brokers, cfg.Sarama())
	if err != nil {
		t.Fatal(err)
	}
	defer consumer.Close()
	client, err := sarama.NewClient(cfg.Brokers, cfg.Sarama())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for p := range int32(kafkaconf.DefaultPartitions) {
		end, err := client.GetOffset(string(order.Stream), p, sarama.OffsetNewest)
		if err != nil {
			t.Fatal(err)
		}
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition(string(order.Stream), p, sarama.OffsetOldest)
		if err != nil {
			t.Fatal(err)
		}
		for msg := range pc.Messages() {
			o, err := order.Parse(msg.Value)
			if err != nil {
				t.Fatalf("partition %d offset %d: %v", p, msg.Offset, err)
			}
			keys, orders = append(keys, string(msg.Key)), append(orders, o)
			if msg.Offset == end-1 {
				break
			}
		}
		pc.Close()
	}
	return keys, orders
}

func testOrder(id, restaurant string) *order.Order {
	items := []order.Item{{SKU: "ita-01", Qty: 2, PriceCents: 1099}}
	return &order.Order{
		OrderID: id, RestaurantID: restaurant, UserID: "u-00001", Items: items,
		TotalCents: order.Sum(items), PlacedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
}

func TestEmitterRoundTrip(t *testing.T) {
	cfg := startKafka(t)
	e := newEmitter(t, cfg)
	sent := map[string]*order.Order{}
	for _, o := range []*order.Order{testOrder("o-1", "r-0001"), testOrder("o-2", "r-0002"), testOrder("o-3", "r-0001")} {
		if err := e.Emit(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		sent[o.OrderID] = o
	}
	keys, got := readAll(t, cfg)
	if len(got) != len(sent) {
		t.Fatalf("read %d orders, want %d", len(got), len(sent))
	}
	for i, o := range got {
		if want := sent[o.OrderID]; !reflect.DeepEqual(o, want) {
			t.Errorf("read %+v, want %+v", o, want)
		}
		if keys[i] != o.RestaurantID {
			t.Errorf("order %s keyed %q, want its restaurant_id", o.OrderID, keys[i])
		}
	}
}

func TestEmitErrors(t *testing.T) {
	cfg := startKafka(t)
	e := newEmitter(t, cfg)

	if err := e.Emit(context.Background(), nil); !errors.Is(err, emitters.ErrNilOrder) {
		t.Errorf("nil order: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.Emit(ctx, testOrder("o-1", "r-0001")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.Emit(context.Background(), testOrder("o-2", "r-0001")); !errors.Is(err, goka.ErrEmitterAlreadyClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestNewWithoutBroker(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	cfg := kafkaconf.Config{Brokers: []string{addr}, Partitions: 1, Replication: 1}
	if e, err := emitters.New(cfg, testLogger); err == nil {
		e.Close()
		t.Fatal("no error")
	}
}

// TestSimulatorThroughput drives the emitter from the simulator, as
// 'orderstream emit' does, and checks every order arrives once.
func TestSimulatorThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: produces 20,000 orders")
	}
	cfg := startKafka(t)
	e := newEmitter(t, cfg)
	const count = 20_000
	stats, err := simulator.Run(context.Background(), simulator.Config{
		Rate: simulator.MaxRate, Count: count, Restaurants: 50, Users: 5000, Seed: 1,
	}, e, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d orders in %v: %.0f orders/s", stats.Sent, stats.Elapsed.Round(time.Millisecond), stats.Rate())
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	_, got := readAll(t, cfg)
	ids := map[string]bool{}
	for _, o := range got {
		ids[o.OrderID] = true
	}
	if stats.Sent != count || len(got) != count || len(ids) != count {
		t.Errorf("sent %d, read %d records with %d distinct ids, want %d", stats.Sent, len(got), len(ids), count)
	}
}
