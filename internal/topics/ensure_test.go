package topics

import (
	"context"
	"errors"
	"net"
	"reflect"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

var specs = []Spec{
	{Name: "orders"},
	{Name: "orders-by-id", Purged: true},
	{Name: "registry-table", Table: true},
	{Name: "user-table", Table: true},
}

func startBroker(t *testing.T, listen string) *broker.Broker {
	t.Helper()
	b, err := broker.Start(broker.Config{Listen: listen})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func config(addr string) kafkaconf.Config {
	return kafkaconf.Config{Brokers: []string{addr}, Partitions: 3, Replication: 1, ClientID: "topics-test"}
}

// existing is a topic created before Ensure runs.
type existing struct {
	name       string
	partitions int32
	policy     string // "" leaves cleanup.policy unset
}

func create(t *testing.T, addr string, topics ...existing) {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{addr}, config(addr).Sarama())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, e := range topics {
		d := &sarama.TopicDetail{NumPartitions: e.partitions, ReplicationFactor: 1, ConfigEntries: map[string]*string{}}
		if e.policy != "" {
			d.ConfigEntries["cleanup.policy"] = ptr(e.policy)
		}
		if err := admin.CreateTopic(e.name, d, false); err != nil {
			t.Fatalf("create %s: %v", e.name, err)
		}
	}
}

func TestEnsure(t *testing.T) {
	allCreated := []Info{
		{Name: "orders", Partitions: 3, Replication: 1, Policy: "delete", Created: true},
		{Name: "orders-by-id", Partitions: 3, Replication: 1, Policy: "delete", Created: true},
		{Name: "registry-table", Partitions: 3, Replication: 1, Policy: "compact", Created: true},
		{Name: "user-table", Partitions: 3, Replication: 1, Policy: "compact", Created: true},
	}
	for _, tc := range []struct {
		name     string
		existing []existing
		want     []Info
		wantErrs []error
	}{
		{"creates all", nil, allCreated, nil},
		{"keeps fitting topics", []existing{
			{"orders", 3, ""},
			{"user-table", 3, "compact"},
		}, []Info{
			{Name: "orders", Partitions: 3, Replication: 1, Policy: "delete"},
			{Name: "orders-by-id", Partitions: 3, Replication: 1, Policy: "delete", Created: true},
			{Name: "registry-table", Partitions: 3, Replication: 1, Policy: "compact", Created: true},
			{Name: "user-table", Partitions: 3, Replication: 1, Policy: "compact"},
		}, nil},
		{"table not compacted", []existing{
			{"user-table", 3, ""},
		}, []Info{
			allCreated[0], allCreated[1], allCreated[2],
			{Name: "user-table", Partitions: 3, Replication: 1, Policy: "delete"},
		}, []error{
			&MismatchError{Topic: "user-table", Setting: "cleanup.policy", Got: "delete", Want: "compact"},
		}},
		{"partitions differ", []existing{
			{"orders", 5, "delete"},
			{"registry-table", 1, "compact"},
		}, []Info{
			{Name: "orders", Partitions: 5, Replication: 1, Policy: "delete"},
			allCreated[1],
			{Name: "registry-table", Partitions: 1, Replication: 1, Policy: "compact"},
			allCreated[3],
		}, []error{
			&MismatchError{Topic: "orders", Setting: "partitions", Got: "5", Want: "3"},
			&MismatchError{Topic: "registry-table", Setting: "partitions", Got: "1", Want: "3"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBroker(t, "")
			create(t, b.Addr(), tc.existing...)

			got, err := Ensure(context.Background(), config(b.Addr()), specs)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Ensure() infos\n%v\nwant\n%v", got, tc.want)
			}
			checkErrs(t, err, tc.wantErrs)

			// A second run finds everything, as the first reported it.
			again, err := Ensure(context.Background(), config(b.Addr()), specs)
			for i := range tc.want {
				tc.want[i].Created = false
			}
			if !reflect.DeepEqual(again, tc.want) {
				t.Errorf("second Ensure() infos\n%v\nwant\n%v", again, tc.want)
			}
			checkErrs(t, err, tc.wantErrs)
		})
	}
}

// checkErrs checks that err joins exactly want.
func checkErrs(t *testing.T, err error, want []error) {
	t.Helper()
	var got []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		got = j.Unwrap()
	} else if err != nil {
		got = []error{err}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Ensure() errors %v, want %v", got, want)
	}
	var m *MismatchError
	if len(want) > 0 && !errors.As(err, &m) {
		t.Errorf("errors.As(%v, *MismatchError) = false", err)
	}
}

func TestEnsureCreatesConfigs(t *testing.T) {
	b := startBroker(t, "")
	if _, err := Ensure(context.Background(), config(b.Addr()), specs); err != nil {
		t.Fatal(err)
	}
	admin, err := sarama.NewClusterAdmin([]string{b.Addr()}, config(b.Addr()).Sarama())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	topics, err := admin.ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	retention := strconv.FormatInt(kafkaconf.StreamRetention.Milliseconds(), 10)
	for _, tc := range []struct {
		topic string
		want  map[string]string
	}{
		{"orders", map[string]string{"cleanup.policy": "delete", "retention.ms": retention}},
		{"orders-by-id", map[string]string{"cleanup.policy": "delete", "retention.ms": retention,
			"segment.bytes": strconv.Itoa(PurgedSegmentBytes), "segment.ms": strconv.FormatInt(PurgedSegmentAge.Milliseconds(), 10)}},
		{"registry-table", map[string]string{"cleanup.policy": "compact"}},
	} {
		got := map[string]string{}
		for k, v := range topics[tc.topic].ConfigEntries {
			got[k] = *v
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s configs %v, want %v", tc.topic, got, tc.want)
		}
	}
}

// TestEnsureConcurrent runs two provisionings at once, as two processes
// starting together would.
func TestEnsureConcurrent(t *testing.T) {
	b := startBroker(t, "")
	var wg sync.WaitGroup
	results := make([][]Info, 4)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() { results[i], errs[i] = Ensure(context.Background(), config(b.Addr()), specs) })
	}
	wg.Wait()
	created := map[string]int{}
	for i, infos := range results {
		if errs[i] != nil {
			t.Errorf("Ensure() #%d: %v", i, errs[i])
		}
		for _, info := range infos {
			if info.Created {
				created[info.Name]++
			}
		}
	}
	for _, s := range specs {
		if created[s.Name] != 1 {
			t.Errorf("%s created %d times, want once", s.Name, created[s.Name])
		}
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestEnsureWaitsForBroker(t *testing.T) {
	addr := freeAddr(t)
	type result struct {
		infos []Info
		err   error
	}
	done := make(chan result, 1)
	go func() {
		infos, err := Ensure(context.Background(), config(addr), specs)
		done <- result{infos, err}
	}()
	time.Sleep(2 * ConnectBackoff)
	startBroker(t, addr)
	select {
	case r := <-done:
		if r.err != nil || len(r.infos) != len(specs) {
			t.Errorf("Ensure() = %v, %v; want %d topics", r.infos, r.err, len(specs))
		}
	case <-time.After(ConnectTimeout):
		t.Fatal("Ensure() did not return")
	}
}

func TestEnsureHonoursContext(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := Ensure(ctx, config(addr), specs)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ensure() = %v, want %v", err, context.DeadlineExceeded)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Ensure() took %v after its context ended after 1s", took)
	}
}

func TestEnsureRejects(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   kafkaconf.Config
		specs []Spec
	}{
		{"no brokers", kafkaconf.Config{Partitions: 3, Replication: 1}, specs},
		{"no partitions", kafkaconf.Config{Brokers: []string{"x:1"}, Replication: 1}, specs},
		{"empty name", config("x:1"), []Spec{{Name: ""}}},
		{"duplicate", config("x:1"), []Spec{{Name: "a"}, {Name: "a", Table: true}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Ensure(context.Background(), tc.cfg, tc.specs); err == nil {
				t.Error("Ensure() = nil error")
			}
		})
	}
}
