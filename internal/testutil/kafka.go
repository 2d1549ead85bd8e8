package testutil

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/topics"
)

// KafkaClient returns a franz-go client of kc with opts, closed when the
// test ends.
func KafkaClient(t testing.TB, kc kafkaconf.Config, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base, err := kgoconf.Options(kc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// StartBroker starts an in-memory embedded broker, stopped when the test
// ends, creates specs on it with partitions partitions each, and returns
// the configuration of its clients, named clientID.
func StartBroker(t testing.TB, clientID string, partitions int, specs []topics.Spec) kafkaconf.Config {
	t.Helper()
	b, err := broker.Start(broker.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kc := kafkaconf.Config{Brokers: []string{b.Addr()}, Partitions: partitions, Replication: 1, ClientID: clientID}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := topics.Ensure(ctx, kc, specs); err != nil {
		t.Fatal(err)
	}
	return kc
}

// FreeAddr returns a loopback address whose port was free a moment ago,
// for a server a test starts (and may start again on the same address).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
