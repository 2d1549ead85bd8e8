package kafkaconf_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
)

// A goka emitter and view log in with the SASL settings of the Config
// their options come from: the builders behind the options, not goka's
// global config, make their connections.
func TestGokaThroughSASL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker, an emitter and a view")
	}
	const user, password = "orders", "s3cret"
	b, err := broker.Start(broker.Config{SASL: []broker.User{{Mechanism: kafkaconf.MechanismSCRAMSHA512, User: user, Password: password}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kc := kafkaconf.Config{
		Brokers: []string{b.Addr()}, Partitions: 3, Replication: 1, ClientID: "kafkaconf-goka-test",
		SASL: kafkaconf.SASLConfig{Mechanism: kafkaconf.MechanismSCRAMSHA512, User: user, Password: password},
	}
	logger := slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const table goka.Table = "secured-table"
	if _, err := topics.Ensure(ctx, kc, []topics.Spec{{Name: string(table), Table: true}}); err != nil {
		t.Fatal(err)
	}

	// Emitter: writes the table's topic directly.
	want := map[string]string{"r1": "pizza", "r2": "sushi", "r3": "tacos"}
	em, err := goka.NewEmitter(kc.Brokers, goka.Stream(table), new(codec.String), kc.EmitterOptions(logger)...)
	if err != nil {
		t.Fatalf("emitter: %v", err)
	}
	for k, v := range want {
		if err := em.EmitSync(k, v); err != nil {
			t.Fatalf("emit %s: %v", k, err)
		}
	}
	if err := em.Finish(); err != nil {
		t.Fatalf("finish emitter: %v", err)
	}

	// View: recovers the table.
	opts := append(kc.ViewOptions(logger), goka.WithViewStorageBuilder(storage.MemoryBuilder()))
	view, err := goka.NewView(kc.Brokers, table, new(codec.String), opts...)
	if err != nil {
		t.Fatalf("view: %v", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- view.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("view run: %v", err)
		}
	}()
	select {
	case <-view.WaitRunning():
	case err := <-done:
		t.Fatalf("view stopped before recovering: %v", err)
	case <-ctx.Done():
		t.Fatal("view not recovered within a minute")
	}
	for k, v := range want {
		if got, err := view.Get(k); err != nil || got != v {
			t.Errorf("view.Get(%s) = %v, %v; want %s", k, got, err, v)
		}
	}

	// The same builders with a wrong password are refused.
	wrong := kc
	wrong.SASL.Password = "wrong"
	// goka formats the errors with %v: only their text is left. The
	// emitter's producer is franz-go's (kerr's name), the view's consumer
	// sarama's.
	if _, err := goka.NewEmitter(wrong.Brokers, goka.Stream(table), new(codec.String), wrong.EmitterOptions(logger)...); err == nil ||
		!strings.Contains(err.Error(), kerr.SaslAuthenticationFailed.Message) {
		t.Errorf("emitter with a wrong password: err %v, want %q", err, kerr.SaslAuthenticationFailed.Message)
	}
	wrongOpts := append(wrong.ViewOptions(logger), goka.WithViewStorageBuilder(storage.MemoryBuilder()))
	if _, err := goka.NewView(wrong.Brokers, table, new(codec.String), wrongOpts...); err == nil ||
		!strings.Contains(err.Error(), sarama.ErrSASLAuthenticationFailed.Error()) {
		t.Errorf("view with a wrong password: err %v, want %q", err, sarama.ErrSASLAuthenticationFailed)
	}
}
