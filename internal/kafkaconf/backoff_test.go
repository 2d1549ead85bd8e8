package kafkaconf

import (
	"testing"
	"time"
)

func TestProducerBackoff(t *testing.T) {
	for _, tc := range []struct {
		retries int
		want    time.Duration
	}{
		{0, 50 * time.Millisecond},
		{1, 100 * time.Millisecond},
		{4, 800 * time.Millisecond},
		{5, 1600 * time.Millisecond},
		{6, MaxProducerBackoff},
		{300, MaxProducerBackoff},
	} {
		if got := ProducerBackoff(tc.retries, ProducerRetries); got != tc.want {
			t.Errorf("ProducerBackoff(%d) = %v, want %v", tc.retries, got, tc.want)
		}
	}
	var total time.Duration
	for i := range ProducerRetries {
		total += ProducerBackoff(i, ProducerRetries)
	}
	if total < 10*time.Minute || total > 11*time.Minute {
		t.Errorf("retries span %v, want about ten minutes", total)
	}
}

func TestSaramaRetriesThroughRestarts(t *testing.T) {
	cfg := Config{Brokers: []string{"x:9092"}, Partitions: 3, Replication: 1}.Sarama()
	if cfg.Producer.Retry.Max != ProducerRetries || cfg.Producer.Retry.BackoffFunc == nil {
		t.Errorf("producer retries = %d (backoff func set: %v), want %d with backoff", cfg.Producer.Retry.Max, cfg.Producer.Retry.BackoffFunc != nil, ProducerRetries)
	}
	if !cfg.Producer.Idempotent || cfg.Net.MaxOpenRequests != 1 {
		t.Error("producer must be idempotent with one open request per broker")
	}
}
