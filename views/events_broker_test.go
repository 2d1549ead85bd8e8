package views

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kgo"

	ostest "github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/streams"
)

// On a broker, the hub reads only while a client listens: what happened
// before the first subscription is never read, and every change after a
// subscription is Ready reaches it, also for a client that comes after
// everyone left and the hub stopped reading.
func TestHubReadsOnlyWhileClientsListen(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker")
	}
	kc := ostest.StartBroker(t, "hub-test", 3, []topics.Spec{{Name: string(streams.Changes)}, {Name: string(streams.Notifications)}})
	cl := ostest.KafkaClient(t, kc)
	hub := NewHub(kc, discardLogger())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- hub.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub: %v", err)
		}
	})

	// Nobody listens: changes of users u0..u9.
	for i := range 10 {
		produceChange(t, cl, string(rune('0'+i)), order.StatusPlaced)
	}

	for round, user := range []string{"a", "b"} {
		sub, err := hub.Subscribe(Filter{})
		if err != nil {
			t.Fatal(err)
		}
		waitReady(t, sub)
		produceChange(t, cl, user, order.StatusAccepted)
		// A hub still reading when the client came may hand it a few
		// changes from just before; the client's own must follow.
		for got := ""; got != "u-"+user; {
			select {
			case e := <-sub.Events():
				got = e.UserID
				if round == 0 && got != "u-"+user {
					t.Fatalf("first event of user %s, want u-%s: the hub read what happened before anyone listened", got, user)
				}
			case <-time.After(time.Minute):
				t.Fatalf("round %d: no event of u-%s", round, user)
			}
		}
		if round == 0 {
			if n := testutil.ToFloat64(hub.published.WithLabelValues(EventStatus)); n != 1 {
				t.Errorf("the hub read %v changes, want 1: it read while nobody listened", n)
			}
		}
		sub.Close()
		// Nobody listens again: the hub stops at the next change it
		// reads, and a later client starts after these.
		for i := range 5 {
			produceChange(t, cl, string(rune('0'+i)), order.StatusReady)
		}
	}
}

func produceChange(t *testing.T, cl *kgo.Client, user string, s order.Status) {
	t.Helper()
	data, err := json.Marshal(streams.Change{OrderID: "o-" + user, RestaurantID: "r-1", UserID: "u-" + user, Status: s, At: t0})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: string(streams.Changes), Key: []byte("o-" + user), Value: data}).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

func waitReady(t *testing.T, sub *Subscription) {
	t.Helper()
	select {
	case <-sub.Ready():
	case <-time.After(time.Minute):
		t.Fatal("the subscription is not ready")
	}
}
