package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/orderstream/orderstream/order"
)

// Tuning values of the demo scenario.
const (
	// demoSample is how often the demo's RSS is read.
	demoSample = time.Second
	// compactEvery and compactFor: after the demo stops, a broker on its
	// data runs this many compactions this far apart, with no client.
	compactEvery = time.Second
	compactFor   = 3 * compactEvery
)

// DemoSoak is `orderstream demo --rate R` run for a while: its data
// directory per order placed, and its memory.
type DemoSoak struct {
	Rate     float64
	Duration time.Duration
	// Orders is the records on the orders topic at the end of the window
	// (what the simulator placed), Counted the orders GET /api/stats
	// showed then.
	Orders, Counted int64
	// RSS is VmRSS at the end of the window, HWM the peak (VmHWM), in
	// bytes; RSSMax is the largest VmRSS of the samples.
	RSS, HWM, RSSMax int64
	// Start is the data directory when the demo became ready, and
	// StartOrders the orders placed by then: the start of growth.
	Start       []DirSize
	StartOrders int64
	// Running is the data directory at the end of the window, orders
	// still flowing and the broker compacting every 30 s as demo does;
	// Compacted is the same directory once the demo has stopped and a
	// broker has compacted its topics with nothing flowing. Both are by
	// top-level entry.
	Running, Compacted []DirSize
	// Records is the records on each topic at the end of the window,
	// control records included: what an order costs the broker and its
	// readers, by topic.
	Records map[string]int64
	// CPU is the demo's user and system time from ready to the end of
	// the window (the orders of GrowthPerOrder's window).
	CPU time.Duration
}

// CPUPerOrder is CPU per order placed from ready to the end of the window.
func (d DemoSoak) CPUPerOrder() time.Duration { return perOrder(d.CPU, d.Orders-d.StartOrders) }

// RecordsPerOrder is the records on all topics at the end of the window
// per order placed.
func (d DemoSoak) RecordsPerOrder() float64 {
	var n int64
	for _, r := range d.Records {
		n += r
	}
	return countPer(n, d.Orders)
}

// BytesPerOrder is the compacted data directory per order placed.
func (d DemoSoak) BytesPerOrder() float64 { return countPer(totalBytes(d.Compacted), d.Orders) }

// GrowthPerOrder is the compacted data directory's growth since the demo
// became ready per order placed meanwhile: without the fixed cost of
// empty tables and logs, which a short run would spread over few orders.
func (d DemoSoak) GrowthPerOrder() float64 {
	return countPer(totalBytes(d.Compacted)-totalBytes(d.Start), d.Orders-d.StartOrders)
}

// RunningBytesPerOrder is the data directory per order at the end of the
// window.
func (d DemoSoak) RunningBytesPerOrder() float64 { return countPer(totalBytes(d.Running), d.Orders) }

// countPer is n per order of orders, 0 without orders: bytes or records.
func countPer(n, orders int64) float64 {
	if orders <= 0 {
		return 0
	}
	return float64(n) / float64(orders)
}

// runDemo runs `orderstream demo --rate rate --data-dir DIR` as a child for
// cfg.Duration once it is ready, sampling its RSS; reads the orders
// placed and the data directory; stops it cleanly; then runs `orderstream
// broker --data-dir DIR/broker` alone for a few compaction cycles and
// reads the directory again.
func runDemo(ctx context.Context, cfg Config, w io.Writer) (_ *DemoSoak, err error) {
	if cfg.Binary == "" {
		return nil, errors.New("no orderstream binary to run (Config.Binary)")
	}
	res := &DemoSoak{Rate: cfg.DemoRate, Duration: cfg.Duration}
	dir, err := tempDir(cfg, "demo")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	data := filepath.Join(dir, "data")
	ps := newProcs(cfg.Binary, dir)
	defer func() { err = errors.Join(err, ps.stopAll()) }()

	httpAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	kafkaAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	demo, err := ps.start(ProcDemo, "demo",
		"--rate", strconv.FormatFloat(cfg.DemoRate, 'g', -1, 64),
		"--data-dir", data, "--http", httpAddr, "--kafka-listen", kafkaAddr,
		"--partitions", strconv.Itoa(cfg.Partitions),
		"--restaurants", strconv.Itoa(cfg.Restaurants),
		"--users", strconv.Itoa(cfg.SimUsers),
		"--seed", strconv.FormatUint(cfg.Seed, 10))
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, cfg.Timeout, demo, httpAddr); err != nil {
		return nil, err
	}
	watch, err := connect(ctx, cfg, kafkaAddr)
	if err != nil {
		return nil, err
	}
	defer watch.client.Close()
	placed := func() (int64, error) {
		n, err := watch.endOffsets(ctx, string(order.Stream))
		if err != nil {
			return 0, fmt.Errorf("end offsets of %s: %w", order.Stream, err)
		}
		return n[string(order.Stream)], nil
	}
	if res.StartOrders, err = placed(); err != nil {
		return nil, err
	}
	if res.Start, err = dirSizes(data); err != nil {
		return nil, err
	}

	cpu0, err := procCPU(demo.pid())
	if err != nil {
		return nil, err
	}
	end := time.Now().Add(cfg.Duration)
	for time.Now().Before(end) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(min(demoSample, time.Until(end))):
		}
		if err := demo.exited(); err != nil {
			return nil, err
		}
		rss, _, err := procMemory(demo.pid())
		if err != nil {
			return nil, err
		}
		res.RSSMax = max(res.RSSMax, rss)
	}
	cpu1, err := procCPU(demo.pid())
	if err != nil {
		return nil, err
	}
	res.CPU = cpu1 - cpu0
	if res.RSS, res.HWM, err = procMemory(demo.pid()); err != nil {
		return nil, err
	}
	res.RSSMax = max(res.RSSMax, res.RSS)
	if res.Records, err = watch.endOffsets(ctx); err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	res.Orders = res.Records[string(order.Stream)]
	client := httpClient(1)
	defer client.CloseIdleConnections()
	if res.Counted, err = statsOrders(ctx, client, httpAddr); err != nil {
		return nil, err
	}
	if res.Running, err = dirSizes(data); err != nil {
		return nil, err
	}
	watch.client.Close()
	if err := demo.stop(); err != nil {
		return nil, err
	}

	// Compaction with nothing flowing: the demo's own broker code on the
	// demo's broker directory, alone.
	brokerAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	b, err := ps.start(ProcBroker, "broker", "--listen", brokerAddr,
		"--data-dir", filepath.Join(data, "broker"), "--compact-interval", compactEvery.String())
	if err != nil {
		return nil, err
	}
	if err := waitListening(ctx, cfg.Timeout, b, brokerAddr); err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(compactFor + compactEvery/2):
	}
	if err := b.stop(); err != nil {
		return nil, err
	}
	if res.Compacted, err = dirSizes(data); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "  demo at %g orders/s for %v: %d orders, %.1f records per order; data dir %s when ready, %s at the end, %s compacted (%s/order, growth %s/order); RSS %s, peak %s; CPU %s/order\n",
		res.Rate, res.Duration, res.Orders, res.RecordsPerOrder(), sizeString(totalBytes(res.Start)), sizeString(totalBytes(res.Running)), sizeString(totalBytes(res.Compacted)),
		bytesString(res.BytesPerOrder()), bytesString(res.GrowthPerOrder()), mib(res.RSS), mib(res.HWM), msf(res.CPUPerOrder()))
	return res, nil
}
