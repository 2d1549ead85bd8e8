package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

const partitions = 3

// startBroker starts an embedded broker with the three topics of ingest.
func startBroker(t testing.TB) kafkaconf.Config {
	t.Helper()
	return testutil.StartBroker(t, "ingest-test", partitions, topics.FromGraphs(ingest.Define(ingest.Hooks{})))
}

// produce writes records to "orders" on the partitions they name, as a
// writer with its own partitioner would, and sets their offsets.
func produce(t testing.TB, cl *kgo.Client, records []*kgo.Record) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, records...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// mixed returns n records for "orders": valid orders, some written twice,
// and invalid ones, on random partitions.
func mixed(rng *rand.Rand, n, first int) []*kgo.Record {
	var out []*kgo.Record
	for i := range n {
		id := first + i
		var value []byte
		switch rng.IntN(8) {
		case 0:
			value = []byte(`{"order_id":`)
		case 1:
			value = nil
		case 2:
			value = []byte(fmt.Sprintf(`{"order_id":"o-%d","restaurant_id":"r","user_id":"u","items":[],"total_cents":0,"placed_at":"2025-03-14T12:00:00Z"}`, id))
		default:
			value = []byte(fmt.Sprintf(`{"order_id":"o-%d","restaurant_id":"r-%d","user_id":"u-%d","items":[{"sku":"s","qty":%d,"price_cents":5}],"total_cents":%d,"placed_at":"2025-03-14T12:00:00Z"}`,
				id, id%7, id%11, 1+id%3, 5*(1+id%3)))
		}
		r := &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprintf("r-%d", id%7)), Value: value, Partition: rng.Int32N(partitions)}
		out = append(out, r)
		if rng.IntN(10) == 0 { // a producer retry: the same record again
			again := *r
			again.Partition = rng.Int32N(partitions)
			out = append(out, &again)
		}
	}
	return out
}

// readAll reads topic from the start with read_committed until it holds
// want records and no more arrive for a moment.
func readAll(t testing.TB, kc kafkaconf.Config, topic string, want int) []*kgo.Record {
	t.Helper()
	cl := testutil.KafkaClient(t, kc, kgo.ConsumeTopics(topic), kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var out []*kgo.Record
	deadline := time.Now().Add(60 * time.Second)
	quietUntil := time.Time{}
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fetches := cl.PollFetches(ctx)
		cancel()
		fetches.EachRecord(func(r *kgo.Record) { out = append(out, r) })
		switch {
		case len(out) > want:
			return out
		case len(out) == want && quietUntil.IsZero():
			quietUntil = time.Now().Add(time.Second)
		case len(out) == want && time.Now().After(quietUntil):
			return out
		case time.Now().After(deadline):
			t.Fatalf("%s: %d records after 60s, want %d", topic, len(out), want)
		}
	}
}

// runIngest runs an instance until the returned stop is called.
func runIngest(t *testing.T, kc kafkaconf.Config, id string, h ingest.Hooks) (stop func()) {
	t.Helper()
	return runIngestEvery(t, kc, id, 0, h)
}

// runIngestEvery runs an instance that starts a transaction at most every
// interval (the default when zero) until the returned stop is called.
func runIngestEvery(t *testing.T, kc kafkaconf.Config, id string, interval time.Duration, h ingest.Hooks) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ingest.Run(ctx, ingest.Config{Kafka: kc, InstanceID: id, Interval: interval, Hooks: h, Logger: slog.New(slog.DiscardHandler)})
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run(%s) = %v", id, err)
				}
			case <-time.After(60 * time.Second):
				t.Errorf("Run(%s) did not return", id)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// TestRunInterval: the orders that arrive within the interval after a
// transaction started go in the next one together, however far apart
// they come (here 30 ms, three times the default interval, which would
// give each its own).
func TestRunInterval(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	const interval, n = 5 * time.Second, 10
	kc := startBroker(t)
	producer := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	ended := make(chan ingest.Transaction, 2*n)
	runIngestEvery(t, kc, "ingest-paced", interval, ingest.Hooks{Ended: func(tx ingest.Transaction) { ended <- tx }})
	next := func() ingest.Transaction {
		select {
		case tx := <-ended:
			return tx
		case <-time.After(interval + time.Minute):
			t.Fatal("no transaction ended")
			return ingest.Transaction{}
		}
	}

	records := mixed(rand.New(rand.NewPCG(1, 1)), 40, 0)
	var valid []*kgo.Record
	for _, r := range records {
		if _, err := order.Parse(r.Value); err == nil && len(valid) <= n {
			valid = append(valid, r)
		}
	}
	produce(t, producer, valid[:1])
	if tx := next(); !tx.Committed || tx.Records != 1 {
		t.Fatalf("first transaction %+v, want one record committed", tx)
	}
	start := time.Now()
	for _, r := range valid[1:] {
		produce(t, producer, []*kgo.Record{r})
		time.Sleep(30 * time.Millisecond)
	}
	if time.Since(start) > interval/2 {
		t.Skipf("producing %d orders took %v: too slow a machine to tell one transaction of them from several", n, time.Since(start))
	}
	if tx := next(); !tx.Committed || tx.Records != n {
		t.Errorf("second transaction %+v, want the %d orders of the interval in it, committed", tx, n)
	}
}

// TestRunExactlyOnce writes valid, invalid and repeated records to
// "orders" while two instances share the partitions, one of them stopped
// and started again twice: every record lands exactly once on one of the
// outputs, valid ones in the partition goka's hasher picks for their
// order id, and the Invalid hook is called once per dead letter.
func TestRunExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	kc := startBroker(t)
	producer := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	rng := rand.New(rand.NewPCG(7, 7))
	calls := new(invalidCalls)
	txns := new(transactions)
	h := ingest.Hooks{Invalid: calls.invalid, Ended: txns.ended}

	var records []*kgo.Record
	batch := mixed(rng, 600, 0)
	produce(t, producer, batch)
	records = append(records, batch...)

	stopA := runIngest(t, kc, "ingest-a", h)
	stopB := runIngest(t, kc, "ingest-b", h)
	for round := range 2 {
		batch := mixed(rng, 600, 600*(round+1))
		produce(t, producer, batch)
		records = append(records, batch...)
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		stopA()
		stopA = runIngest(t, kc, "ingest-a", h)
	}
	batch = mixed(rng, 300, 1800)
	produce(t, producer, batch)
	records = append(records, batch...)

	valid, invalid := map[exactly.Pos]*kgo.Record{}, map[exactly.Pos]*kgo.Record{}
	for _, r := range records {
		pos := exactly.Pos{Partition: r.Partition, Offset: r.Offset}
		if _, err := order.Parse(r.Value); err != nil {
			invalid[pos] = r
		} else {
			valid[pos] = r
		}
	}
	out := readAll(t, kc, "status-requests", len(valid))
	dlq := readAll(t, kc, "orders-dlq", len(invalid))
	stopA()
	stopB()

	partitioner := kgoconf.GokaPartitioner().ForTopic("status-requests")
	seen := map[exactly.Pos]bool{}
	for _, r := range out {
		var p ingest.Placement
		if err := json.Unmarshal(r.Value, &p); err != nil {
			t.Fatal(err)
		}
		src, ok := valid[p.Source]
		switch {
		case !ok:
			t.Errorf("placement of %v: no valid record there", p.Source)
		case seen[p.Source]:
			t.Errorf("placement of %v twice", p.Source)
		case string(r.Key) != p.Order.OrderID:
			t.Errorf("placement of %v under key %q, want %q", p.Source, r.Key, p.Order.OrderID)
		case int(r.Partition) != partitioner.Partition(r, partitions):
			t.Errorf("order %s on partition %d, goka looks in %d", r.Key, r.Partition, partitioner.Partition(r, partitions))
		default:
			if want := mustParse(t, src.Value); p.Order.OrderID != want.OrderID || p.Order.TotalCents != want.TotalCents {
				t.Errorf("placement of %v is %+v, want %+v", p.Source, p.Order, want)
			}
		}
		seen[p.Source] = true
	}
	for _, r := range dlq {
		h := map[string]string{}
		for _, hd := range r.Headers {
			h[hd.Key] = string(hd.Value)
		}
		part, _ := strconv.Atoi(h[ingest.HeaderPartition])
		off, _ := strconv.ParseInt(h[ingest.HeaderOffset], 10, 64)
		pos := exactly.Pos{Partition: int32(part), Offset: off}
		src, ok := invalid[pos]
		switch {
		case !ok:
			t.Errorf("dead letter of %v: no invalid record there", pos)
		case seen[pos]:
			t.Errorf("dead letter of %v twice", pos)
		case string(r.Key) != string(src.Key) || string(r.Value) != string(src.Value):
			t.Errorf("dead letter of %v is %q=%q, want %q=%q", pos, r.Key, r.Value, src.Key, src.Value)
		case h[ingest.HeaderReason] != string(order.ReasonOf(must(order.Parse(src.Value)))) || h[ingest.HeaderTopic] != "orders":
			t.Errorf("dead letter of %v has headers %v", pos, h)
		}
		seen[pos] = true
	}
	if got := len(calls.got()); got != len(invalid) {
		t.Errorf("Invalid hook called %d times, want %d", got, len(invalid))
	}
	// The committed transactions hold every record once, whatever was
	// aborted and read again.
	if c := txns.sum(); c.Records != len(records) || c.Placed != len(valid) || c.DeadLetters != len(invalid) {
		t.Errorf("committed transactions: %+v, want %d records, %d placed, %d dead letters", c, len(records), len(valid), len(invalid))
	}
	t.Logf("%d records: %d valid, %d invalid", len(records), len(valid), len(invalid))
}

func must(_ *order.Order, err error) error { return err }

// transactions records Hooks.Ended.
type transactions struct {
	mu        sync.Mutex
	committed ingest.Transaction // sums of the committed ones
	aborted   int
}

func (c *transactions) ended(t ingest.Transaction) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !t.Committed {
		c.aborted++
		return
	}
	c.committed.Records += t.Records
	c.committed.Placed += t.Placed
	c.committed.DeadLetters += t.DeadLetters
}

func (c *transactions) sum() ingest.Transaction {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.committed
}
