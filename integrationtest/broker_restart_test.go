package integrationtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/views"

	"github.com/orderstream/orderstream/internal/testutil"
)

// compactInterval is how often the broker of TestBrokerRestart compacts
// the table topics: often, so that the views and processors recover from
// compacted topics, as they do in production after a while.
const compactInterval = 200 * time.Millisecond

// TestBrokerRestart stops the embedded broker and starts it again on the
// same data directory and port (picked free first, then reused), three
// ways:
//
//  1. While the processors and views run and are busy with a burst of
//     orders. They are left running: sarama retries and reconnects, goka's
//     views run with auto-reconnect, and the system must neither stop nor
//     lose or double-count an order. (The test fails if it stops on its
//     own: a processor that does not survive a broker restart in-process
//     would show up here.)
//  2. Down for a few seconds while the system runs: reads are served
//     from the views' local copies, the intake answers 503 with the
//     order_id, and the client's retry after the broker is back counts
//     once.
//  3. With the system stopped: orders are placed once the broker is back,
//     then the system starts again on its data directory.
//  4. A system on an empty data directory (a lost disk) recovers every
//     table from the compacted table topics and the committed offsets.
//
// Every phase ends with exact totals.
func TestBrokerRestart(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: testutil.FreeAddr(t), DataDir: t.TempDir(), CompactInterval: compactInterval}, logger)
	kc := kafkaConfig(b.addr())
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	l := newLedger()
	dups := 0 // order ids on orders more than once, see below

	sys.start()
	sys.waitReady()
	mustSimulate(t, kc, simConfig(200, 2000, 1), l, logger)
	waitExact(t, sys, l.expect())

	if !t.Run("while the system runs and processes orders", func(t *testing.T) {
		before := l.expect().orders
		const count = 600
		mustSimulate(t, kc, simConfig(count, 5000, 2), l, logger)
		// Restart once the processors are visibly in the middle of the burst.
		var counted int64
		waitFor(t, sys, "the processors to count new orders", func() (string, bool) {
			var stats views.StatsResponse
			if err := getJSON(t, sys.base+"/api/stats", &stats); err != nil {
				return err.Error(), false
			}
			counted = stats.Orders
			return fmt.Sprintf("%d orders counted", stats.Orders), stats.Orders >= int64(before+50)
		})
		restartAt := time.Now()
		b.restart()
		t.Logf("broker restarted in %v with %d of %d orders counted", time.Since(restartAt), counted, before+count)
		if counted >= int64(before+count) {
			t.Logf("note: the processors had finished the burst before the restart")
		}
		waitExact(t, sys, l.expect())
		t.Logf("totals exact %v after the broker restart", time.Since(restartAt))

		// And orders keep flowing through the restarted broker.
		mustSimulate(t, kc, simConfig(100, 2000, 3), l, logger)
		waitExact(t, sys, l.expect())
		checkNoDuplicatesOrInvalid(t, sys)
	}) {
		return
	}

	if !t.Run("down for a while, the system running", func(t *testing.T) {
		// Reads are served from the views' local copies meanwhile.
		down := time.Now()
		b.stop()
		if msg, ok := checkSummary(t, sys.base, l.expect()); !ok {
			t.Errorf("with the broker down: %s", msg)
		}
		// The intake cannot place an order and says so; the client
		// retries with the order_id it was given once the broker is back.
		body := `{"order_id":"outage-1","restaurant_id":"r-0001","user_id":"u-00001","items":[{"sku":"tea","qty":2,"price_cents":350}]}`
		code, _, resp, err := post(sys.base+"/api/orders", body, nil)
		if err != nil {
			t.Fatal(err)
		}
		var refused struct {
			Error   string `json:"error"`
			OrderID string `json:"order_id"`
		}
		if err := json.Unmarshal([]byte(resp), &refused); err != nil || code != http.StatusServiceUnavailable || refused.OrderID != "outage-1" {
			t.Errorf("POST with the broker down: %d %s, want 503 naming order outage-1", code, resp)
		}
		t.Logf("intake answered %d after %v with the broker down", code, time.Since(down))
		b.start()
		up := time.Now()
		placeOne(t, sys.base, body, l)
		t.Logf("retry placed %v after the broker came back", time.Since(up))
		// A later order of the same restaurant and user, so that their
		// last_order_at does not depend on which attempt was written.
		placeOne(t, sys.base, `{"order_id":"outage-2","restaurant_id":"r-0001","user_id":"u-00001","items":[{"sku":"tea","qty":1,"price_cents":350}]}`, l)
		waitExact(t, sys, l.expect())
		t.Logf("totals exact %v after the broker came back", time.Since(up))
		// The attempt answered 503 may have been written all the same
		// once the broker came back (the producer retries what it
		// holds); the lifecycle then drops the client's retry.
		dups = repeatedOrderIDs(t, b.addr())
		if dups > 1 {
			t.Errorf("%d records of orders repeat an order id, want at most the one retried", dups)
		}
		checkDuplicates(t, sys, dups)
	}) {
		return
	}

	if !t.Run("while the system is stopped", func(t *testing.T) {
		sys.stop()
		b.restart()
		mustSimulate(t, kc, simConfig(150, 2000, 4), l, logger)
		sys.start()
		t.Logf("system ready after %v", sys.waitReady())
		waitExact(t, sys, l.expect())
		checkDuplicates(t, sys, dups)
		sys.stop()
	}) {
		return
	}

	t.Run("a system on an empty data directory", func(t *testing.T) {
		b.restart()
		// The table topics have been compacted: the new system recovers
		// from what compaction left, not from every update ever made.
		waitFor(t, nil, "the broker to compact "+string(restaurant.Table), func() (string, bool) {
			start, err := logStart(b.addr(), string(restaurant.Table))
			return fmt.Sprintf("log start offsets %v (%v)", start, err), err == nil && start > 0
		})
		fresh := newSystem(t, kc, t.TempDir(), logger)
		fresh.start()
		t.Logf("system on an empty data directory ready after %v", fresh.waitReady())
		waitExact(t, fresh, l.expect())
		checkNoDuplicatesOrInvalid(t, fresh)
		fresh.stop()
	})
}

// outage is how long TestBrokerOutageWhileProcessing keeps the broker
// away: longer than sarama's leader lookup retries (about a second and a
// half), far shorter than the ten minutes kafkaconf lets a produce retry.
const outage = 4 * time.Second

// TestBrokerOutageWhileProcessing takes the broker away for a few seconds
// while the processors work through a backlog of orders. goka processors
// whose produces fail stop; their supervisor rebuilds them on the same
// local tables, so the system itself keeps running: it must never return.
// No order may be lost: every one of the backlog is on "orders", and the
// processors resume from their committed offsets. On failure the census shows, hop by hop, which stream lacks
// orders and how far the group reading it committed.
func TestBrokerOutageWhileProcessing(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: testutil.FreeAddr(t), DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	logCensusOnFailure(t, b.addr())
	l := newLedger()

	sys.start()
	sys.waitReady()
	const backlog = 3000
	mustSimulate(t, kc, simConfig(backlog, 20000, 1), l, logger)
	var counted int64
	waitFor(t, sys, "the processors to be busy with the backlog", func() (string, bool) {
		var stats views.StatsResponse
		if err := getJSON(t, sys.base+"/api/stats", &stats); err != nil {
			return err.Error(), false
		}
		counted = stats.Orders
		return fmt.Sprintf("%d orders counted", stats.Orders), stats.Orders >= 300
	})

	b.stop()
	time.Sleep(outage)
	b.start()
	t.Logf("broker away for %v with %d of %d orders counted", outage, counted, backlog)
	// waitExact fails the test should the system return.
	sys.waitReady()
	waitExact(t, sys, l.expect())
	checkNoDuplicatesOrInvalid(t, sys)
}

// logStart returns the sum of the log start offsets of topic's partitions:
// more than zero once compaction has removed records from its head.
func logStart(addr, topic string) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return listOffsets(ctx, cl, topic, -2) // earliest
}

// listOffsets sums the offsets of topic's three partitions at timestamp:
// -1 asks for the log end, -2 for the log start.
func listOffsets(ctx context.Context, cl *kgo.Client, topic string, timestamp int64) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := range int32(3) {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = timestamp
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, t := range resp.Topics {
		for _, p := range t.Partitions {
			if p.ErrorCode != 0 {
				return 0, fmt.Errorf("%s/%d: error code %d", t.Topic, p.Partition, p.ErrorCode)
			}
			sum += p.Offset
		}
	}
	return sum, nil
}

// placeOne posts body to the intake, which must accept it, and records the
// order placed in l.
func placeOne(t *testing.T, base, body string, l *ledger) {
	t.Helper()
	code, _, resp, err := post(base+"/api/orders", body, nil)
	if err != nil {
		t.Fatal(err)
	}
	var r intake.Response
	var req intake.Request
	if err := json.Unmarshal([]byte(resp), &r); err != nil || code != http.StatusAccepted {
		t.Fatalf("POST %s: %d %s", body, code, resp)
	}
	if err := json.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	items := make([]order.Item, len(req.Items))
	for i, it := range req.Items {
		items[i] = order.Item{SKU: it.SKU, Qty: *it.Qty, PriceCents: *it.PriceCents}
	}
	l.add(order.Order{OrderID: r.OrderID, RestaurantID: r.RestaurantID, UserID: r.UserID, Items: items, TotalCents: r.TotalCents, PlacedAt: r.PlacedAt})
}

// repeatedOrderIDs counts the records of orders that repeat an order id
// written before.
func repeatedOrderIDs(t *testing.T, addr string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	records, ids, _, err := readAll(ctx, addr, string(order.Stream), func(v []byte) string {
		var o struct {
			OrderID string `json:"order_id"`
		}
		json.Unmarshal(v, &o) // a record without an id counts as ""
		return o.OrderID
	})
	if err != nil {
		t.Fatal(err)
	}
	return records - len(ids)
}
