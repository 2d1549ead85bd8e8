package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// catchUpPoll is how often the catch-up scenario asks GET /api/stats.
const catchUpPoll = 20 * time.Millisecond

// Catchup is the cold catch-up of `orderstream process` over pre-produced
// orders, beside a plain client's read of the same orders on the same
// broker.
type Catchup struct {
	Orders int
	Runs   []CatchupRun
}

// CatchupRun is one run.
type CatchupRun struct {
	// Elapsed runs from starting `orderstream process` on an empty data
	// directory until GET /api/stats of serve counts every order.
	Elapsed time.Duration
	// CPU is what broker, serve and process spent meanwhile.
	CPU []ProcCPU
	// Baseline is the plain franz-go consumer's read of the same orders
	// from the same broker, just before.
	Baseline RunResult
}

// Rate is orders/s of the catch-up.
func (r CatchupRun) Rate(orders int) float64 { return perSecond(int64(orders), r.Elapsed) }

// Rate is the median catch-up rate.
func (c Catchup) Rate() float64 {
	return medianOf(c.Runs, func(r CatchupRun) float64 { return r.Rate(c.Orders) })
}

// BaselineRate is the median rate of the plain client.
func (c Catchup) BaselineRate() float64 {
	return medianOf(c.Runs, func(r CatchupRun) float64 { return r.Baseline.Rate() })
}

// Ratio is the median of each run's catch-up rate over its baseline's.
func (c Catchup) Ratio() float64 {
	return medianOf(c.Runs, func(r CatchupRun) float64 {
		if b := r.Baseline.Rate(); b > 0 {
			return r.Rate(c.Orders) / b
		}
		return 0
	})
}

// CPUPerOrder is the median CPU of broker, serve and process per order.
func (c Catchup) CPUPerOrder() time.Duration {
	return time.Duration(medianOf(c.Runs, func(r CatchupRun) float64 {
		return float64(perOrder(sumCPU(r.CPU), int64(c.Orders)))
	}))
}

// runCatchup pre-produces cfg.N orders on a fresh deployment, reads them
// with the plain client, then starts serve and, on an empty data
// directory, process, and times until serve counts every order; cfg.Runs
// times.
func runCatchup(ctx context.Context, cfg Config, w io.Writer) (*Catchup, error) {
	c := &Catchup{Orders: cfg.N}
	records, err := orderRecords(cfg, cfg.N)
	if err != nil {
		return nil, err
	}
	for run := range cfg.Runs {
		r, err := catchupRun(ctx, cfg, records)
		if err != nil {
			return c, fmt.Errorf("run %d: %w", run+1, err)
		}
		c.Runs = append(c.Runs, r)
		fmt.Fprintf(w, "  catch-up run %d: %d orders in %v, %s orders/s, %.3fx the plain client (%s orders/s); CPU %s/order\n",
			run+1, cfg.N, r.Elapsed.Round(time.Millisecond), si(r.Rate(cfg.N)), r.Rate(cfg.N)/r.Baseline.Rate(),
			si(r.Baseline.Rate()), us(perOrder(sumCPU(r.CPU), int64(cfg.N))))
	}
	return c, nil
}

func catchupRun(ctx context.Context, cfg Config, records []*kgo.Record) (_ CatchupRun, err error) {
	var res CatchupRun
	d, err := deploy(ctx, cfg)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, d.close()) }()
	if err := d.watch.produce(ctx, records); err != nil {
		return res, err
	}
	labelled(ctx, "baseline", func(ctx context.Context) {
		res.Baseline, err = consumeAll(ctx, cfg, d.watch.kafka.Brokers[0], len(records))
	})
	if err != nil {
		return res, fmt.Errorf("plain client: %w", err)
	}
	serve, err := d.startServe(ctx)
	if err != nil {
		return res, err
	}
	cpu0, err := d.cpu()
	if err != nil {
		return res, err
	}
	start := time.Now()
	process, err := d.startProcess(ctx, false)
	if err != nil {
		return res, err
	}
	client := httpClient(1)
	defer client.CloseIdleConnections()
	want := int64(len(records))
	err = pollEvery(ctx, cfg.Timeout, catchUpPoll, fmt.Sprintf("serve to count %d orders", want), func(ctx context.Context) (bool, error) {
		if err := errors.Join(process.exited(), serve.exited()); err != nil {
			return false, err
		}
		n, err := statsOrders(ctx, client, d.serveHTTP)
		return n >= want, err
	})
	res.Elapsed = time.Since(start)
	if err != nil {
		return res, err
	}
	cpu1, err := d.cpu()
	if err != nil {
		return res, err
	}
	res.CPU = cpuDelta(cpu0, cpu1)
	return res, nil
}
