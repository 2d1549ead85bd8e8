package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/views"
)

// Process names in the system, catch-up and demo sections.
const (
	ProcBroker  = "broker"
	ProcProcess = "process"
	ProcServe   = "serve"
	ProcEmit    = "emit"
	ProcDemo    = "demo"
)

// ProcCPU is the CPU time (user + system) one process, or the nodes of an
// Apache Kafka cluster together, spent in a window.
type ProcCPU struct {
	Process string
	CPU     time.Duration
}

// deployment is the system as a user deploys it, each command a child
// process of the orderstream binary with its state in a directory of its
// own: a broker (`orderstream broker --data-dir`, or an Apache Kafka
// cluster with Config.Kafka), the topics, and then, as the scenario asks,
// `process`, `serve` and `emit`.
type deployment struct {
	cfg Config
	dir string
	ps  *procs
	// brokers is the --brokers flag of the children; kafkaArgs all of
	// their Kafka flags.
	brokers   string
	kafkaArgs []string
	// watch holds the bench's own clients (end offsets, pre-produced
	// orders) and, with Config.Kafka, the Apache Kafka cluster.
	watch *cluster
	// pids are the processes whose CPU counts, by name; the nodes of an
	// Apache Kafka cluster share the name broker.
	pids []namedPID

	serveHTTP, processHTTP string
}

type namedPID struct {
	name string
	pid  int
}

// deploy starts a fresh broker and creates the topics with `orderstream
// topics`.
func deploy(ctx context.Context, cfg Config) (_ *deployment, err error) {
	if cfg.Binary == "" {
		return nil, errors.New("no orderstream binary to run (Config.Binary)")
	}
	d := &deployment{cfg: cfg}
	if d.dir, err = tempDir(cfg, "deploy"); err != nil {
		return nil, err
	}
	d.ps = newProcs(cfg.Binary, d.dir)
	defer func() {
		if err != nil {
			err = errors.Join(err, d.close())
		}
	}()
	replication := 1
	if cfg.Kafka > 0 {
		if d.watch, err = startApache(ctx, cfg); err != nil {
			return nil, err
		}
		for id := 1; id <= d.watch.apache.Nodes(); id++ {
			d.pids = append(d.pids, namedPID{ProcBroker, d.watch.apache.PID(id)})
		}
		d.brokers = strings.Join(d.watch.kafka.Brokers, ",")
		replication = cfg.Kafka
	} else {
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		b, err := d.ps.start(ProcBroker, "broker", "--listen", addr, "--data-dir", filepath.Join(d.dir, "broker"))
		if err != nil {
			return nil, err
		}
		d.pids = append(d.pids, namedPID{ProcBroker, b.pid()})
		if err := waitListening(ctx, cfg.Timeout, b, addr); err != nil {
			return nil, err
		}
		if d.watch, err = connect(ctx, cfg, addr); err != nil {
			return nil, err
		}
		d.brokers = addr
	}
	d.kafkaArgs = []string{"--brokers", d.brokers, "--partitions", strconv.Itoa(cfg.Partitions), "--replication", strconv.Itoa(replication)}
	if err := d.ps.run(ctx, "topics", append([]string{"topics"}, d.kafkaArgs...)...); err != nil {
		return nil, err
	}
	return d, nil
}

// startProcess starts `orderstream process` on an empty data directory;
// ready waits until its /readyz says so.
func (d *deployment) startProcess(ctx context.Context, ready bool) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"process", "--data-dir", filepath.Join(d.dir, "process"), "--http", addr}, d.kafkaArgs...)
	p, err := d.ps.start(ProcProcess, args...)
	if err != nil {
		return nil, err
	}
	d.pids = append(d.pids, namedPID{ProcProcess, p.pid()})
	d.processHTTP = addr
	if ready {
		return p, waitReady(ctx, d.cfg.Timeout, p, addr)
	}
	return p, nil
}

// startServe starts `orderstream serve` on an empty data directory and
// waits until its /readyz says it is ready.
func (d *deployment) startServe(ctx context.Context) (*proc, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := append([]string{"serve", "--data-dir", filepath.Join(d.dir, "serve"), "--http", addr}, d.kafkaArgs...)
	p, err := d.ps.start(ProcServe, args...)
	if err != nil {
		return nil, err
	}
	d.pids = append(d.pids, namedPID{ProcServe, p.pid()})
	d.serveHTTP = addr
	return p, waitReady(ctx, d.cfg.Timeout, p, addr)
}

// startEmit starts `orderstream emit --rate rate`, kitchens on as by
// default.
func (d *deployment) startEmit(rate float64) (*proc, error) {
	args := append([]string{"emit",
		"--rate", strconv.FormatFloat(rate, 'g', -1, 64),
		"--restaurants", strconv.Itoa(d.cfg.Restaurants),
		"--users", strconv.Itoa(d.cfg.SimUsers),
		"--seed", strconv.FormatUint(d.cfg.Seed, 10),
	}, d.kafkaArgs...)
	p, err := d.ps.start(ProcEmit, args...)
	if err != nil {
		return nil, err
	}
	d.pids = append(d.pids, namedPID{ProcEmit, p.pid()})
	return p, nil
}

// cpu reads the CPU time of every process so far, summed by name, in the
// order they were started.
func (d *deployment) cpu() ([]ProcCPU, error) {
	var out []ProcCPU
	for _, np := range d.pids {
		t, err := procCPU(np.pid)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", np.name, err)
		}
		if n := len(out); n > 0 && out[n-1].Process == np.name {
			out[n-1].CPU += t
			continue
		}
		out = append(out, ProcCPU{Process: np.name, CPU: t})
	}
	return out, nil
}

// ordersPlaced is the number of records on the orders topic.
func (d *deployment) ordersPlaced(ctx context.Context) (int64, error) {
	n, err := d.watch.endOffsets(ctx, string(order.Stream))
	if err != nil {
		return 0, fmt.Errorf("end offsets of %s: %w", order.Stream, err)
	}
	return n[string(order.Stream)], nil
}

// close stops every child, then the Apache Kafka cluster if there is
// one, and removes the directory.
func (d *deployment) close() error {
	errs := []error{d.ps.stopAll()}
	if d.watch != nil {
		errs = append(errs, d.watch.Close())
	}
	errs = append(errs, os.RemoveAll(d.dir))
	return errors.Join(errs...)
}

// statsOrders is the orders total of GET /api/stats at addr.
func statsOrders(ctx context.Context, client *http.Client, addr string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/api/stats", nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var s views.StatsResponse
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil || resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /api/stats: status %s (%v)", resp.Status, err)
	}
	return s.Orders, nil
}

// orderRecords draws n simulated orders, as `orderstream emit` places
// them, encoded for the orders topic and keyed by restaurant_id; placed a
// millisecond apart, ending now.
func orderRecords(cfg Config, n int) ([]*kgo.Record, error) {
	gen, err := simulator.NewGenerator(simulator.Config{
		Rate: 1, Restaurants: cfg.Restaurants, Users: cfg.SimUsers, Seed: cfg.Seed,
	}, simulator.NewRunID())
	if err != nil {
		return nil, fmt.Errorf("order generator: %w", err)
	}
	codec := new(order.Codec)
	at := time.Now().Add(-time.Duration(n) * time.Millisecond)
	out := make([]*kgo.Record, 0, n)
	for i := range n {
		o := gen.Next(at.Add(time.Duration(i) * time.Millisecond))
		b, err := codec.Encode(o)
		if err != nil {
			return nil, fmt.Errorf("encode order: %w", err)
		}
		out = append(out, &kgo.Record{Topic: string(order.Stream), Key: []byte(o.RestaurantID), Value: b})
	}
	return out, nil
}

// sumCPU is the total of cpu.
func sumCPU(cpu []ProcCPU) time.Duration {
	var t time.Duration
	for _, c := range cpu {
		t += c.CPU
	}
	return t
}

// cpuDelta is after minus before, process by process.
func cpuDelta(before, after []ProcCPU) []ProcCPU {
	out := make([]ProcCPU, len(after))
	for i, a := range after {
		out[i] = a
		for _, b := range before {
			if b.Process == a.Process {
				out[i].CPU -= b.CPU
			}
		}
	}
	return out
}
