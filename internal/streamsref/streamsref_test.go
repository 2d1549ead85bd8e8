package streamsref

import (
	"context"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/order"
)

// requireJava skips the test when Java, Maven or the Kafka jars are
// missing, saying how to get them; in CI (CI=true) it fails instead.
func requireJava(t *testing.T) {
	t.Helper()
	err := kafkacluster.Available()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
		start := time.Now()
		_, err = Build(ctx)
		cancel()
		t.Logf("kafka streams app built (or current) in %v", time.Since(start).Round(time.Millisecond))
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("%v; %s", err, BuildHint)
	}
}

// input is what the test writes to "orders": valid orders, copies of some
// of them, and records orderstream refuses.
type input struct {
	records []*kgo.Record
	// valid are the distinct valid orders, by order_id.
	valid map[string]*order.Order
	// reasons counts the refused records by order.Reason.
	reasons map[string]int
}

// makeInput draws n orders from the simulator, sends every tenth of them
// a second time (some with placed_at changed: the same order retried),
// and mixes in records orderstream's order.Parse refuses. Whether a
// record is valid, and why not, is orderstream's decision, not the test's.
func makeInput(t *testing.T, n int) input {
	gen, err := simulator.NewGenerator(simulator.Config{Rate: 1, Restaurants: 20, Users: 300, Seed: 7}, "ks")
	if err != nil {
		t.Fatal(err)
	}
	in := input{valid: map[string]*order.Order{}, reasons: map[string]int{}}
	add := func(key string, value []byte) {
		in.records = append(in.records, &kgo.Record{Topic: string(order.Stream), Key: []byte(key), Value: value})
		o, err := order.Parse(value)
		if err != nil {
			in.reasons[string(order.ReasonOf(err))]++
			return
		}
		if _, dup := in.valid[o.OrderID]; !dup {
			in.valid[o.OrderID] = o
		}
	}
	encode := func(o *order.Order) []byte {
		b, err := o.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	var sent []*order.Order
	for i := range n {
		o := gen.Next(at.Add(time.Duration(i) * time.Millisecond))
		add(o.RestaurantID, encode(o))
		sent = append(sent, o)
		if i%10 == 5 {
			dup := *sent[i/2]
			if i%20 == 5 {
				dup.PlacedAt = dup.PlacedAt.Add(time.Minute) // a retry stamped anew
			}
			add(dup.RestaurantID, encode(&dup))
		}
		if i%100 == 50 {
			bad := *o
			bad.OrderID = fmt.Sprintf("bad-%d", i)
			switch i / 100 % 5 {
			case 0:
				bad.TotalCents++
			case 1:
				bad.UserID = "u/../1"
			case 2:
				bad.Items = nil
			case 3:
				bad.Items = append([]order.Item(nil), bad.Items...)
				bad.Items[0].Qty = 0
				bad.TotalCents = order.Sum(bad.Items)
			case 4:
				bad.PlacedAt = time.Time{}
			}
			add(bad.RestaurantID, encode(&bad))
		}
	}
	add("r-0001", []byte(`{"order_id": "x", "items": [`))
	add("r-0001", []byte("{\"order_id\":\"\xff\xfe\"}"))
	add("", []byte(`[1,2,3]`))
	add("r-0001", nil)
	return in
}

// TestReferenceStats runs the Kafka Streams application over orders with
// copies and refused records mixed in, on Apache Kafka, and checks every
// statistic against orderstream's own arithmetic (order.Parse, order.Sum,
// Quantity) over the same records: each distinct valid order counted once,
// in cents, every refused record dead-lettered with orderstream's reason.
func TestReferenceStats(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Apache Kafka and a Kafka Streams JVM")
	}
	requireJava(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	k, err := kafkacluster.Start(ctx, kafkacluster.Config{Nodes: 1, DataDir: t.TempDir(), Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := k.Close(); err != nil {
			t.Errorf("stop kafka: %v", err)
		}
	}()
	// Java's default partitioner (murmur2 of the key): a retried order
	// lands behind its first copy, so which copy counts is defined.
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.Bootstrap()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, string(order.Stream)); err != nil {
		t.Fatal(err)
	}
	in := makeInput(t, 2000)
	if err := cl.ProduceSync(ctx, in.records...).FirstErr(); err != nil {
		t.Fatal(err)
	}

	var log strings.Builder
	app, err := Start(ctx, Config{Bootstrap: k.Bootstrap(), ApplicationID: "ks-test", StateDir: t.TempDir(), Threads: 1, Log: &lockedWriter{b: &log}})
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	defer func() {
		if err := app.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			t.Logf("kafka streams app output:\n%s", log.String())
		}
	}()
	out, err := Follow(ctx, k.Bootstrap(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()

	// What orderstream's arithmetic makes of the same records.
	wantRest := map[string]RestaurantStats{}
	wantUsers := map[string]UserStats{}
	var want GlobalStats
	for _, o := range in.valid {
		r := wantRest[o.RestaurantID]
		r.RestaurantID = o.RestaurantID
		r.Orders++
		r.RevenueCents += order.Sum(o.Items)
		r.Items += o.Quantity()
		r.AvgOrderCents = r.RevenueCents / r.Orders
		if r.ItemQty == nil {
			r.ItemQty = map[string]int64{}
		}
		for _, it := range o.Items {
			r.ItemQty[it.SKU] += it.Qty
		}
		if o.PlacedAt.After(r.LastOrderAt) {
			r.LastOrderAt = o.PlacedAt
		}
		wantRest[o.RestaurantID] = r
		u := wantUsers[o.UserID]
		u.UserID = o.UserID
		u.Orders++
		u.SpentCents += o.TotalCents
		if u.Restaurants == nil {
			u.Restaurants = map[string]int64{}
		}
		u.Restaurants[o.RestaurantID]++
		if o.PlacedAt.After(u.LastOrderAt) {
			u.LastOrderAt = o.PlacedAt
		}
		wantUsers[o.UserID] = u
		want.Orders++
		want.RevenueCents += o.TotalCents
		want.Items += o.Quantity()
	}
	for id, u := range wantUsers {
		for r, n := range u.Restaurants {
			if best := u.Restaurants[u.FavouriteRestaurant]; n > best || (n == best && r < u.FavouriteRestaurant) || u.FavouriteRestaurant == "" {
				u.FavouriteRestaurant = r
			}
		}
		wantUsers[id] = u
	}
	want.Restaurants, want.Users = int64(len(wantRest)), int64(len(wantUsers))
	refused := 0
	for _, n := range in.reasons {
		refused += n
	}
	t.Logf("%d records: %d distinct valid orders, %d copies, %d refused %v", len(in.records), len(in.valid),
		len(in.records)-len(in.valid)-refused, refused, in.reasons)

	start := time.Now()
	for out.Global() != want || out.RestaurantOrders() != want.Orders || len(out.Users()) != len(wantUsers) {
		if err := app.Err(); err != nil {
			t.Fatal(err)
		}
		if ctx.Err() != nil {
			t.Fatalf("global statistics %+v, want %+v (restaurants sum to %d orders; last read error %v)",
				out.Global(), want, out.RestaurantOrders(), out.Err())
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("statistics complete %v after the app was running", time.Since(start).Round(time.Millisecond))
	// The last records may still be in flight behind the global ones.
	time.Sleep(time.Second)
	if got := out.Restaurants(); !maps.EqualFunc(got, wantRest, sameRestaurant) {
		for id, w := range wantRest {
			if g := got[id]; !sameRestaurant(g, w) {
				t.Errorf("restaurant %s: got %+v, want %+v", id, g, w)
			}
		}
		t.Errorf("%d restaurants, want %d", len(got), len(wantRest))
	}
	if got := out.Users(); !maps.EqualFunc(got, wantUsers, sameUser) {
		n := 0
		for id, w := range wantUsers {
			if g := got[id]; !sameUser(g, w) && n < 5 {
				t.Errorf("user %s: got %+v, want %+v", id, g, w)
				n++
			}
		}
		t.Errorf("%d users, want %d", len(got), len(wantUsers))
	}

	// Every refused record is dead-lettered once, with orderstream's reason.
	got, err := deadLetters(ctx, k.Bootstrap(), refused)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, in.reasons) {
		t.Errorf("dead letters by reason %v, want %v", got, in.reasons)
	}
}

func sameRestaurant(a, b RestaurantStats) bool {
	return a.RestaurantID == b.RestaurantID && a.Orders == b.Orders && a.RevenueCents == b.RevenueCents &&
		a.Items == b.Items && a.AvgOrderCents == b.AvgOrderCents && a.LastOrderAt.Equal(b.LastOrderAt) &&
		maps.Equal(a.ItemQty, b.ItemQty)
}

func sameUser(a, b UserStats) bool {
	return a.UserID == b.UserID && a.Orders == b.Orders && a.SpentCents == b.SpentCents &&
		a.FavouriteRestaurant == b.FavouriteRestaurant && a.LastOrderAt.Equal(b.LastOrderAt) &&
		maps.Equal(a.Restaurants, b.Restaurants)
}

// deadLetters reads n committed records of the dead-letter topic (and
// whatever else arrives within a second) and counts them by reason.
func deadLetters(ctx context.Context, brokers []string, n int) (map[string]int, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(DLQTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	out := map[string]int{}
	seen := 0
	for {
		wait := time.Second
		if seen < n {
			wait = time.Minute
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		fetches := cl.PollFetches(pctx)
		timedOut := pctx.Err()
		cancel()
		if timedOut != nil {
			if seen < n {
				return out, fmt.Errorf("%d dead letters, want %d: %w", seen, n, timedOut)
			}
			return out, nil
		}
		if err := fetches.Err(); err != nil {
			return out, err
		}
		fetches.EachRecord(func(r *kgo.Record) {
			seen++
			reason := "(none)"
			for _, h := range r.Headers {
				if h.Key == ReasonHeader {
					reason = string(h.Value)
				}
			}
			out[reason]++
		})
	}
}
