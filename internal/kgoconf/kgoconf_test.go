package kgoconf_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
)

// TestGokaPartitioner compares the partitioner with the one goka's
// producers use, sarama's hash partitioner over goka's default hasher, for
// keys of every shape and many partition counts: a key in another
// partition than goka expects is invisible to its processors and views.
func TestGokaPartitioner(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	keys := []string{"", "o-1", "r-0001", "u-00001", "restaurant/2", "ü∂ß", "\x00\xff"}
	for i := range 20000 {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			b[j] = byte(rng.UintN(256))
		}
		keys = append(keys, string(b), fmt.Sprintf("o-%d", i))
	}
	for _, n := range []int{1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 24, 31, 32, 50, 64, 100, 128, 1000} {
		ours := kgoconf.GokaPartitioner().ForTopic("t")
		theirs := sarama.NewCustomHashPartitioner(goka.DefaultHasher())("t")
		for _, k := range keys {
			want, err := theirs.Partition(&sarama.ProducerMessage{Key: sarama.StringEncoder(k)}, int32(n))
			if err != nil {
				t.Fatal(err)
			}
			if got := ours.Partition(&kgo.Record{Key: []byte(k)}, n); got != int(want) {
				t.Fatalf("key %q, %d partitions: partition %d, goka's %d", k, n, got, want)
			}
		}
	}
}

// TestGokaPartitionerConsistent: a keyed record must go where its key
// says, never where stickiness would put it.
func TestGokaPartitionerConsistent(t *testing.T) {
	p := kgoconf.GokaPartitioner().ForTopic("t")
	if !p.RequiresConsistency(&kgo.Record{Key: []byte("o-1")}) {
		t.Error("keyed records are not partitioned consistently")
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		cfg     kafkaconf.Config
		wantN   int
		wantErr bool
	}{
		{"plain", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1}, 1, false},
		{"client id", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1, ClientID: "x"}, 2, false},
		{"scram", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1,
			SASL: kafkaconf.SASLConfig{Mechanism: kafkaconf.MechanismSCRAMSHA512, User: "u", Password: "p"}}, 2, false},
		{"plain sasl", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1,
			SASL: kafkaconf.SASLConfig{Mechanism: kafkaconf.MechanismPlain, User: "u", Password: "p"}}, 2, false},
		{"tls", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1,
			TLS: kafkaconf.TLSConfig{Enabled: true}}, 2, false},
		{"no brokers", kafkaconf.Config{Partitions: 3, Replication: 1}, 0, true},
		{"unreadable CA", kafkaconf.Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1,
			TLS: kafkaconf.TLSConfig{Enabled: true, CAFile: "/nonexistent/ca.pem"}}, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := kgoconf.Options(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Options() error = %v, want error %v", err, tc.wantErr)
			}
			if len(opts) != tc.wantN {
				t.Errorf("%d options, want %d", len(opts), tc.wantN)
			}
			if err == nil {
				cl, err := kgo.NewClient(opts...)
				if err != nil {
					t.Fatalf("NewClient: %v", err)
				}
				cl.Close()
			}
		})
	}
}
