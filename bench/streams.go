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
// orders), then, at each of cfg.Rates, its CPU per order and probe
// latency beside orderstream's system deployed as separate processes on
// the same kind of broker at the same rate (the system scenario's run),
// the two alternating run by run.
func runStreams(ctx context.Context, cfg Config, f *fixture, w io.Writer) ([]StreamsRate, error) {
	if cfg.Kafka == 0 {
		return nil, errStreamsEmbedded
	}
	bctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	start := time.Now()
	_, err := streamsref.Build(bctx)
	cancel()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "  kafka streams app built (or current) in %v\n", time.Since(start).Round(time.Millisecond))
	records, err := f.records(order.Stream)
	if err != nil {
		return nil, err
	}
	var ks, ours []RunResult
	for run := range cfg.Runs {
		r, err := streamsColdRun(ctx, cfg, records)
		if err != nil {
			return nil, fmt.Errorf("kafka streams cold run %d: %w", run+1, err)
		}
		ks = append(ks, r)
		fmt.Fprintf(w, "  kafka streams cold run %d: %s, JVM CPU %.1f us/order\n", run+1, r, micros(r.CPU)/float64(r.Orders))
		r, err = throughputRun(ctx, cfg, f, fullTopologyStage(), records, "")
		if err != nil {
			return nil, fmt.Errorf("orderstream %s run %d: %w", FullTopology, run+1, err)
		}
		ours = append(ours, r)
		fmt.Fprintf(w, "  orderstream %s run %d: %s\n", FullTopology, run+1, r)
	}
	rate := func(rs []RunResult) float64 { return medianOf(rs, RunResult.Rate) }
	fmt.Fprintf(w, "  cold, median of %d: kafka streams %.0f orders/s, orderstream full topology %.0f orders/s (%.2fx kafka streams)\n",
		cfg.Runs, rate(ks), rate(ours), rate(ours)/rate(ks))
	fmt.Fprintf(w, "  (the baseline plain consumer on the same broker: run --only baseline,streams for the ratio to it)\n")

	var out []StreamsRate
	for _, r := range cfg.Rates {
		sr := StreamsRate{Rate: r, Ours: System{Rate: r}}
		for run := range cfg.Runs {
			k, err := streamsRateRun(ctx, cfg, r)
			if err != nil {
				return out, fmt.Errorf("kafka streams at %g orders/s, run %d: %w", r, run+1, err)
			}
			sr.KS = append(sr.KS, k)
			fmt.Fprintf(w, "  kafka streams %g orders/s run %d: %s\n", r, run+1, k)
			o, err := systemRun(ctx, cfg, r, w)
			if err != nil {
				return out, fmt.Errorf("orderstream at %g orders/s, run %d: %w", r, run+1, err)
			}
			sr.Ours.Runs = append(sr.Ours.Runs, o)
			fmt.Fprintf(w, "  orderstream %g orders/s run %d: %s\n", r, run+1, o)
		}
		out = append(out, sr)
	}
	return out, nil
}

// StreamsRate is Kafka Streams and orderstream at one fixed rate on the
// same kind of broker.
type StreamsRate struct {
	Rate float64
	KS   []StreamsRun
	Ours System
}

// StreamsRun is one window of Kafka Streams at a fixed rate.
type StreamsRun struct {
	// Orders produced in the window of Duration; JVM and Broker the CPU
	// the application and the Apache Kafka nodes spent in it.
	Orders      int
	Window      time.Duration
	JVM, Broker time.Duration
	// Samples are the probes' latencies, produce → restaurant statistics
	// record; Lost the probes never seen.
	Samples []time.Duration
	Lost    int
}

// CPUPerOrder is the JVM's and the broker's CPU per order.
func (r StreamsRun) CPUPerOrder() time.Duration { return perOrder(r.JVM+r.Broker, int64(r.Orders)) }

func (r StreamsRun) String() string {
	return fmt.Sprintf("%d orders, CPU %s/order (JVM %s, broker %s), %.2f cores; produce->stats record p50 %s p99 %s (%d probes, %d not seen)",
		r.Orders, msf(r.CPUPerOrder()), msf(perOrder(r.JVM, int64(r.Orders))), msf(perOrder(r.Broker, int64(r.Orders))),
		(r.JVM+r.Broker).Seconds()/r.Window.Seconds(), ms(percentile(r.Samples, 0.5)), ms(percentile(r.Samples, 0.99)),
		len(r.Samples), r.Lost)
}

// CPUPerOrder is the median of the Kafka Streams runs' CPU per order,
// JVM and broker.
func (s StreamsRate) CPUPerOrder() time.Duration {
	return s.part(func(r StreamsRun) time.Duration { return r.JVM + r.Broker })
}

// part is the median of the Kafka Streams runs' CPU per order of what f
// picks from each run.
func (s StreamsRate) part(f func(StreamsRun) time.Duration) time.Duration {
	return time.Duration(medianOf(s.KS, func(r StreamsRun) float64 { return float64(perOrder(f(r), int64(r.Orders))) }))
}

// P is the q-quantile of every Kafka Streams probe.
func (s StreamsRate) P(q float64) time.Duration {
	var all []time.Duration
	for _, r := range s.KS {
		all = append(all, r.Samples...)
	}
	slices.Sort(all)
	return percentile(all, q)
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

// streamsRateRun produces orders at rate into a running application on a
// fresh cluster, a probe order every 100 ms among them; after cfg.WarmUp
// (the JIT's and the first rebalance's, as the system scenario warms up)
// it measures for cfg.Duration the JVM's and the broker's CPU per order
// and how long each probe took to show in its restaurant's statistics
// record.
func streamsRateRun(ctx context.Context, cfg Config, rate float64) (res StreamsRun, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	dir, err := tempDir(cfg, "streams")
	if err != nil {
		return res, err
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
		return res, err
	}
	defer out.Close()
	app, err := streamsref.Start(ctx, streamsref.Config{Bootstrap: c.kafka.Brokers, ApplicationID: "ks-bench",
		StateDir: dir, Threads: 1, Log: logWriter(cfg)})
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, app.Close()) }()

	gen, err := simulator.NewGenerator(simulator.Config{Rate: 1, Restaurants: cfg.Restaurants, Users: cfg.SimUsers, Seed: cfg.Seed + 1}, "ks-rate")
	if err != nil {
		return res, err
	}
	produce := func(o *order.Order) error {
		b, err := o.AppendJSON(nil)
		if err != nil {
			return err
		}
		c.client.Produce(ctx, &kgo.Record{Topic: string(order.Stream), Key: []byte(o.RestaurantID), Value: b}, nil)
		return nil
	}
	interval := time.Duration(float64(time.Second) / rate)
	tick := time.NewTicker(min(interval, 10*time.Millisecond))
	defer tick.Stop()
	var cpu0, broker0 time.Duration
	var from time.Time
	measureFrom := time.Now().Add(cfg.WarmUp)
	end := measureFrom.Add(cfg.Duration)
	var produced, measured int
	started := time.Now()
	lastProbe, probes := time.Time{}, 0
	for now := time.Now(); now.Before(end); now = time.Now() {
		if err := app.Err(); err != nil {
			return res, err
		}
		if from.IsZero() && !now.Before(measureFrom) {
			if cpu0, err = procCPU(app.PID()); err != nil {
				return res, err
			}
			broker0, from, measured = brokerCPU(c), now, produced
		}
		due := int(now.Sub(started).Seconds() * rate)
		for ; produced < due; produced++ {
			o := gen.Next(time.Now())
			if !from.IsZero() && time.Since(lastProbe) >= 100*time.Millisecond {
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
				return res, err
			}
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
	}
	cpu1, err := procCPU(app.PID())
	if err != nil {
		return res, err
	}
	res.Window = time.Since(from)
	res.JVM, res.Broker, res.Orders = cpu1-cpu0, brokerCPU(c)-broker0, produced-measured
	// Let the last probes arrive.
	_ = waitFor(ctx, 10*time.Second, "the last probes", func(context.Context) (bool, error) {
		mu.Lock()
		defer mu.Unlock()
		return len(sent) == 0, nil
	})
	mu.Lock()
	res.Samples, res.Lost = slices.Clone(lat), len(sent)
	mu.Unlock()
	slices.Sort(res.Samples)
	return res, nil
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
