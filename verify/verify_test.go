package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/verify"
)

// t0 is when the orders of the tests are placed.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func orderJSON(id, restaurant, user string, qty int) []byte {
	return orderAt(id, restaurant, user, qty, t0)
}

func orderAt(id, restaurant, user string, qty int, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"order_id":%q,"restaurant_id":%q,"user_id":%q,"items":[{"sku":"tea","qty":%d,"price_cents":250}],"total_cents":%d,"placed_at":%q}`,
		id, restaurant, user, qty, 250*qty, at.Format(time.RFC3339)))
}

// requests are what kitchens, couriers and users ask of order o-i: every
// kind of move, and moves the state machine refuses (after a rejection, a
// cancel after ready, a ready after a cancel, a repeat), for an order id
// never placed too.
func requests(i int) []streams.Request {
	id := fmt.Sprintf("o-%d", i)
	at := func(min int, s order.Status) streams.Request {
		return streams.Request{OrderID: id, Status: s, At: t0.Add(time.Duration(min) * time.Minute)}
	}
	switch i % 4 {
	case 0:
		return []streams.Request{at(5, order.StatusReady), at(9, order.StatusDelivered), at(10, order.StatusDelivered)}
	case 1:
		return []streams.Request{{OrderID: id, Status: order.StatusCancelled, At: t0.Add(time.Minute), Reason: "changed my mind"}}
	case 2:
		return []streams.Request{at(5, order.StatusReady), at(6, order.StatusCancelled)}
	}
	return []streams.Request{at(2, order.StatusCancelled), at(5, order.StatusReady), {OrderID: "ghost-" + id, Status: order.StatusCancelled}}
}

// TestVerify runs the processors on an embedded broker over orders with
// duplicates, conflicting duplicates and invalid records, and checks that
// verify finds the tables exact; then has the orders moved on, cancelled
// and retired from the audit, and checks again; then damages a table, the
// dead-letter topic, the audit, the inbox and order-status and checks
// that it finds exactly that; then stops the processors with input left
// and checks that it refuses to compare.
func TestVerify(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker and the processors")
	}
	kc := testutil.StartBroker(t, "verify-test", 3, processors.Topics())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
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
	// A user with more notifications than an inbox keeps.
	for i := range 30 {
		records = append(records, rec("orders", int32(i%3), "r-big", orderAt(fmt.Sprintf("big-%d", i), "r-big", "u-big", 1, t0.Add(time.Duration(i)*time.Second))))
	}
	produce(records...)

	pctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- processors.Run(pctx, runner.Config{Kafka: kc, Logger: slog.New(slog.DiscardHandler)}, processors.AllWith(processors.Config{AuditRetention: time.Second}))
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

	run := func(what string) *verify.Report {
		t.Helper()
		r, err := verify.Run(ctx, verify.Config{Kafka: kc, Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := r.Print(&out, 5); err != nil {
			t.Fatal(err)
		}
		t.Logf("verify %s:\n%s", what, out.String())
		return r
	}
	r := run("after the orders")
	if !r.OK() {
		t.Fatalf("differences in a correct run")
	}
	o := r.Orders
	if o.Records != 96 || o.Valid != 93 || o.Invalid != 3 || o.Distinct != 90 || o.Duplicates != 3 || r.DeadLetters != 3 || r.Restaurants != 5 || r.Users != 10 ||
		r.Changes != 180 || r.Inboxes != 10 {
		t.Errorf("counts %+v, %d dead letters, %d restaurants, %d users, %d changes, %d inboxes", o, r.DeadLetters, r.Restaurants, r.Users, r.Changes, r.Inboxes)
	}
	if len(r.Ambiguous) != 1 || r.Ambiguous[0].OrderID != "o-2" || len(r.Ambiguous[0].Copies) != 2 {
		t.Errorf("ambiguous = %+v, want order o-2 alone", r.Ambiguous)
	}
	// The copies that are other orders are listed, the producer retry of
	// o-1 is not.
	if len(r.Conflicts) != 2 || r.Conflicts[0].OrderID != "o-2" || r.Conflicts[1].OrderID != "o-3" ||
		r.Conflicts[1].Detail != `restaurant_id "r-2", first "r-3", user_id "u-2", first "u-3", total_cents 1750, first 250` {
		t.Errorf("conflicts = %+v, want o-2 and o-3", r.Conflicts)
	}

	// The kitchens, couriers and users move the orders on, in every way
	// the state machine allows and some it refuses.
	reqs, err := kgo.NewClient(append(opts, kgo.RecordPartitioner(kgoconf.GokaPartitioner()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer reqs.Close()
	for i := range 60 {
		for _, q := range requests(i) {
			value, _ := json.Marshal(q)
			if err := reqs.ProduceSync(ctx, &kgo.Record{Topic: string(streams.Requests), Key: []byte(q.OrderID), Value: value}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	time.Sleep(3 * lifecycle.RetireInterval(time.Second)) // finished orders retire
	r = run("after the moves")
	if !r.OK() {
		t.Fatalf("differences in a correct run")
	}
	if r.Changes <= 180 || r.Retired == 0 {
		t.Errorf("%d changes, %d orders retired: want more than 180, and some", r.Changes, r.Retired)
	}

	// Damage: one restaurant counted once too often, a dead letter twice,
	// an order the audit never had, a notification kept twice, a change
	// redelivered with other contents. The processors keep running: the
	// change is input of the notifier, and nothing else they read changes.
	rs := &restaurant.Stats{RestaurantID: "r-1", Orders: 99, Applied: exactly.Applied{}}
	value, _ := json.Marshal(rs)
	dead := firstRecord(ctx, t, opts, "orders-dlq")
	change := firstRecord(ctx, t, opts, string(streams.Changes))
	ghost, _ := json.Marshal(&lifecycle.Order{OrderID: "ghost", RestaurantID: "r-1", UserID: "u-1", Status: order.StatusPlaced,
		History: []lifecycle.Entry{{Status: order.StatusPlaced, At: t0}}})
	note := inbox.Entry{OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusPlaced, At: t0}
	twice, _ := json.Marshal(&inbox.Inbox{UserID: "u-1", Notifications: []inbox.Entry{note, note}})
	var c streams.Change
	if err := json.Unmarshal(change.Value, &c); err != nil {
		t.Fatal(err)
	}
	c.Reason = "not what happened"
	other, _ := json.Marshal(&c)
	produce(&kgo.Record{Topic: "orders-dlq", Partition: dead.Partition, Key: dead.Key, Value: dead.Value, Headers: dead.Headers},
		rec(string(streams.Changes), change.Partition, string(change.Key), other))
	// Where goka looks for the keys.
	if err := reqs.ProduceSync(ctx, rec(string(restaurant.Table), -1, "r-1", value),
		rec(string(lifecycle.Table), -1, "ghost", ghost), rec(string(inbox.Table), -1, "u-1", twice)).FirstErr(); err != nil {
		t.Fatal(err)
	}
	r = run("after the damage")
	got := map[string]bool{}
	for _, d := range r.Differences {
		got[d.Topic+"["+d.Key+"]"] = true
	}
	want := []string{"inbox-table[u-1]", "lifecycle-table[ghost]", "restaurant-table[r-1]"}
	if len(r.Differences) < 6 || !strings.Contains(r.Differences[0].Detail, "second dead letter") {
		t.Errorf("differences %v, want a second dead letter first", r.Differences)
	}
	for _, k := range want {
		if !got[k] {
			t.Errorf("differences %v, want %s among them", slices.Sorted(maps.Keys(got)), k)
		}
	}
	for k := range got {
		if !slices.Contains(want, k) && !strings.HasPrefix(k, "orders-dlq[") && !strings.HasPrefix(k, "order-status[") {
			t.Errorf("difference %s not planted", k)
		}
	}

	// Input nobody processes: verify does not compare.
	stopProcessors()
	produce(rec("orders", 0, "r", orderJSON("late", "r-1", "u-1", 1)))
	_, err = verify.Run(ctx, verify.Config{Kafka: kc, Timeout: 2 * time.Second})
	if !errors.Is(err, verify.ErrNotSettled) || !strings.Contains(err.Error(), "group ingest") {
		t.Errorf("Run with unprocessed input = %v, want %v naming group ingest", err, verify.ErrNotSettled)
	}
}

// firstRecord is a committed record of topic.
func firstRecord(ctx context.Context, t *testing.T, opts []kgo.Opt, topic string) *kgo.Record {
	t.Helper()
	fetch, err := kgo.NewClient(append(opts, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()))...)
	if err != nil {
		t.Fatal(err)
	}
	defer fetch.Close()
	var first *kgo.Record
	for first == nil {
		fetch.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			if first == nil {
				first = r
			}
		})
		if err := ctx.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return first
}
