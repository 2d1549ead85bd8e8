package broker

import (
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/twmb/franz-go/pkg/kfake"
)

func TestProduceConsume(t *testing.T) {
	b := startBroker(t, Config{})
	createTopic(t, b.Addr(), "orders", 3, nil)

	want := produce(t, b.Addr(), "orders", keyed(30, 3))
	got := consumeAll(t, b.Addr(), "orders")
	sortRecords(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("consumed\n%v\nwant\n%v", got, want)
	}
}

func TestAddrIsAdvertised(t *testing.T) {
	b := startBroker(t, Config{Listen: "127.0.0.1:0"})
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 and the port bound", b.Addr())
	}
	brokers, _, err := newAdmin(t, b.Addr()).DescribeCluster()
	if err != nil {
		t.Fatal(err)
	}
	if len(brokers) != 1 || brokers[0].Addr() != b.Addr() {
		var addrs []string
		for _, br := range brokers {
			addrs = append(addrs, br.Addr())
		}
		t.Errorf("metadata brokers %v, want exactly [%s]", addrs, b.Addr())
	}
}

func TestAdvertiseAddr(t *testing.T) {
	hostname, err := os.Hostname()
	if err != nil {
		t.Skip("no host name:", err)
	}
	bound := &net.TCPAddr{IP: net.IPv4zero, Port: 40123}
	for _, tc := range []struct {
		listen string
		want   string
	}{
		{"127.0.0.1:0", "127.0.0.1:40123"},
		{"127.0.0.1:40123", "127.0.0.1:40123"},
		{"localhost:9092", "localhost:40123"},
		{"kafka.internal:9092", "kafka.internal:40123"},
		{"[::1]:0", "[::1]:40123"},
		{":9092", net.JoinHostPort(hostname, "40123")},
		{"0.0.0.0:9092", net.JoinHostPort(hostname, "40123")},
		{"[::]:9092", net.JoinHostPort(hostname, "40123")},
	} {
		t.Run(tc.listen, func(t *testing.T) {
			got, err := advertiseAddr(tc.listen, bound)
			if err != nil || got != tc.want {
				t.Errorf("advertiseAddr(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
			}
		})
	}
}

func TestNoAutoTopicCreation(t *testing.T) {
	b := startBroker(t, Config{})

	// sarama asks for automatic creation in every metadata request.
	cl := newClient(t, b.Addr())
	if !cl.Config().Metadata.AllowAutoTopicCreation {
		t.Fatal("client does not ask for automatic topic creation; the test proves nothing")
	}
	if _, err := cl.Partitions("nope"); !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("partitions of unknown topic: err %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}

	cfg := saramaConfig(b.Addr())
	cfg.Producer.Return.Successes = true
	cfg.Producer.Retry.Max = 1
	cfg.Producer.Retry.Backoff = 10 * time.Millisecond
	p, err := sarama.NewSyncProducer([]string{b.Addr()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, _, err = p.SendMessage(&sarama.ProducerMessage{Topic: "nope", Value: sarama.StringEncoder("x")})
	if !errors.Is(err, sarama.ErrUnknownTopicOrPartition) {
		t.Errorf("produce to unknown topic: err %v, want %v", err, sarama.ErrUnknownTopicOrPartition)
	}

	topics, err := newAdmin(t, b.Addr()).ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := topics["nope"]; ok {
		t.Error("topic nope exists after metadata and produce requests")
	}
}

func TestDefaultPartitions(t *testing.T) {
	b := startBroker(t, Config{})
	admin := newAdmin(t, b.Addr())
	if err := admin.CreateTopic("defaults", &sarama.TopicDetail{NumPartitions: -1, ReplicationFactor: -1}, false); err != nil {
		t.Fatal(err)
	}
	md, err := admin.DescribeTopics([]string{"defaults"})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(md[0].Partitions); got != 3 {
		t.Errorf("topic created with -1 partitions has %d, want 3", got)
	}
	if got := len(md[0].Partitions[0].Replicas); got != 1 {
		t.Errorf("topic created with -1 replicas has %d, want 1", got)
	}
}

func TestListenInUse(t *testing.T) {
	b := startBroker(t, Config{})
	if _, err := Start(Config{Listen: b.Addr()}); err == nil || !strings.Contains(err.Error(), b.Addr()) {
		t.Errorf("second broker on %s: err %v, want an error naming the address", b.Addr(), err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{"zero value", Config{}, ""},
		{"full", Config{Listen: "0.0.0.0:9092", DataDir: "/tmp/x", CompactInterval: time.Second}, ""},
		{"no port", Config{Listen: "127.0.0.1"}, "missing port"},
		{"bad port", Config{Listen: "127.0.0.1:kafka"}, `bad port "kafka"`},
		{"port too large", Config{Listen: "127.0.0.1:70000"}, `bad port "70000"`},
		{"interval below kfake's resolution", Config{CompactInterval: time.Microsecond}, "want at least 1ms"},
		{"negative interval", Config{CompactInterval: -time.Second}, "want at least 1ms"},
		{"SASL users", Config{SASL: usersFor("orders", "secret")}, ""},
		{"unknown mechanism", Config{SASL: []User{{Mechanism: "GSSAPI", User: "orders", Password: "secret"}}}, `unknown mechanism "GSSAPI"`},
		{"user without name", Config{SASL: []User{{Mechanism: "PLAIN", Password: "secret"}}}, "empty name"},
		{"user without password", Config{SASL: []User{{Mechanism: "PLAIN", User: "orders"}}}, "orders (PLAIN): empty password"},
		{"user twice", Config{SASL: append(usersFor("orders", "a"), User{Mechanism: "SCRAM-SHA-512", User: "orders", Password: "b"})}, "orders (SCRAM-SHA-512) given twice"},
		{"TLS", Config{TLS: &tls.Config{Certificates: make([]tls.Certificate, 1)}}, ""},
		{"TLS without certificate", Config{TLS: &tls.Config{}}, "without a certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Errorf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSlogLevel(t *testing.T) {
	for _, tc := range []struct {
		in     kfake.LogLevel
		want   slog.Level
		wantOK bool
	}{
		{kfake.LogLevelNone, 0, false},
		{kfake.LogLevelError, slog.LevelError, true},
		{kfake.LogLevelWarn, slog.LevelWarn, true},
		{kfake.LogLevelInfo, slog.LevelDebug, true},
		{kfake.LogLevelDebug, slog.LevelDebug - 4, true},
	} {
		t.Run(tc.in.String(), func(t *testing.T) {
			got, ok := slogLevel(tc.in)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("slogLevel(%v) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestLoggerDefaultIsQuiet(t *testing.T) {
	var buf strings.Builder
	l := slogLogger{l: slog.New(slog.NewTextHandler(&buf, nil))}
	l.Logf(kfake.LogLevelInfo, "request %d", 1)
	l.Logf(kfake.LogLevelDebug, "detail %d", 2)
	l.Logf(kfake.LogLevelWarn, "trouble %d", 3)
	l.Logf(kfake.LogLevelWarn, "txn: EndTxn slow pid=%d epoch=%d elapsed=%dms batches=%d groups=%d", 1, 2, 6, 1, 1)
	out := buf.String()
	if strings.Contains(out, "request") || strings.Contains(out, "detail") || strings.Contains(out, "EndTxn") ||
		!strings.Contains(out, `level=WARN msg="trouble 3"`) {
		t.Errorf("at info level logged\n%s\nwant only the warning", out)
	}
}
