package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/streamsref"
	"github.com/orderstream/orderstream/order"
)

// ScenarioStreams runs the Kafka Streams reference application
// (kafka/streams, internal/streamsref) on the same broker kind and the
// same orders, beside orderstream's full topology.
const ScenarioStreams = "streams"

// errStreamsEmbedded is why the streams scenario needs --kafka: Kafka
// Streams 4.4's admin client cannot read the embedded broker's (kfake's)
// CreateTopics answers, so it cannot create its internal topics.
var errStreamsEmbedded = errors.New("the streams scenario needs Apache Kafka (--kafka 1 or 3): on the embedded broker " +
	"Kafka Streams fails creating its repartition topics (\"Could not create topic ...-repartition: " +
	"java.lang.IllegalArgumentException: id should be positive, id: -1\" in DescribeConfigsResponse.ConfigSource.forId: " +
	"kfake answers CreateTopics with config entries of source -1)")

// runStreams measures the Kafka Streams application: cold over the
// fixture's N orders (beside orderstream's full topology on the same
// orders), then CPU per order and probe latency at cfg.Rate for
// cfg.Duration.
func runStreams(ctx context.Context, cfg Config, f *fixture, w io.Writer) error {
	if cfg.Kafka == 0 {
		return errStreamsEmbedded
	}
	bctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	start := time.Now()
	_, err := streamsref.Build(bctx)
	cancel()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  kafka streams app built (or current) in %v\n", time.Since(start).Round(time.Millisecond))
	records, err := f.records(order.Stream)
	if err != nil {
		return err
	}
	var ks, ours []RunResult
	for run := range cfg.Runs {
		r, err := streamsColdRun(ctx, cfg, records)
		if err != nil {
			return fmt.Errorf("kafka streams cold run %d: %w", run+1, err)
		}
		ks = append(ks, r)
		fmt.Fprintf(w, "  kafka streams cold run %d: %s, JVM CPU %.1f us/order\n", run+1, r, micros(r.CPU)/float64(r.Orders))
		r, err = throughputRun(ctx, cfg, f, fullTopologyStage(), records, "")
		if err != nil {
			return fmt.Errorf("orderstream %s run %d: %w", FullTopology, run+1, err)
		}
		ours = append(ours, r)
		fmt.Fprintf(w, "  orderstream %s run %d: %s\n", FullTopology, run+1, r)
	}
	rate := func(rs []RunResult) float64 { return medianOf(rs, RunResult.Rate) }
	fmt.Fprintf(w, "  cold, median of %d: kafka streams %.0f orders/s, orderstream full topology %.0f orders/s (%.2fx kafka streams)\n",
		cfg.Runs, rate(ks), rate(ours), rate(ours)/rate(ks))
	fmt.Fprintf(w, "  (the baseline plain consumer on the same broker: run --only baseline,streams for the ratio to it)\n")
	return streamsRateRun(ctx, cfg, w)
}

func micros(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// streamsColdRun starts a fresh cluster, pre-produces the orders and times
// the application from its start until its restaurants count every order.
// CPU is the JVM's.
func streamsColdRun(ctx context.Context, cfg Config, records []*kgo.Record) (res RunResult, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	if err := c.produce(ctx, records); err != nil {
		return res, err
	}
	dir, err := tempDir(cfg, "streams")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	n := int64(len(records))
	var first time.Time
	var once sync.Once
	out, err := streamsref.Follow(ctx, c.kafka.Brokers, func(*streamsref.RestaurantStats, time.Time) {
		once.Do(func() { first = time.Now() })
	})
	if err != nil {
		return res, err
	}
	defer out.Close()
	start := time.Now()
	app, err := streamsref.Start(ctx, streamsref.Config{Bootstrap: c.kafka.Brokers, ApplicationID: "ks-bench",
		StateDir: dir, Threads: 1, Log: logWriter(cfg)})
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, app.Close()) }()
	done := func(context.Context) (bool, error) {
		if err := app.Err(); err != nil {
			return false, err
		}
		return out.RestaurantOrders() == n && out.Global().Orders == n, nil
	}
	if err := waitFor(ctx, cfg.Timeout, "kafka streams to count every order", done); err != nil {
		return res, err
	}
	end := time.Now()
	cpu, err := procCPU(app.PID())
	if err != nil {
		return res, err
	}
	return RunResult{Elapsed: end.Sub(start), Startup: first.Sub(start), Orders: int(n), CPU: cpu}, nil
}

// streamsRateRun produces orders at cfg.Rate for cfg.Duration into a
// running application, a probe order every 100 ms among them, and reports
// the JVM's (and the broker's) CPU per order and how long each probe took
// to show in its restaurant's statistics record.
func streamsRateRun(ctx context.Context, cfg Config, w io.Writer) (err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	dir, err := tempDir(cfg, "streams")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	var mu sync.Mutex
	sent := map[string]time.Time{} // probe sku → produced at
	var lat []time.Duration
	out, err := streamsref.Follow(ctx, c.kafka.Brokers, func(s *streamsref.RestaurantStats, at time.Time) {
		mu.Lock()
		defer mu.Unlock()
		for sku, t0 := range sent {
			if _, ok := s.ItemQty[sku]; ok {
				lat = append(lat, at.Sub(t0))
				delete(sent, sku)
			}
		}
	})
	if err != nil {
		return err
	}
	defer out.Close()
	app, err := streamsref.Start(ctx, streamsref.Config{Bootstrap: c.kafka.Brokers, ApplicationID: "ks-bench",
		StateDir: dir, Threads: 1, Log: logWriter(cfg)})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, app.Close()) }()

	gen, err := simulator.NewGenerator(simulator.Config{Rate: 1, Restaurants: cfg.Restaurants, Users: cfg.SimUsers, Seed: cfg.Seed + 1}, "ks-rate")
	if err != nil {
		return err
	}
	// Warm up for a second, then measure.
	produce := func(o *order.Order) error {
		b, err := o.AppendJSON(nil)
		if err != nil {
			return err
		}
		c.client.Produce(ctx, &kgo.Record{Topic: string(order.Stream), Key: []byte(o.RestaurantID), Value: b}, nil)
		return nil
	}
	interval := time.Duration(float64(time.Second) / cfg.Rate)
	tick := time.NewTicker(min(interval, 10*time.Millisecond))
	defer tick.Stop()
	var cpu0, broker0 time.Duration
	measureFrom := time.Now().Add(time.Second)
	end := measureFrom.Add(cfg.Duration)
	var produced, measured int
	started := time.Now()
	lastProbe, probes := time.Time{}, 0
	for now := time.Now(); now.Before(end); now = time.Now() {
		if err := app.Err(); err != nil {
			return err
		}
		if cpu0 == 0 && !now.Before(measureFrom) {
			if cpu0, err = procCPU(app.PID()); err != nil {
				return err
			}
			broker0 = brokerCPU(c)
			measured = produced
		}
		due := int(now.Sub(started).Seconds() * cfg.Rate)
		for ; produced < due; produced++ {
			o := gen.Next(time.Now())
			if cpu0 != 0 && time.Since(lastProbe) >= 100*time.Millisecond {
				probes++
				sku := "probe-" + strconv.Itoa(probes)
				o.Items = append(o.Items, order.Item{SKU: sku, Qty: 1, PriceCents: 100})
				o.TotalCents = order.Sum(o.Items)
				mu.Lock()
				sent[sku] = time.Now()
				mu.Unlock()
				lastProbe = time.Now()
			}
			if err := produce(o); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	cpu1, err := procCPU(app.PID())
	if err != nil {
		return err
	}
	broker1 := brokerCPU(c)
	orders := produced - measured
	// Let the last probes arrive.
	_ = waitFor(ctx, 10*time.Second, "the last probes", func(context.Context) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(sent) == 0, nil
	})
	mu.Lock()
	got, lost := slices.Clone(lat), len(sent)
	mu.Unlock()
	slices.Sort(got)
	pct := func(p float64) time.Duration {
		if len(got) == 0 {
			return 0
		}
		return got[min(len(got)-1, int(p*float64(len(got))))].Round(100 * time.Microsecond)
	}
	fmt.Fprintf(w, "  kafka streams at %.0f orders/s for %v: %d orders, JVM CPU %.1f us/order (%.2f cores), broker CPU %.1f us/order (%.2f cores)\n",
		cfg.Rate, cfg.Duration, orders, micros(cpu1-cpu0)/float64(orders), (cpu1-cpu0).Seconds()/cfg.Duration.Seconds(),
		micros(broker1-broker0)/float64(orders), (broker1-broker0).Seconds()/cfg.Duration.Seconds())
	fmt.Fprintf(w, "  kafka streams latency, produce → restaurant stats record: %d probes, p50 %v, p99 %v, max %v (%d not seen)\n",
		len(got), pct(0.5), pct(0.99), pct(1), lost)
	return nil
}

// brokerCPU is the CPU time of the Apache Kafka nodes so far.
func brokerCPU(c *cluster) time.Duration {
	var sum time.Duration
	if c.apache == nil {
		return 0
	}
	for id := 1; id <= c.apache.Nodes(); id++ {
		if d, err := procCPU(c.apache.PID(id)); err == nil {
			sum += d
		}
	}
	return sum
}

// logWriter sends the JVM's output to the bench's logger at debug level.
func logWriter(cfg Config) io.Writer { return slogWriter{cfg} }

type slogWriter struct{ cfg Config }

func (s slogWriter) Write(p []byte) (int, error) {
	s.cfg.Logger.Debug(strings.TrimSpace(string(p)), "component", "kafka-streams")
	return len(p), nil
}
