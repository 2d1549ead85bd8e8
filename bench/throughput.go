package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
)

// FullTopology is the subject of the throughput run of every processor
// together.
const FullTopology = "full topology"

// stage is one throughput measurement: the processors to run, the topic
// to fill, and the table topics whose record counts say "done".
type stage struct {
	subject string
	groups  []string
	input   goka.Stream
	// done maps a topic to the records it holds once every order went
	// through, for processors that write once per message.
	done map[string]int64
	// sum, for cached tables (written once per flush), is the table
	// whose values sum to want once every order went through.
	sum *summed
	// consumed, for a processor whose output counts transaction markers
	// too (ingest), is the group whose committed offsets on input say
	// "done" once they reach its end.
	consumed string
	// first is the topic whose first record marks the end of start-up.
	first string
}

// summed is a table that is done when its values sum to want.
type summed struct {
	topic string
	want  counts
}

// stages are the processors alone, upstream first. The full topology,
// every group of processors.All, is done when the global table says so
// (see fullDone).
func stages(f *fixture) []stage {
	n := int64(len(f.orders))
	return []stage{
		{subject: "ingest alone", groups: []string{string(ingest.Group)}, input: order.Stream,
			consumed: string(ingest.Group), first: string(ingest.Output)},
		{subject: "lifecycle alone", groups: []string{string(lifecycle.Group)}, input: ingest.Output,
			done: map[string]int64{string(lifecycle.Table): n}, first: string(lifecycle.Table)},
		{subject: "restaurant alone", groups: []string{string(restaurant.Group)}, input: streams.ByRestaurant,
			sum: &summed{string(restaurant.Table), counts{orders: n}}, first: string(restaurant.Table)},
		{subject: "user alone", groups: []string{string(user.Group)}, input: streams.ByUser,
			sum: &summed{string(user.Table), counts{orders: n}}, first: string(user.Table)},
		{subject: "global alone", groups: []string{string(global.Group)}, input: streams.Deltas,
			sum: &summed{string(global.Table), counts{orders: n, users: int64(f.users)}}, first: string(global.Table)},
	}
}

// fullTopologyStage is every processor together, fed "orders".
func fullTopologyStage() stage {
	return stage{subject: FullTopology, groups: processors.Names(), input: order.Stream, first: string(ingest.Output)}
}

// runThroughput measures each processor alone, then all of them, each
// cfg.Runs times on a fresh broker. The clock runs from building the
// processors (cold: empty local state, a new consumer group) until the
// tables hold every order.
func runThroughput(ctx context.Context, cfg Config, f *fixture, w io.Writer) ([]Throughput, error) {
	var out []Throughput
	all := append(stages(f), fullTopologyStage())
	for _, st := range all {
		records, err := f.records(st.input)
		if err != nil {
			return out, err
		}
		t := Throughput{Subject: st.subject, Groups: st.groups, Orders: len(f.orders)}
		for run := range cfg.Runs {
			r, err := throughputRun(ctx, cfg, f, st, records, profilePath(cfg, run, "throughput-"+st.subject))
			if err != nil {
				return append(out, t), fmt.Errorf("%s: %w", st.subject, err)
			}
			t.Runs = append(t.Runs, r)
			fmt.Fprintf(w, "  %s run %d: %s\n", st.subject, run+1, r)
		}
		out = append(out, t)
	}
	return out, nil
}

func throughputRun(ctx context.Context, cfg Config, f *fixture, st stage, records []*kgo.Record, profile string) (res RunResult, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	if err := c.produce(ctx, records); err != nil {
		return res, err
	}
	dir, err := tempDir(cfg, "throughput")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	stopProfile, err := startProfile(profile)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, stopProfile()) }()

	var sum *tableSum
	if st.sum != nil {
		if sum, err = c.sumOf(st.sum.topic); err != nil {
			return res, err
		}
		defer sum.Close()
	}

	start, cpu := time.Now(), cpuTime()
	procs := &started{}
	run, err := startProcessors(ctx, runner.Config{Kafka: c.kafka, DataDir: dir, Logger: cfg.Logger, Started: procs.add}, st.groups)
	if err != nil {
		return res, err
	}
	defer func() { err = errors.Join(err, run.stop()) }()

	var first time.Time
	done := func(ctx context.Context) (bool, error) {
		if err := run.err(); err != nil {
			return false, err
		}
		if first.IsZero() {
			n, err := c.endOffsets(ctx, st.first)
			if err != nil || n[st.first] == 0 {
				return false, err
			}
			first = time.Now()
		}
		if st.subject == FullTopology {
			return fullDone(procs, f)
		}
		if sum != nil {
			return sum.reached(ctx, st.sum.want)
		}
		if st.consumed != "" {
			return c.committedAll(ctx, st.consumed, string(st.input))
		}
		return tablesHold(ctx, c, st.done)
	}
	if err := waitFor(ctx, cfg.Timeout, "tables to hold every order", done); err != nil {
		return res, err
	}
	end := time.Now()
	return RunResult{Elapsed: end.Sub(start), Startup: first.Sub(start), Orders: len(f.orders), CPU: cpuTime() - cpu}, nil
}

// tablesHold reports whether every topic of want holds its records.
func tablesHold(ctx context.Context, c *cluster, want map[string]int64) (bool, error) {
	topics := make([]string, 0, len(want))
	for t := range want {
		topics = append(topics, t)
	}
	got, err := c.endOffsets(ctx, topics...)
	if err != nil {
		return false, err
	}
	for t, n := range want {
		if got[t] < n {
			return false, nil
		}
	}
	return true, nil
}

// fullDone reports whether the global table, the end of every path
// through the topology, has counted every order and every user. It reads
// the global processor's local table: a handful of shards.
func fullDone(procs *started, f *fixture) (bool, error) {
	p := procs.get(string(global.Group))
	if p == nil || !p.Recovered() {
		return false, nil
	}
	var shards []*global.Shard
	for _, g := range []goka.Group{restaurant.Group, user.Group} {
		for part := range int32(f.partitions) {
			v, err := p.Get(streams.ShardKey(g, part))
			if err != nil {
				return false, nil // partition not assigned yet
			}
			if s, ok := v.(*global.Shard); ok {
				shards = append(shards, s)
			}
		}
	}
	sum := global.Summarize(shards)
	return sum.Orders == int64(len(f.orders)) && sum.Users == int64(f.users), nil
}

// started collects the processors as runner starts them.
type started struct {
	mu    sync.Mutex
	procs []*goka.Processor
}

func (s *started) add(p *goka.Processor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.procs = append(s.procs, p)
}

func (s *started) get(group string) *goka.Processor {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.procs {
		if string(p.Graph().Group()) == group {
			return p
		}
	}
	return nil
}

// recovered reports whether n processors have started and all recovered.
func (s *started) recovered(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.procs) < n {
		return false
	}
	for _, p := range s.procs {
		if !p.Recovered() {
			return false
		}
	}
	return true
}

// running is processors running in the background.
type running struct {
	n      int // goka processors: those runner.Config.Started hears of
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	failed error
}

// startProcessors runs the processors named in groups (all of them when
// empty) as processors.Run does, each goroutine labelled with its group
// for CPU profiles.
func startProcessors(ctx context.Context, rc runner.Config, groups []string) (*running, error) {
	procs, err := processors.Select(processors.All(processors.Hooks{}), groups)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &running{cancel: cancel, done: make(chan struct{})}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range procs {
		labelled(gctx, "processor/"+p.Name(), func(lctx context.Context) {
			if p.Beside != nil {
				g.Go(func() error { return p.Beside(lctx, rc) })
			}
			if !p.Goka() {
				// Ingest's transaction loop, as the process command
				// runs it: its graph only describes its topics.
				g.Go(func() error { return p.Run(lctx, rc) })
				return
			}
			r.n++
			g.Go(func() error { return runner.RunTended(lctx, rc, p.Graph, p.Tend, p.Options...) })
		})
	}
	go func() {
		defer close(r.done)
		err := g.Wait()
		if err != nil && ctx.Err() == nil {
			r.mu.Lock()
			r.failed = err
			r.mu.Unlock()
		}
	}()
	return r, nil
}

// err is why the processors stopped early, if they did.
func (r *running) err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failed != nil {
		return fmt.Errorf("processors stopped: %w", r.failed)
	}
	return nil
}

// stop stops the processors and waits for them.
func (r *running) stop() error {
	r.cancel()
	<-r.done
	return r.err()
}
