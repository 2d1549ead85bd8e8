package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/tester"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeProcessor struct{ stats *goka.ProcessorStats }

func (f fakeProcessor) StatsWithContext(context.Context) *goka.ProcessorStats { return f.stats }

type fakeView struct{ stats *goka.ViewStats }

func (f fakeView) Stats(context.Context) *goka.ViewStats { return f.stats }

func TestGokaCollectorMapsStats(t *testing.T) {
	c := newGokaCollector()
	c.attachProcessor("restaurant", fakeProcessor{&goka.ProcessorStats{
		Group: map[int32]*goka.PartitionProcStats{
			0: {
				Input:  map[string]*goka.InputStats{"placed": {Count: 10, OffsetLag: 1}},
				Output: map[string]*goka.OutputStats{"deltas": {Count: 10}, "restaurant-table": {Count: 7}},
				TableStats: &goka.TableStats{
					Status:   goka.PartitionRunning,
					Recovery: &goka.RecoveryStats{Hwm: 50, Offset: 49},
				},
			},
			1: {
				Input:  map[string]*goka.InputStats{"placed": {Count: 5, OffsetLag: 42}},
				Output: map[string]*goka.OutputStats{"deltas": {Count: 5}},
				TableStats: &goka.TableStats{
					Status:   goka.PartitionRecovering,
					Recovery: &goka.RecoveryStats{Hwm: 100, Offset: 59},
				},
			},
		},
	}})
	// A stateless processor has no table stats.
	c.attachProcessor("ingest", fakeProcessor{&goka.ProcessorStats{
		Group: map[int32]*goka.PartitionProcStats{
			0: {Input: map[string]*goka.InputStats{"orders": {Count: 3}}, Output: map[string]*goka.OutputStats{}},
		},
	}})
	c.attachView("user-table", fakeView{&goka.ViewStats{Partitions: map[int32]*goka.TableStats{
		0: {Status: goka.PartitionRunning, Input: &goka.InputStats{Count: 100, OffsetLag: 4}, Recovery: &goka.RecoveryStats{}},
		1: {Status: goka.PartitionRecovering, Input: &goka.InputStats{Count: 20}, Recovery: &goka.RecoveryStats{Hwm: 30, Offset: 19}},
	}}})
	c.attachView("global-table", fakeView{&goka.ViewStats{Partitions: map[int32]*goka.TableStats{
		0: {Status: goka.PartitionRunning, Input: &goka.InputStats{Count: 6, OffsetLag: 1}},
	}}})
	// A view that was never run has no partitions and is not recovered.
	c.attachView("restaurant-table", fakeView{&goka.ViewStats{Partitions: map[int32]*goka.TableStats{}}})

	const want = `
# HELP orderstream_processor_consumer_lag Messages of a topic partition a processor has yet to consume: for inputs, as of goka's last high-water-mark refresh (once a minute); for the group table, what is left to recover.
# TYPE orderstream_processor_consumer_lag gauge
orderstream_processor_consumer_lag{group="ingest",partition="0",topic="orders"} 0
orderstream_processor_consumer_lag{group="restaurant",partition="0",topic="placed"} 0
orderstream_processor_consumer_lag{group="restaurant",partition="0",topic="restaurant-table"} 0
orderstream_processor_consumer_lag{group="restaurant",partition="1",topic="placed"} 41
orderstream_processor_consumer_lag{group="restaurant",partition="1",topic="restaurant-table"} 40
# HELP orderstream_processor_messages_consumed_total Messages a processor consumed from an input topic since it started.
# TYPE orderstream_processor_messages_consumed_total counter
orderstream_processor_messages_consumed_total{group="ingest",topic="orders"} 3
orderstream_processor_messages_consumed_total{group="restaurant",topic="placed"} 15
# HELP orderstream_processor_messages_produced_total Messages a processor produced to a topic (outputs and its group table) since it started.
# TYPE orderstream_processor_messages_produced_total counter
orderstream_processor_messages_produced_total{group="restaurant",topic="deltas"} 15
orderstream_processor_messages_produced_total{group="restaurant",topic="restaurant-table"} 7
# HELP orderstream_processor_recovered 1 once every partition of the processor's group table has recovered its local store and runs (always 1 for a group without a table), else 0.
# TYPE orderstream_processor_recovered gauge
orderstream_processor_recovered{group="ingest"} 1
orderstream_processor_recovered{group="restaurant"} 0
# HELP orderstream_view_lag Messages of a table partition a view has yet to load: while recovering, what is left to recover; afterwards, as of goka's last high-water-mark refresh (once a minute).
# TYPE orderstream_view_lag gauge
orderstream_view_lag{partition="0",table="global-table"} 0
orderstream_view_lag{partition="0",table="user-table"} 3
orderstream_view_lag{partition="1",table="user-table"} 10
# HELP orderstream_view_records_recovered_total Records a view loaded from its table topic since it started, in recovery and afterwards.
# TYPE orderstream_view_records_recovered_total counter
orderstream_view_records_recovered_total{table="global-table"} 6
orderstream_view_records_recovered_total{table="restaurant-table"} 0
orderstream_view_records_recovered_total{table="user-table"} 120
# HELP orderstream_view_recovered 1 once every partition of the view has recovered and is running, else 0.
# TYPE orderstream_view_recovered gauge
orderstream_view_recovered{table="global-table"} 1
orderstream_view_recovered{table="restaurant-table"} 0
orderstream_view_recovered{table="user-table"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}

func TestGokaCollectorAttachReplacesSameName(t *testing.T) {
	c := newGokaCollector()
	one := &goka.ViewStats{Partitions: map[int32]*goka.TableStats{0: {Status: goka.PartitionRunning, Input: &goka.InputStats{Count: 1}}}}
	two := &goka.ViewStats{Partitions: map[int32]*goka.TableStats{0: {Status: goka.PartitionRunning, Input: &goka.InputStats{Count: 2}}}}
	c.attachView("t", fakeView{one})
	c.attachView("t", fakeView{two})
	const want = `
# HELP orderstream_view_records_recovered_total Records a view loaded from its table topic since it started, in recovery and afterwards.
# TYPE orderstream_view_records_recovered_total counter
orderstream_view_records_recovered_total{table="t"} 2
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want), "orderstream_view_records_recovered_total"); err != nil {
		t.Error(err)
	}
}

// TestGokaCollectorWithTester reads the statistics of a real goka
// processor and view run against goka's tester.
func TestGokaCollectorWithTester(t *testing.T) {
	const (
		group goka.Group  = "counter"
		input goka.Stream = "input"
	)
	table := goka.GroupTable(group)
	gg := goka.DefineGroup(group,
		goka.Input(input, new(codec.String), func(ctx goka.Context, msg any) {
			n, _ := ctx.Value().(int64)
			ctx.SetValue(n + 1)
			ctx.Emit("output", ctx.Key(), msg)
		}),
		goka.Output("output", new(codec.String)),
		goka.Persist(new(codec.Int64)),
	)
	tt := tester.New(t)
	p, err := goka.NewProcessor(nil, gg, goka.WithTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	v, err := goka.NewView(nil, table, new(codec.Int64), goka.WithViewTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	go func() { errs <- p.Run(ctx) }()
	go func() { errs <- v.Run(ctx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}()

	tt.Consume(string(input), "a", "x")
	tt.Consume(string(input), "b", "y")
	tt.Consume(string(input), "a", "z")
	waitRunning(t, v)

	m := New()
	m.AttachProcessor(p)
	m.AttachView(string(table), v)
	const want = `
# HELP orderstream_processor_messages_consumed_total Messages a processor consumed from an input topic since it started.
# TYPE orderstream_processor_messages_consumed_total counter
orderstream_processor_messages_consumed_total{group="counter",topic="input"} 3
# HELP orderstream_processor_messages_produced_total Messages a processor produced to a topic (outputs and its group table) since it started.
# TYPE orderstream_processor_messages_produced_total counter
orderstream_processor_messages_produced_total{group="counter",topic="counter-table"} 3
orderstream_processor_messages_produced_total{group="counter",topic="output"} 3
# HELP orderstream_view_recovered 1 once every partition of the view has recovered and is running, else 0.
# TYPE orderstream_view_recovered gauge
orderstream_view_recovered{table="counter-table"} 1
`
	// goka counts a message after its callback, which may be after the
	// tester saw it committed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
			"orderstream_processor_messages_consumed_total",
			"orderstream_processor_messages_produced_total",
			"orderstream_view_recovered",
		)
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func waitRunning(t *testing.T, v *goka.View) {
	t.Helper()
	select {
	case <-v.WaitRunning():
	case <-time.After(10 * time.Second):
		t.Fatal("view did not start running")
	}
}
