package integrationtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
)

// The parametrised tests run twice: on the embedded broker and on Apache
// Kafka (a real KRaft cluster of JVMs, internal/kafkacluster).
const (
	onEmbedded = "embedded"
	onKafka    = "kafka"
)

// onBrokers runs f as a subtest on the embedded broker (started with cfg,
// Listen defaulting to any port) and as one on a 1-node Apache Kafka
// cluster, each new; f gets the bootstrap address.
func onBrokers(t *testing.T, cfg broker.Config, f func(t *testing.T, addr string)) {
	t.Helper()
	t.Run(onEmbedded, func(t *testing.T) {
		if cfg.Listen == "" {
			cfg.Listen = "127.0.0.1:0"
		}
		b := startBroker(t, cfg, newLogger(t))
		f(t, b.addr())
	})
	t.Run(onKafka, func(t *testing.T) {
		c := startKafka(t, 1, kafkacluster.Config{})
		f(t, c.Bootstrap()[0])
	})
}

// requireKafka skips the test when Java or the Kafka jars are missing,
// saying how to get them; in CI (CI=true) it fails instead.
func requireKafka(t *testing.T) {
	t.Helper()
	if err := kafkacluster.Available(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
}

// startKafka starts an Apache Kafka cluster of nodes nodes configured as
// cfg (Nodes and DataDir are set here), stopped when the test ends; a
// failing test shows the tail of every node's log.
func startKafka(t *testing.T, nodes int, cfg kafkacluster.Config) *kafkacluster.Cluster {
	t.Helper()
	requireKafka(t)
	cfg.Nodes = nodes
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Log = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	c, err := kafkacluster.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Apache Kafka %s, %d node(s), ready after %v at %s", kafkacluster.Version, nodes, time.Since(start).Round(time.Millisecond), strings.Join(c.Bootstrap(), ","))
	t.Cleanup(func() {
		if t.Failed() {
			for id := 1; id <= c.Nodes(); id++ {
				t.Logf("last lines of kafka node %d's log:\n%s", id, kafkaLogTail(c.LogFile(id), 40))
			}
		}
		if err := c.Close(); err != nil {
			t.Errorf("stop kafka: %v", err)
		}
	})
	return c
}

// kafkaLogTail returns the last n WARN/ERROR/FATAL lines of a node's log.
func kafkaLogTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, "] WARN ") || strings.Contains(l, "] ERROR ") || strings.Contains(l, "] FATAL ") {
			lines = append(lines, l)
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TestKafkaClusterRestartsOneNode checks the helper itself on three nodes:
// topics replicated three times with min.insync.replicas 2, a node stopped
// with a controlled shutdown and one killed with SIGKILL, each started
// again, while the cluster keeps accepting acks=all writes.
func TestKafkaClusterRestartsOneNode(t *testing.T) {
	skipShort(t)
	c := startKafka(t, 3, kafkacluster.Config{})
	kc := c.ClientConfig("kafkacluster-test")
	ensureTopics(t, kc)
	cl := testutil.KafkaClient(t, kc)
	produce := func(what string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		for i := range 30 {
			if err := cl.ProduceSync(ctx, kafkaRecord("orders", fmt.Sprintf("%s-%d", what, i))).FirstErr(); err != nil {
				t.Fatalf("produce with %s: %v", what, err)
			}
		}
	}
	produce("all up")
	if err := c.Stop(2, time.Minute); err != nil {
		t.Fatal(err)
	}
	produce("node 2 stopped")
	if err := c.Restart(2); err != nil {
		t.Fatal(err)
	}
	if err := c.Kill(3); err != nil {
		t.Fatal(err)
	}
	produce("node 3 killed")
	if err := c.Restart(3); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	produce("all back")
	if got := countRecords(t, kc, "orders"); got != 120 {
		t.Errorf("orders holds %d records, want 120", got)
	}
}

func kafkaRecord(topic, key string) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(key)}
}

// countRecords reads topic, written without transactions, from its start
// to its current end and returns how many records it holds.
func countRecords(t *testing.T, kc kafkaconf.Config, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	admin := kadm.NewClient(testutil.KafkaClient(t, kc))
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	ends.Each(func(o kadm.ListedOffset) { want += o.Offset })
	cl := testutil.KafkaClient(t, kc, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	var n int64
	for n < want {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("reading %s: %d of %d records: %v", topic, n, want, err)
		}
		n += int64(fetches.NumRecords())
	}
	return int(n)
}
