package delivery_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/delivery"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// waitTimeout bounds every wait of these tests; a loaded machine is slow.
const waitTimeout = 2 * time.Minute

// stopTimeout bounds a component's return after its context ended.
const stopTimeout = 30 * time.Second

var statuses = []order.Status{order.StatusPlaced, order.StatusAccepted, order.StatusReady, order.StatusDelivered, order.StatusRejected, order.StatusCancelled}

func logger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// notification is the i-th notification of a test run.
func notification(i int) *streams.Notification {
	st := statuses[i%len(statuses)]
	return &streams.Notification{
		UserID:       fmt.Sprintf("u-%d", i%7),
		OrderID:      fmt.Sprintf("o-%d", i),
		RestaurantID: fmt.Sprintf("r-%d", i%3),
		Status:       st,
		Message:      fmt.Sprintf("order o-%d is %s", i, st),
		At:           time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		Seq:          exactly.Pos{Partition: int32(i % 3), Offset: int64(i)},
	}
}

// kafka starts an embedded broker with the notifications topic.
func kafka(t *testing.T) kafkaconf.Config {
	return testutil.StartBroker(t, "delivery-test", 3, []topics.Spec{{Name: string(streams.Notifications)}})
}

// produce writes ns to "notifications" as the lifecycle does.
func produce(t *testing.T, kc kafkaconf.Config, ns ...*streams.Notification) {
	t.Helper()
	cl := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgoconf.GokaPartitioner()))
	var recs []*kgo.Record
	for _, n := range ns {
		b, err := new(streams.NotificationCodec).Encode(n)
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, &kgo.Record{Topic: string(streams.Notifications), Key: []byte(n.UserID), Value: b})
	}
	if err := cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// produceRaw writes value to "notifications" under key.
func produceRaw(t *testing.T, kc kafkaconf.Config, key, value string) {
	t.Helper()
	cl := testutil.KafkaClient(t, kc)
	if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: string(streams.Notifications), Key: []byte(key), Value: []byte(value)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// goRun runs fn until the test ends (or stop is called) and checks that
// it returned no error.
func goRun(t *testing.T, fn func(ctx context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("returned %v", err)
				}
			case <-time.After(stopTimeout):
				var stacks strings.Builder
				_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
				t.Errorf("did not return within %v after its context ended; goroutines:\n%s", stopTimeout, stacks.String())
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func startRelay(t *testing.T, kc kafkaconf.Config, url string) (stop func(), m *delivery.Metrics) {
	m = delivery.NewMetrics(prometheus.NewRegistry())
	stop = goRun(t, func(ctx context.Context) error {
		return delivery.Relay(ctx, delivery.RelayConfig{Kafka: kc, URL: url, Metrics: m, Logger: logger(t).With("test", "relay")})
	})
	return stop, m
}

// sink collects the lines of workers.
type sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// deliveries parses the lines written so far.
func (s *sink) deliveries(t *testing.T) []delivery.Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return parseDeliveries(t, s.buf.Bytes())
}

func parseDeliveries(t *testing.T, b []byte) []delivery.Delivery {
	t.Helper()
	var out []delivery.Delivery
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		var d delivery.Delivery
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil {
			t.Fatalf("delivery line %q: %v", sc.Text(), err)
		}
		out = append(out, d)
	}
	return out
}

func startWorkers(t *testing.T, url, channel string, workers int, sendTime time.Duration, out *sink) (stop func(), m *delivery.Metrics) {
	m = delivery.NewMetrics(prometheus.NewRegistry())
	stop = goRun(t, func(ctx context.Context) error {
		return delivery.Deliver(ctx, delivery.WorkerConfig{
			URL: url, Channel: channel, Keys: delivery.Channels[channel], Workers: workers,
			SendTime: sendTime, Out: out, Metrics: m, Logger: logger(t).With("test", channel),
		})
	})
	return stop, m
}

// declare declares the queue of channel with its default keys, so that
// messages published before its workers start are kept.
func declare(t *testing.T, url, channel string) {
	t.Helper()
	withChannel(t, url, func(ch *amqp.Channel) {
		if err := delivery.DeclareQueue(ch, channel, delivery.Channels[channel]); err != nil {
			t.Fatal(err)
		}
	})
}

func withChannel(t *testing.T, url string, fn func(ch *amqp.Channel)) {
	t.Helper()
	conn, err := amqp.Dial(url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		t.Fatal(err)
	}
	fn(ch)
}

// ready is how many messages of queue are ready for delivery.
func ready(t *testing.T, url, queue string) int {
	t.Helper()
	var n int
	withChannel(t, url, func(ch *amqp.Channel) {
		q, err := ch.QueueDeclarePassive(queue, true, false, false, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		n = q.Messages
	})
	return n
}

// waitFor waits until cond holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ids counts the deliveries by message_id.
func ids(ds []delivery.Delivery) map[string]int {
	m := map[string]int{}
	for _, d := range ds {
		m[d.MessageID]++
	}
	return m
}

// missing lists the message ids of want that ds lacks.
func missing(ds []delivery.Delivery, want []*streams.Notification) []string {
	got := ids(ds)
	var out []string
	for _, n := range want {
		if got[delivery.MessageID(n)] == 0 {
			out = append(out, delivery.MessageID(n))
		}
	}
	return out
}

func notifications(from, to int) []*streams.Notification {
	var ns []*streams.Notification
	for i := from; i < to; i++ {
		ns = append(ns, notification(i))
	}
	return ns
}

func inCI() bool { return os.Getenv("CI") == "true" }
