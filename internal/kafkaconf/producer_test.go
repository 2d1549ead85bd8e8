package kafkaconf_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
)

// A processor's producer fails every record after one failed, so nothing
// lands behind a lost record; an emitter's producer goes on.
func TestProducerStopsAfterAFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker")
	}
	const topic = "producer-test"
	kc := testutil.StartBroker(t, "producer-test", 3, []topics.Spec{{Name: topic}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tooLarge := bytes.Repeat([]byte("x"), 2<<20) // over the 1 MiB batch limit
	wait := func(p *goka.Promise) error {
		done := make(chan error, 1)
		p.Then(func(err error) { done <- err })
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			t.Fatal("no answer from the producer")
			return nil
		}
	}

	p, err := kc.Producer("processor-producer", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := wait(p.Emit(topic, "k", []byte("small"))); err != nil {
		t.Fatalf("first record: %v", err)
	}
	if err := wait(p.Emit(topic, "k", tooLarge)); err == nil {
		t.Fatal("a record over the size limit was produced")
	}
	if err := wait(p.Emit(topic, "k", []byte("small"))); err == nil || !strings.Contains(err.Error(), "earlier failure") {
		t.Fatalf("record after a failure: err %v, want it failed for the earlier failure", err)
	}

	em, err := goka.NewEmitter(kc.Brokers, topic, new(codec.Bytes), kc.EmitterOptions(slog.New(slog.DiscardHandler))...)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Finish()
	if err := em.EmitSync("k", tooLarge); err == nil {
		t.Fatal("the emitter produced a record over the size limit")
	}
	if err := em.EmitSync("k", []byte("small")); err != nil {
		t.Fatalf("emitter after a failure: %v", err)
	}
}

// A processor's producer sends Produce v3, with which franz-go keeps one
// idempotent request in flight, so a batch never lands after the next one
// (oneProduceInFlight); an emitter's producer sends the newest version and
// keeps up to five. (The broker cannot count the requests in flight: it
// reads a connection's next request only after answering the last.)
func TestProcessorProducerKeepsOneRequestInFlight(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker")
	}
	const topic = "in-flight"
	for _, tc := range []struct {
		name      string
		processor bool
	}{{"processor", true}, {"emitter", false}} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, topic))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			versions := make(chan int16, 1)
			c.ControlKey(kmsg.Produce.Int16(), func(req kmsg.Request) (kmsg.Response, error, bool) {
				select {
				case versions <- req.GetVersion(): // the first
				default:
				}
				return nil, nil, false // the cluster answers it
			})
			kc := kafkaconf.Config{Brokers: c.ListenAddrs(), Partitions: 3, Replication: 1, ClientID: "in-flight-test"}
			var promise *goka.Promise
			if tc.processor {
				p, err := kc.Producer("processor", slog.New(slog.DiscardHandler))
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				promise = p.Emit(topic, "k", []byte("v"))
			} else {
				em, err := goka.NewEmitter(kc.Brokers, topic, new(codec.Bytes), kc.EmitterOptions(slog.New(slog.DiscardHandler))...)
				if err != nil {
					t.Fatal(err)
				}
				defer em.Finish()
				if promise, err = em.Emit("k", []byte("v")); err != nil {
					t.Fatal(err)
				}
			}
			done := make(chan error, 1)
			promise.Then(func(err error) { done <- err })
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			switch v := <-versions; {
			case tc.processor && v > 3:
				t.Errorf("Produce v%d, want v3 at most: franz-go keeps five idempotent requests in flight from v4 on", v)
			case !tc.processor && v <= 3:
				t.Errorf("the emitter sent Produce v%d: the test shows nothing", v)
			}
		})
	}
}
