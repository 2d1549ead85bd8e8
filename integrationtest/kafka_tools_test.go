package integrationtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/views"
)

// The main classes behind Kafka's kafka-topics.sh,
// kafka-console-producer.sh and kafka-console-consumer.sh (4.x).
const (
	toolTopics   = "org.apache.kafka.tools.TopicCommand"
	toolProducer = "org.apache.kafka.tools.ConsoleProducer"
	toolConsumer = "org.apache.kafka.tools.consumer.ConsoleConsumer"
)

// TestKafkaConsoleTools runs the seed assignment's commands, Kafka's own
// tools from the jars, against the system on both brokers: kafka-topics
// --list shows every topic, and --describe a handoff's partitions and
// segments; orders typed into kafka-console-producer are counted (a valid
// one) and dead-lettered (a malformed one); kafka-console-consumer shows
// the order's status changes on order-status and the malformed line, with
// its reason, on orders-dlq.
func TestKafkaConsoleTools(t *testing.T) {
	skipShort(t)
	requireKafka(t)
	onBrokers(t, broker.Config{}, testKafkaConsoleTools)
}

func testKafkaConsoleTools(t *testing.T, addr string) {
	java, err := kafkacluster.Java()
	if err != nil {
		t.Fatal(err)
	}
	cp, err := kafkacluster.Classpath()
	if err != nil {
		t.Fatal(err)
	}
	kc := kafkaConfig(addr)
	ensureTopics(t, kc)
	logger := newLogger(t)
	sys := newSystem(t, kc, t.TempDir(), logger)
	sys.start()
	sys.waitReady()

	tool := func(stdin string, class string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := kafkacluster.ToolCommand(ctx, java, cp, class, args...)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s%s", class, strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String()
	}

	// kafka-topics.sh --bootstrap-server ADDR --list
	listed := strings.Fields(tool("", toolTopics, "--bootstrap-server", addr, "--list"))
	for _, s := range processors.Topics() {
		if !slices.Contains(listed, s.Name) {
			t.Errorf("kafka-topics --list does not list %s: %v", s.Name, listed)
		}
	}

	// kafka-topics.sh --describe, which the embedded broker once answered
	// in a way Kafka's admin client could not read.
	described := tool("", toolTopics, "--bootstrap-server", addr, "--describe", "--topic", string(streams.ByRestaurant))
	for _, want := range []string{"PartitionCount: 3", "segment.bytes=" + strconv.Itoa(topics.PurgedSegmentBytes), "Partition: 2\tLeader: "} {
		if !strings.Contains(described, want) {
			t.Errorf("kafka-topics --describe --topic %s shows no %q:\n%s", streams.ByRestaurant, want, described)
		}
	}

	// kafka-console-producer.sh --topic orders, key<TAB>value per line.
	o := order.Order{OrderID: "console-1", RestaurantID: "r-0001", UserID: "u-00001",
		PlacedAt: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC),
		Items:    []order.Item{{SKU: "tea", Qty: 2, PriceCents: 350}}}
	o.TotalCents = order.Sum(o.Items)
	valid, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	lines := fmt.Sprintf("r-0001\t%s\nr-0002\t{\"order_id\": \"console-2\", oops\n", valid)
	tool(lines, toolProducer, "--bootstrap-server", addr, "--topic", "orders",
		"--reader-property", "parse.key=true", "--reader-property", "key.separator=\t")

	waitFor(t, sys, "the console producer's order to be counted", func() (string, bool) {
		var stats views.StatsResponse
		if err := getJSON(t, sys.base+"/api/stats", &stats); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%d orders, %d cents", stats.Orders, stats.RevenueCents), stats.Orders == 1 && stats.RevenueCents == 700
	})

	// kafka-console-consumer.sh --topic order-status --from-beginning
	status := tool("", toolConsumer, "--bootstrap-server", addr, "--topic", "order-status", "--from-beginning",
		"--max-messages", "2", "--formatter-property", "print.key=true", "--timeout-ms", "60000")
	for _, want := range []string{`"status":"placed"`, `"status":"accepted"`} {
		if !strings.Contains(status, "console-1\t") || !strings.Contains(status, want) {
			t.Errorf("kafka-console-consumer on order-status shows no %s for console-1:\n%s", want, status)
		}
	}

	// kafka-console-consumer.sh --topic orders-dlq, committed records only.
	dlq := tool("", toolConsumer, "--bootstrap-server", addr, "--topic", "orders-dlq", "--from-beginning",
		"--isolation-level", "read_committed", "--max-messages", "1", "--timeout-ms", "60000",
		"--formatter-property", "print.key=true", "--formatter-property", "print.headers=true")
	for _, want := range []string{"x-dlq-reason:malformed_json", "r-0002", `{"order_id": "console-2", oops`} {
		if !strings.Contains(dlq, want) {
			t.Errorf("kafka-console-consumer on orders-dlq shows no %q:\n%s", want, dlq)
		}
	}
	t.Logf("order-status:\n%sorders-dlq:\n%s", status, dlq)
}
