package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/verify"
)

func orderJSON(id, restaurant, user string, qty int) []byte {
	return []byte(fmt.Sprintf(`{"order_id":%q,"restaurant_id":%q,"user_id":%q,"items":[{"sku":"tea","qty":%d,"price_cents":250}],"total_cents":%d,"placed_at":"2025-03-14T12:00:00Z"}`,
		id, restaurant, user, qty, 250*qty))
}

// TestVerify runs the processors on an embedded broker over orders with
// duplicates, conflicting duplicates and invalid records, and checks that
// verify finds the tables exact; then damages a table and the dead-letter
// topic and checks that it finds exactly that; then stops the processors
// with input left and checks that it refuses to compare.
func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and the processors")
	}
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kc := kafkaconf.Config{Brokers: []string{b.Addr()}, Partitions: 3, Replication: 1, ClientID: "verify-test"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := topics.Ensure(ctx, kc, topics.FromGraphs(processors.Graphs()...)); err != nil {
		t.Fatal(err)
	}
	opts, err := kgoconf.Options(kc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	produce := func(rs ...*kgo.Record) {
		t.Helper()
		if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	rec := func(topic string, partition int32, key string, value []byte) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: partition, Key: []byte(key), Value: value}
	}

	var records []*kgo.Record
	for i := range 60 {
		records = append(records, rec("orders", int32(i%3), "r", orderJSON(fmt.Sprintf("o-%d", i), fmt.Sprintf("r-%d", i%4), fmt.Sprintf("u-%d", i%9), 1+i%3)))
	}
	records = append(records,
		rec("orders", 2, "r", orderJSON("o-1", "r-1", "u-1", 2)), // a producer retry on another partition
		rec("orders", 0, "r", orderJSON("o-2", "r-3", "u-5", 3)), // other contents, other partition: ambiguous
		rec("orders", 0, "r", orderJSON("o-3", "r-2", "u-2", 7)), // other contents, same partition: the first counts
		rec("orders", 1, "r", []byte(`{"order_id":`)),            // invalid
		rec("orders", 2, "", nil),                                // invalid: null
		rec("orders", 1, "r-9", orderJSON("o-99", "r-9", "", 1)), // invalid: no user
	)
	produce(records...)

	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- processors.Run(pctx, runner.Config{Kafka: kc, Logger: slog.New(slog.DiscardHandler)}, processors.All(processors.Hooks{}))
	}()
	stopped := false
	stopProcessors := func() {
		if stopped {
			return
		}
		stopped = true
		stop()
		if err := <-done; err != nil {
			t.Errorf("processors: %v", err)
		}
	}
	defer stopProcessors()

	r, err := verify.Run(ctx, verify.Config{Kafka: kc, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := r.Print(&out, 5); err != nil {
		t.Fatal(err)
	}
	t.Logf("verify:\n%s", out.String())
	if !r.OK() {
		t.Fatalf("differences in a correct run")
	}
	o := r.Orders
	if o.Records != 66 || o.Valid != 63 || o.Invalid != 3 || o.Distinct != 60 || o.Duplicates != 3 || r.DeadLetters != 3 || r.Restaurants != 4 || r.Users != 9 {
		t.Errorf("counts %+v, %d dead letters, %d restaurants, %d users", o, r.DeadLetters, r.Restaurants, r.Users)
	}
	if len(r.Ambiguous) != 1 || r.Ambiguous[0].OrderID != "o-2" || len(r.Ambiguous[0].Copies) != 2 {
		t.Errorf("ambiguous = %+v, want order o-2 alone", r.Ambiguous)
	}

	// Damage: one restaurant counted once too often, a dead letter twice.
	stopProcessors()
	rs := &restaurant.Stats{RestaurantID: "r-1", Orders: 99, Applied: exactly.Applied{}}
	value, _ := json.Marshal(rs)
	var dead *kgo.Record
	fetch, err := kgo.NewClient(append(opts, kgo.ConsumeTopics("orders-dlq"), kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
	if err != nil {
		t.Fatal(err)
	}
	for dead == nil {
		fetch.PollFetches(ctx).EachRecord(func(r *kgo.Record) { dead = r })
	}
	fetch.Close()
	produce(rec(string(restaurant.Table), 0, "r-1", value),
		&kgo.Record{Topic: "orders-dlq", Partition: dead.Partition, Key: dead.Key, Value: dead.Value, Headers: dead.Headers})
	r, err = verify.Run(ctx, verify.Config{Kafka: kc, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := r.Print(&out, 5); err != nil {
		t.Fatal(err)
	}
	t.Logf("verify after the damage:\n%s", out.String())
	var got []string
	for _, d := range r.Differences {
		got = append(got, d.Topic+"["+d.Key+"]")
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], "orders-dlq[") || !strings.Contains(r.Differences[0].Detail, "second dead letter") ||
		got[1] != "restaurant-table[r-1]" {
		t.Errorf("differences %v, want a second dead letter and restaurant r-1", got)
	}

	// Input nobody processes: verify does not compare.
	produce(rec("orders", 0, "r", orderJSON("late", "r-1", "u-1", 1)))
	_, err = verify.Run(ctx, verify.Config{Kafka: kc, Timeout: 2 * time.Second})
	if !errors.Is(err, verify.ErrNotSettled) || !strings.Contains(err.Error(), "group ingest") {
		t.Errorf("Run with unprocessed input = %v, want %v naming group ingest", err, verify.ErrNotSettled)
	}
}
