package bench

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/processors/exactly"
)

// The bench writes processor inputs with franz-go; goka reads keys where
// sarama's hash partitioner with goka's hasher puts them. They must agree
// on every key, or a processor fed by the bench would see keys in the
// wrong partition.
func TestPartitionOfMatchesGoka(t *testing.T) {
	for _, partitions := range []int{1, 3, 7, 12} {
		p := sarama.NewCustomHashPartitioner(goka.DefaultHasher())("topic")
		for i := range 2000 {
			key := fmt.Sprintf("key-%d", i)
			want, err := p.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(key)}, int32(partitions))
			if err != nil {
				t.Fatal(err)
			}
			if got := partitionOf(key, partitions); got != want {
				t.Fatalf("partitionOf(%q, %d) = %d, sarama says %d", key, partitions, got, want)
			}
		}
	}
}

func TestFixturePositions(t *testing.T) {
	cfg := Config{N: 2000, Partitions: 3}.withDefaults()
	f, err := newFixture(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Offsets count from zero per partition, in produce order, as a fresh
	// topic assigns them.
	for _, positions := range [][]exactly.Pos{f.source, f.seq} {
		next := map[int32]int64{}
		for i, pos := range positions {
			if pos.Offset != next[pos.Partition] {
				t.Fatalf("position %d = %v, want offset %d", i, pos, next[pos.Partition])
			}
			next[pos.Partition]++
		}
	}
	for i, o := range f.orders {
		if got := partitionOf(o.OrderID, 3); got != f.seq[i].Partition {
			t.Fatalf("order %s: seq partition %d, key hashes to %d", o.OrderID, f.seq[i].Partition, got)
		}
	}
	// One restaurant delta per order, one user delta per distinct user.
	if want := len(f.orders) + f.users; len(f.deltas) != want {
		t.Errorf("deltas = %d, want %d", len(f.deltas), want)
	}
	var orders int64
	for _, s := range f.restaurants {
		orders += s.Orders
	}
	if orders != int64(cfg.N) {
		t.Errorf("restaurant stats count %d orders, want %d", orders, cfg.N)
	}
	for _, topic := range []goka.Stream{"orders", "status-requests", "status-by-restaurant", "placed-by-user"} {
		recs, err := f.records(topic)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != cfg.N {
			t.Errorf("%s: %d records, want %d", topic, len(recs), cfg.N)
		}
	}
	if _, err := f.records("nope"); err == nil {
		t.Error("records of an unknown topic: no error")
	}
}

func TestPercentileAndMedian(t *testing.T) {
	ds := []time.Duration{5, 1, 4, 2, 3, 10, 9, 8, 7, 6}
	tests := []struct {
		q    float64
		want time.Duration
	}{{0.5, 5}, {0.9, 9}, {0.99, 10}, {1, 10}, {0, 1}}
	for _, tt := range tests {
		if got := percentile(ds, tt.q); got != tt.want {
			t.Errorf("percentile(%v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if got := percentile(nil, 0.5); got != 0 {
		t.Errorf("percentile(nil) = %v, want 0", got)
	}
	id := func(f float64) float64 { return f }
	if got := medianOf([]float64{3, 1, 2}, id); got != 2 {
		t.Errorf("median odd = %v, want 2", got)
	}
	if got := medianOf([]float64{4, 1, 2, 3}, id); got != 2.5 {
		t.Errorf("median even = %v, want 2.5", got)
	}
}

const wrkOutput = `Running 10s test @ http://127.0.0.1:8080
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.10ms    1.05ms  31.20ms   88.00%
    Req/Sec    15.50k     1.20k   18.00k    70.00%
  Latency Distribution
     50%    1.90ms
     75%    2.50ms
     90%    3.20ms
     99%  812.00us
  308123 requests in 10.00s, 95.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  30812.30
Transfer/sec:      9.50MB
`

func TestParseWrk(t *testing.T) {
	q, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := Query{Requests: 308123, Errors: 7, Duration: 10 * time.Second,
		P50: 1900 * time.Microsecond, P99: 812 * time.Microsecond, Max: 31200 * time.Microsecond}
	if q != want {
		t.Errorf("parseWrk = %+v, want %+v", q, want)
	}
	if _, err := parseWrk("nothing useful"); err == nil {
		t.Error("parseWrk(garbage): no error")
	}
}

func TestWrkScript(t *testing.T) {
	got := wrkScript([]string{"/a", "/b"})
	if !strings.Contains(got, `local paths = {"/a", "/b"}`) || !strings.Contains(got, "wrk.format") {
		t.Errorf("wrkScript = %q", got)
	}
}

func TestProbeRestaurantsCoverPartitions(t *testing.T) {
	ids := probeRestaurants("probe", 5)
	for p, id := range ids {
		if got := partitionOf(id, 5); got != int32(p) {
			t.Errorf("probe %s in partition %d, want %d", id, got, p)
		}
	}
}

func TestVerdicts(t *testing.T) {
	run := func(orders int, d time.Duration) []RunResult { return []RunResult{{Orders: orders, Elapsed: d}} }
	rep := Report{
		Baseline: &Throughput{Runs: run(1000, time.Second)},
		Throughput: []Throughput{
			{Subject: "restaurant alone", Runs: run(600, time.Second)},
			{Subject: FullTopology, Runs: run(100, time.Second)},
			{Subject: "user alone", Runs: run(1, time.Second)},
		},
		Latency: []Latency{
			{Path: PathHTTP, Background: 500, Samples: []time.Duration{10 * time.Millisecond, 30 * time.Millisecond}},
			{Path: PathEmit, Background: 500, Samples: []time.Duration{time.Millisecond}},
		},
		Recovery: []Timed{
			{Subject: SubjectProcessorRestart, Records: 1000, Runs: []time.Duration{time.Second}},
			{Subject: SubjectViewCold, Records: 300_000, Runs: []time.Duration{time.Second}},
		},
		Queries: []Query{
			{Route: "GET /api/restaurants/{id}", Tool: ToolGo, Requests: 250_000, Duration: 10 * time.Second, P99: 4 * time.Millisecond},
			{Route: "GET /api/restaurants/{id}", Tool: ToolWrk, Requests: 1, Duration: 10 * time.Second},
		},
		Memory: []Memory{{Process: ProcessViews, Keys: 1_000_000, Peak: 400 << 20}},
	}
	var got []string
	for _, v := range rep.Verdicts() {
		got = append(got, v.String())
	}
	want := []string{
		"PASS  restaurant alone >= 0.50x baseline: 0.600x (600 vs 1.0k orders/s)",
		"MISS  full topology >= 0.15x baseline: 0.100x (100 vs 1.0k orders/s)",
		"MISS  latency POST /api/orders -> GET /api/restaurants/{id} p99 <= 25ms at 1000 orders/s: p99 30.0ms (measured at 500 orders/s)",
		"PASS  processor restart with intact local state of 1.00M keys ready <= 2s: 1000ms (measured with 1000 keys)",
		"PASS  cold view restore >= 200k records/s: 300k records/s",
		"PASS  GET /api/restaurants/{id} >= 20k req/s, p99 <= 5ms at 64 connections: 25k req/s, p99 4.00ms",
		"MISS  view process (views + HTTP) peak RSS <= 300 MiB with 1.00M users: 400 MiB",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Verdicts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{N: 1, Rate: 1, Duration: time.Second, Runs: 1, Users: 1}
	if err := ok.Validate(); err != nil {
		t.Fatalf("Validate(%+v) = %v", ok, err)
	}
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"no orders", func(c *Config) { c.N = 0 }, "n 0"},
		{"no rate", func(c *Config) { c.Rate = 0 }, "rate 0"},
		{"no duration", func(c *Config) { c.Duration = 0 }, "duration 0s"},
		{"no runs", func(c *Config) { c.Runs = 0 }, "runs 0"},
		{"no users", func(c *Config) { c.Users = 0 }, "users 0"},
		{"unknown scenario", func(c *Config) { c.Only = []string{"speed"} }, `unknown scenario "speed"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := ok
			tt.change(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
