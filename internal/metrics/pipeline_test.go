package metrics

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestIngestEndedCountsCommittedRecordsOnly(t *testing.T) {
	m := New()
	m.StartIngest("ingest", "orders", "orders-by-id", "orders-dlq")
	m.IngestEnded("ingest", "orders", "orders-by-id", "orders-dlq", true, 10, 8, 2)
	m.IngestEnded("ingest", "orders", "orders-by-id", "orders-dlq", false, 5, 5, 0) // read again
	m.IngestEnded("ingest", "orders", "orders-by-id", "orders-dlq", true, 5, 5, 0)

	const want = `
# HELP orderstream_ingest_transactions_total Kafka transactions of the ingest stage, by outcome: committed, or aborted (its records are read again).
# TYPE orderstream_ingest_transactions_total counter
orderstream_ingest_transactions_total{outcome="aborted"} 1
orderstream_ingest_transactions_total{outcome="committed"} 2
# HELP orderstream_processor_messages_consumed_total Messages a processor consumed from an input topic since it started.
# TYPE orderstream_processor_messages_consumed_total counter
orderstream_processor_messages_consumed_total{group="ingest",topic="orders"} 15
# HELP orderstream_processor_messages_produced_total Messages a processor produced to a topic (outputs and its group table) since it started.
# TYPE orderstream_processor_messages_produced_total counter
orderstream_processor_messages_produced_total{group="ingest",topic="orders-by-id"} 13
orderstream_processor_messages_produced_total{group="ingest",topic="orders-dlq"} 2
`
	err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want),
		"orderstream_ingest_transactions_total",
		"orderstream_processor_messages_consumed_total",
		"orderstream_processor_messages_produced_total")
	if err != nil {
		t.Error(err)
	}
}

func TestCacheFlushed(t *testing.T) {
	m := New()
	m.CacheFlushed("restaurant", 3, nil)
	m.CacheFlushed("restaurant", 2, nil)
	m.CacheFlushed("restaurant", 1, errors.New("broker gone"))
	if got := testutil.ToFloat64(m.CacheFlushes.WithLabelValues("restaurant", OutcomeOK)); got != 2 {
		t.Errorf("ok flushes = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.CacheFlushes.WithLabelValues("restaurant", OutcomeFailed)); got != 1 {
		t.Errorf("failed flushes = %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.CacheFlushedRecords.WithLabelValues("restaurant")); got != 6 {
		t.Errorf("flushed records = %v, want 6", got)
	}
}

func TestBuildInfo(t *testing.T) {
	m := New()
	n, err := testutil.GatherAndCount(m.Registry(), "orderstream_build_info")
	if err != nil || n != 1 {
		t.Fatalf("orderstream_build_info series = %d (%v), want 1", n, err)
	}
	if got := testutil.ToFloat64(m.buildInfo); got != 1 {
		t.Errorf("orderstream_build_info = %v, want 1", got)
	}
}
