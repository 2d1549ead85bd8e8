package ingest_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/runner"
)

// BenchmarkThroughput measures records of "orders" routed per second
// through the embedded broker, by the transaction loop and by the goka
// processor ingest was before (its graph, run by goka), from the first
// record read to the last record readable on the outputs:
//
//	go test -run '^$' -bench Throughput -benchtime 20000x ./processors/ingest/
func BenchmarkThroughput(b *testing.B) {
	stages := []struct {
		name string
		run  func(ctx context.Context, kc kafkaconf.Config) error
	}{
		{"transactional", func(ctx context.Context, kc kafkaconf.Config) error {
			return ingest.Run(ctx, ingest.Config{Kafka: kc, InstanceID: "bench", Logger: slog.New(slog.DiscardHandler)})
		}},
		{"goka", func(ctx context.Context, kc kafkaconf.Config) error {
			return runner.Run(ctx, runner.Config{Kafka: kc, Logger: slog.New(slog.DiscardHandler)}, runner.Goka(ingest.Define(ingest.Hooks{})), ingest.Options()...)
		}},
	}
	for _, st := range stages {
		b.Run(st.name, func(b *testing.B) {
			kc := startBroker(b)
			producer := testutil.KafkaClient(b, kc, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()), kgo.ProducerLinger(5*time.Millisecond))
			var records []*kgo.Record
			for i := range b.N {
				value := []byte(fmt.Sprintf(`{"order_id":"o-%d","restaurant_id":"r-%d","user_id":"u-%d","items":[{"sku":"s","qty":1,"price_cents":5}],"total_cents":5,"placed_at":"2025-03-14T12:00:00Z"}`, i, i%50, i%5000))
				if i%10 == 9 {
					value = []byte(`{"order_id":`) // one in ten invalid
				}
				records = append(records, &kgo.Record{Topic: "orders", Key: []byte(fmt.Sprintf("r-%d", i%50)), Value: value})
			}
			produce(b, producer, records)
			reader := testutil.KafkaClient(b, kc, kgo.ConsumeTopics("status-requests", "orders-dlq"), kgo.FetchIsolationLevel(kgo.ReadCommitted()))

			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ResetTimer()
			go func() { done <- st.run(ctx, kc) }()
			for n := 0; n < b.N; {
				n += reader.PollFetches(context.Background()).NumRecords()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
