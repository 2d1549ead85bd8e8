package integrationtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/ingest"
)

// TestPipelineExactTotals places orders from the three kinds of writers the
// system has, all at once: the simulator through goka's emitter, clients of
// POST /api/orders (some retrying), and a plain Kafka client with Kafka's
// own partitioner that also writes duplicates and garbage. Every number the
// API shows must equal a recomputation from the orders placed.
func TestPipelineExactTotals(t *testing.T) {
	skipShort(t)
	onBrokers(t, broker.Config{DataDir: t.TempDir()}, testPipelineExactTotals)
}

func testPipelineExactTotals(t *testing.T, addr string) {
	logger := newLogger(t)
	kc := kafkaConfig(addr)
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	sys.start()
	t.Logf("system ready after %v", sys.waitReady())

	l := newLedger()
	var (
		httpPlaced int          // requests answered 202
		raw        *rawProduced // what the plain client wrote
	)
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		_, err := simulate(gctx, kc, simulator.Config{Rate: 2000, Count: 300, Restaurants: 20, Users: 150, Seed: 7}, l, logger)
		return err
	})
	g.Go(func() error {
		var err error
		httpPlaced, err = placeOverHTTP(sys.base, l)
		return err
	})
	g.Go(func() error {
		var err error
		raw, err = produceRaw(gctx, addr, l)
		return err
	})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	distinct, dups := l.counts()
	// 300 simulated + 17 over HTTP + 50 from the plain client; 3 client
	// retries and 5 records produced twice.
	if distinct != 367 || dups != 8 || httpPlaced != 20 {
		t.Fatalf("ledger holds %d orders and %d duplicates, %d HTTP requests placed; want 367, 8, 20", distinct, dups, httpPlaced)
	}
	if raw.moved == 0 {
		t.Fatal("every plain-client record landed where goka's partitioner would put it: the test does not exercise repartitioning")
	}
	t.Logf("plain client: %d of %d records on another partition than goka's hasher picks", raw.moved, raw.records)

	e := l.expect()
	waitExact(t, sys, e)

	// Requests the intake refuses, and ids nobody ordered under.
	checkRefusals(t, sys.base)

	// The dead-letter topic: exactly the invalid records, unchanged, with
	// the reason and where they came from.
	checkDLQ(t, addr, raw.invalid)

	wantInvalid := map[order.Reason]int{}
	for _, inv := range raw.invalid {
		wantInvalid[inv.reason]++
	}
	waitFor(t, sys, "the invalid and duplicate order counters", func() (string, bool) {
		return checkCounters(t, sys.base, wantInvalid, dups)
	})
	m, err := scrape(t, sys.base)
	if err != nil {
		t.Fatal(err)
	}
	if got := m[fmt.Sprintf("orderstream_orders_emitted_total{source=%q}", metrics.SourceIntake)]; got != 20 {
		t.Errorf("orders emitted by the intake: %v, want 20", got)
	}

	// Everything above took a while: nothing may have moved since.
	assertStillExact(t, sys, e)
	sys.stop()
}

// placeOverHTTP places 17 orders with 20 POST /api/orders requests: orders
// with a client order_id, with a server-made one, and with an
// Idempotency-Key, and three retries (two resending the order_id, one the
// Idempotency-Key) that must come back with the first attempt's order_id.
// It records every accepted order in l and returns the number of 202s.
func placeOverHTTP(base string, l *ledger) (int, error) {
	type request struct {
		body   intake.Request
		header map[string]string
	}
	restaurants := []string{"r-0001", "r-0002", "r-0003", "r-0030", "r-0031"}
	var reqs []request
	for i := range 17 {
		qty, price := int64(1+i%3), int64(300+10*i)
		two := int64(2)
		r := request{body: intake.Request{
			RestaurantID: restaurants[i%len(restaurants)],
			UserID:       fmt.Sprintf("u-%05d", 1+i%6),
			Items: []intake.RequestItem{
				{SKU: "http-tea", Qty: &qty, PriceCents: &price},
				{SKU: fmt.Sprintf("http-dish-%d", i%4), Qty: &two, PriceCents: &price},
			},
		}}
		switch i % 3 {
		case 0:
			r.body.OrderID = fmt.Sprintf("http-%02d", i)
		case 2:
			r.header = map[string]string{intake.IdempotencyHeader: fmt.Sprintf("key-%02d", i)}
		}
		reqs = append(reqs, r)
	}
	// Retries: of request 0 at once, of 3 (order_id) and 2 (key) at the end.
	sequence := []int{0, 0, 1}
	for i := 2; i < 17; i++ {
		sequence = append(sequence, i)
	}
	sequence = append(sequence, 3, 2)

	firstID := map[int]string{}
	placed := 0
	for _, i := range sequence {
		body, err := json.Marshal(reqs[i].body)
		if err != nil {
			return placed, err
		}
		code, _, resp, err := post(base+"/api/orders", string(body), reqs[i].header)
		if err != nil {
			return placed, err
		}
		if code != http.StatusAccepted {
			return placed, fmt.Errorf("POST /api/orders %s: %d %s", body, code, resp)
		}
		placed++
		var r intake.Response
		if err := json.Unmarshal([]byte(resp), &r); err != nil {
			return placed, fmt.Errorf("POST /api/orders: decode %q: %v", resp, err)
		}
		if id, retry := firstID[i]; retry && r.OrderID != id {
			return placed, fmt.Errorf("retry of request %d placed order %s, the first attempt %s", i, r.OrderID, id)
		}
		firstID[i] = r.OrderID
		items := make([]order.Item, len(reqs[i].body.Items))
		for j, it := range reqs[i].body.Items {
			items[j] = order.Item{SKU: it.SKU, Qty: *it.Qty, PriceCents: *it.PriceCents}
		}
		if r.TotalCents != order.Sum(items) || r.Status != intake.StatusPlaced || r.PlacedAt.IsZero() {
			return placed, fmt.Errorf("POST /api/orders answered %s for items %v", resp, items)
		}
		l.add(order.Order{OrderID: r.OrderID, RestaurantID: r.RestaurantID, UserID: r.UserID, Items: items, TotalCents: r.TotalCents, PlacedAt: r.PlacedAt})
	}
	return placed, nil
}

// invalidRecord is a record the ingest processor must dead-letter.
type invalidRecord struct {
	key, value []byte
	reason     order.Reason
	partition  int32 // where it landed on "orders"
	offset     int64
}

// rawProduced is what produceRaw wrote.
type rawProduced struct {
	records int
	moved   int // records on another partition than goka's hasher picks
	invalid []*invalidRecord
}

// produceRaw writes to "orders" with franz-go and its default partitioner
// (Kafka's murmur2, where goka uses FNV-1a): 50 valid orders keyed by
// restaurant_id, 5 of them twice, and 7 invalid records. The valid orders go
// into l.
func produceRaw(ctx context.Context, addr string, l *ledger) (*rawProduced, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(string(order.Stream)))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	gokaPartitioner := sarama.NewCustomHashPartitioner(goka.DefaultHasher())(string(order.Stream))
	out := &rawProduced{}
	produce := func(key string, value []byte) (*kgo.Record, error) {
		rec := &kgo.Record{Key: []byte(key), Value: value}
		if err := cl.ProduceSync(ctx, rec).FirstErr(); err != nil {
			return nil, fmt.Errorf("produce %s: %w", key, err)
		}
		out.records++
		p, err := gokaPartitioner.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(key)}, 3)
		if err != nil {
			return nil, err
		}
		if p != rec.Partition {
			out.moved++
		}
		return rec, nil
	}

	base := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	valid := make([]order.Order, 50)
	for i := range valid {
		rid := fmt.Sprintf("r-%04d", 1+i%8) // shared with the simulator's catalog
		if i%10 >= 8 {
			rid = fmt.Sprintf("r-%04d", 40+i%2) // only this client's
		}
		items := []order.Item{{SKU: "raw-dumpling", Qty: int64(1 + i%4), PriceCents: 450}}
		if i%3 == 0 {
			items = append(items, order.Item{SKU: fmt.Sprintf("raw-noodles-%d", i%5), Qty: 1, PriceCents: int64(800 + i)})
		}
		valid[i] = order.Order{
			OrderID:      fmt.Sprintf("raw-%02d", i),
			RestaurantID: rid,
			UserID:       fmt.Sprintf("u-%05d", 1+(i*7)%40),
			Items:        items,
			TotalCents:   order.Sum(items),
			PlacedAt:     base.Add(time.Duration(i) * time.Minute),
		}
	}
	validJSON := func(o order.Order) []byte {
		b, err := json.Marshal(o)
		if err != nil {
			panic(err) // an order.Order always encodes
		}
		return b
	}
	// Each invalid record is an order with one thing wrong, or no order.
	bad := func(mutate func(o *order.Order)) []byte {
		o := valid[0]
		o.OrderID = "raw-bad"
		o.Items = append([]order.Item(nil), o.Items...)
		mutate(&o)
		return validJSON(o)
	}
	invalid := []*invalidRecord{
		{key: []byte("r-0001"), value: []byte(`{"order_id":"raw-broken","restaurant_id":"r-0001",`), reason: order.ReasonMalformed},
		{key: []byte("r-0002"), value: bad(func(o *order.Order) { o.TotalCents++ }), reason: order.ReasonTotalMismatch},
		{key: []byte("r-0003"), value: bad(func(o *order.Order) { o.Items[0].Qty = 0; o.TotalCents = 0 }), reason: order.ReasonBadQty},
		{key: []byte("r-0004"), value: nil, reason: order.ReasonMalformed}, // a null value
		{key: []byte("r-0005"), value: bad(func(o *order.Order) { o.UserID = "" }), reason: order.ReasonMissingUser},
		{key: []byte("r-0006"), value: bad(func(o *order.Order) { o.Items = []order.Item{}; o.TotalCents = 0 }), reason: order.ReasonNoItems},
		{key: []byte("r-0007"), value: bad(func(o *order.Order) { o.OrderID = "" }), reason: order.ReasonMissingOrderID},
	}
	for _, inv := range invalid {
		if _, err := order.Parse(inv.value); order.ReasonOf(err) != inv.reason {
			return nil, fmt.Errorf("test bug: invalid record %s parses with %v, want reason %s", inv.value, err, inv.reason)
		}
	}

	duplicated := map[int]bool{3: true, 11: true, 19: true, 27: true, 42: true}
	for i, o := range valid {
		if _, err := produce(o.RestaurantID, validJSON(o)); err != nil {
			return nil, err
		}
		l.add(o)
		// One duplicate right behind its original, the others at the end.
		if i == 3 {
			if _, err := produce(o.RestaurantID, validJSON(o)); err != nil {
				return nil, err
			}
			l.add(o)
		}
		if i%7 == 6 && i/7 < len(invalid) {
			inv := invalid[i/7]
			rec, err := produce(string(inv.key), inv.value)
			if err != nil {
				return nil, err
			}
			inv.partition, inv.offset = rec.Partition, rec.Offset
		}
	}
	for i := range valid {
		if duplicated[i] && i != 3 {
			if _, err := produce(valid[i].RestaurantID, validJSON(valid[i])); err != nil {
				return nil, err
			}
			l.add(valid[i])
		}
	}
	out.invalid = invalid
	return out, nil
}

// checkRefusals checks the JSON refusals: an invalid POST is a 400 with
// the reason, a malformed one a 400, unknown ids 404s.
func checkRefusals(t *testing.T, base string) {
	t.Helper()
	type errorBody struct {
		Error  string       `json:"error"`
		Reason order.Reason `json:"reason"`
	}
	decode := func(what string, header http.Header, body string) errorBody {
		t.Helper()
		if ct := header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q, want application/json", what, ct)
		}
		var e errorBody
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil || e.Error == "" {
			t.Errorf("%s: body %q is not a JSON error (%v)", what, body, err)
		}
		return e
	}

	code, header, body, err := post(base+"/api/orders", `{"restaurant_id":"r-0001","user_id":"u-00001","items":[{"sku":"tea","qty":0,"price_cents":300}]}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := decode("POST qty 0", header, body); code != http.StatusBadRequest || e.Reason != order.ReasonBadQty {
		t.Errorf("POST qty 0: %d %s, want 400 with reason %s", code, body, order.ReasonBadQty)
	}
	code, header, body, err = post(base+"/api/orders", `{"restaurant_id":"r-0001",`, nil)
	if err != nil {
		t.Fatal(err)
	}
	if decode("POST malformed", header, body); code != http.StatusBadRequest {
		t.Errorf("POST malformed: %d %s, want 400", code, body)
	}
	for _, path := range []string{"/api/restaurants/r-nobody", "/api/users/u-nobody"} {
		resp, err := httpClient.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if decode("GET "+path, resp.Header, buf.String()); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d %s, want 404", path, resp.StatusCode, buf.String())
		}
	}
}

// dlqSettle is how long checkDLQ listens for records beyond those expected.
const dlqSettle = 2 * time.Second

// checkDLQ reads orders-dlq with franz-go and checks that it holds exactly
// the records of want, each with its original key and bytes and headers
// naming the reason and the record's position on "orders".
func checkDLQ(t *testing.T, addr string, want []*invalidRecord) {
	t.Helper()
	topic := string(ingest.DLQ)
	// Read committed: a writer using transactions must not show aborted
	// attempts. Offsets are not counted, since transaction markers take
	// some: the records are.
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()

	var got []*kgo.Record
	poll := func(ctx context.Context) {
		fs := cl.PollFetches(ctx)
		fs.EachError(func(topic string, p int32, err error) {
			if ctx.Err() == nil {
				t.Errorf("fetch %s/%d: %v", topic, p, err)
			}
		})
		got = append(got, fs.Records()...)
	}
	for len(got) < len(want) && ctx.Err() == nil {
		poll(ctx)
	}
	if len(got) < len(want) {
		t.Fatalf("%s: %d records within %v, want %d", topic, len(got), waitTimeout, len(want))
	}
	// The pipeline has settled (the totals are exact): anything more
	// would have arrived by now. Listen a moment longer for extras.
	settle, cancelSettle := context.WithTimeout(ctx, dlqSettle)
	for settle.Err() == nil {
		poll(settle)
	}
	cancelSettle()
	if len(got) != len(want) {
		t.Errorf("%s holds %d records, want %d", topic, len(got), len(want))
	}

	byPos := map[string]*invalidRecord{}
	for _, w := range want {
		byPos[fmt.Sprintf("%d@%d", w.partition, w.offset)] = w
	}
	for _, r := range got {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		pos := h[ingest.HeaderPartition] + "@" + h[ingest.HeaderOffset]
		w, ok := byPos[pos]
		if !ok {
			t.Errorf("dead letter %s=%q with headers %v: no invalid record was produced at %s", r.Key, r.Value, h, pos)
			continue
		}
		delete(byPos, pos)
		if !bytes.Equal(r.Key, w.key) || !bytes.Equal(r.Value, w.value) || (r.Value == nil) != (w.value == nil) {
			t.Errorf("dead letter of %s: key %q value %q, want the original %q %q", pos, r.Key, r.Value, w.key, w.value)
		}
		if h[ingest.HeaderReason] != string(w.reason) || h[ingest.HeaderTopic] != string(order.Stream) ||
			!strings.Contains(h[ingest.HeaderError], string(w.reason)) {
			t.Errorf("dead letter of %s (%q): headers %v, want reason %s, topic %s and an error naming the reason", pos, w.value, h, w.reason, order.Stream)
		}
	}
	for pos, w := range byPos {
		t.Errorf("invalid record %q at %s (%s) was not dead-lettered", w.value, pos, w.reason)
	}
}
