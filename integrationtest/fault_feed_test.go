package integrationtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
)

// feeder writes orders the way the outside world does: a plain Kafka
// client with Kafka's own partitioner, new orders mixed with exact
// resends (on the same partition or another), client retries that reuse
// an order id with a later placed_at, and malformed records, each
// malformed one unique so that its dead letter can be found.
type feeder struct {
	cl  *kgo.Client
	rng *rand.Rand

	mu        sync.Mutex
	sent      []*kgo.Record   // valid records written, to resend
	validIDs  map[string]bool // distinct order ids of valid records written
	malformed map[string]bool // key + "\x00" + value of every malformed record written
	records   int
}

func newFeeder(cl *kgo.Client, seed uint64) *feeder {
	return &feeder{cl: cl, rng: rand.New(rand.NewPCG(seed, 99)), validIDs: map[string]bool{}, malformed: map[string]bool{}}
}

var feedT0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func (f *feeder) newOrder(n int) order.Order {
	o := order.Order{
		OrderID:      fmt.Sprintf("f-%06d", n),
		RestaurantID: fmt.Sprintf("r-%02d", f.rng.IntN(20)),
		UserID:       fmt.Sprintf("u-%03d", f.rng.IntN(150)),
		PlacedAt:     feedT0.Add(time.Duration(n) * time.Second),
	}
	for range 1 + f.rng.IntN(3) {
		o.Items = append(o.Items, order.Item{SKU: fmt.Sprintf("sku-%d", f.rng.IntN(12)), Qty: int64(1 + f.rng.IntN(3)), PriceCents: int64(100 * (1 + f.rng.IntN(30)))})
	}
	o.TotalCents = order.Sum(o.Items)
	return o
}

// batch makes the next n records, starting with record number first.
func (f *feeder) batch(first, n int) []*kgo.Record {
	var out []*kgo.Record
	for i := first; i < first+n; i++ {
		switch k := f.rng.IntN(20); {
		case k < 12 || len(f.sent) == 0:
			o := f.newOrder(i)
			data, _ := json.Marshal(o)
			out = append(out, &kgo.Record{Topic: "orders", Key: []byte(o.RestaurantID), Value: data})
		case k < 14: // a resend of the very same record
			prev := f.sent[f.rng.IntN(len(f.sent))]
			out = append(out, &kgo.Record{Topic: "orders", Key: prev.Key, Value: prev.Value})
		case k < 15: // the same bytes under another key: another partition, most likely
			prev := f.sent[f.rng.IntN(len(f.sent))]
			out = append(out, &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprintf("other-%d", i)), Value: prev.Value})
		case k < 17: // a client retry: same order id and restaurant, later placed_at
			var o order.Order
			prev := f.sent[f.rng.IntN(len(f.sent))]
			if err := json.Unmarshal(prev.Value, &o); err != nil {
				panic(err)
			}
			o.PlacedAt = o.PlacedAt.Add(time.Millisecond)
			data, _ := json.Marshal(o)
			out = append(out, &kgo.Record{Topic: "orders", Key: prev.Key, Value: data})
		default: // malformed, each unique
			o := f.newOrder(i)
			var value []byte
			switch f.rng.IntN(5) {
			case 0:
				value = []byte(fmt.Sprintf(`{"order_id":"bad-%d",`, i))
			case 1:
				value = nil // a null record; its key makes it unique
			case 2:
				o.TotalCents++
				value, _ = json.Marshal(o)
			case 3:
				o.Items[0].Qty = 0
				o.TotalCents = order.Sum(o.Items)
				value, _ = json.Marshal(o)
			case 4:
				o.UserID = ""
				value, _ = json.Marshal(o)
			}
			out = append(out, &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprintf("bad-key-%d", i)), Value: value})
		}
	}
	return out
}

// run writes batches of about rate records per second until ctx ends, and
// returns the first error of a write that Kafka did not acknowledge
// within writeTimeout (it retries through broker restarts until then).
func (f *feeder) run(ctx context.Context, rate int) error {
	const perBatch, writeTimeout = 10, 2 * time.Minute
	tick := time.NewTicker(time.Second * perBatch / time.Duration(rate))
	defer tick.Stop()
	n := 0
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
		rs := f.batch(n, perBatch)
		n += perBatch
		wctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		err := f.write(wctx, rs)
		cancel()
		if err != nil {
			return err
		}
	}
}

// write produces rs and records them once Kafka acknowledged them.
func (f *feeder) write(ctx context.Context, rs []*kgo.Record) error {
	if err := f.cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return fmt.Errorf("write orders: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range rs {
		f.records++
		if o, err := order.Parse(r.Value); err == nil {
			f.validIDs[o.OrderID] = true
			f.sent = append(f.sent, r)
		} else {
			f.malformed[string(r.Key)+"\x00"+string(r.Value)] = true
		}
	}
	return nil
}

// counts returns the records written, the distinct order ids among the
// valid ones and the malformed ones.
func (f *feeder) counts() (records, distinct, malformed int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.records, len(f.validIDs), len(f.malformed)
}
