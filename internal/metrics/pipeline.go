package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/orderstream/orderstream/internal/buildinfo"
)

// The values of the outcome label of IngestTransactions and
// CacheFlushes.
const (
	OutcomeCommitted = "committed"
	OutcomeAborted   = "aborted"
	OutcomeOK        = "ok"
	OutcomeFailed    = "failed"
)

// pipeline are the metrics of the parts that are not goka processors or
// views: the ingest transaction loop, the table caches, the build.
type pipeline struct {
	// IngestTransactions counts ingest's transactions by outcome
	// (OutcomeCommitted, OutcomeAborted).
	IngestTransactions *prometheus.CounterVec
	// CacheFlushes counts the flushes of a group's table cache by outcome
	// (OutcomeOK, OutcomeFailed); CacheFlushedRecords the table records
	// they wrote.
	CacheFlushes        *prometheus.CounterVec
	CacheFlushedRecords *prometheus.CounterVec
	// PurgedRecords counts the records of internal streams deleted once
	// consumed (internal/purge), by topic.
	PurgedRecords *prometheus.CounterVec
	buildInfo     *prometheus.GaugeVec
	lag           *lagCollector
}

func newPipeline() pipeline {
	return pipeline{
		IngestTransactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "ingest_transactions_total",
			Help:      "Kafka transactions of the ingest stage, by outcome: committed, or aborted (its records are read again).",
		}, []string{"outcome"}),
		CacheFlushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "table_cache_flushes_total",
			Help:      "Flushes of a group's table cache to its local store and changelog, by outcome.",
		}, []string{"group", "outcome"}),
		CacheFlushedRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "table_cache_flushed_records_total",
			Help:      "Table records the flushes of a group's table cache wrote (one per changed key per flush).",
		}, []string{"group"}),
		PurgedRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "stream_purged_records_total",
			Help:      "Records of an internal stream deleted from the broker once every group reading it had committed past them.",
		}, []string{"topic"}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: Namespace,
			Name:      "build_info",
			Help:      "Always 1; the labels say which build of orderstream runs.",
		}, []string{"version", "revision", "goversion"}),
		lag: newLagCollector(),
	}
}

// registerPipeline registers the pipeline metrics with their known label
// values at zero.
func (m *Metrics) registerPipeline() {
	for _, o := range []string{OutcomeCommitted, OutcomeAborted} {
		m.IngestTransactions.WithLabelValues(o)
	}
	bi := buildinfo.Get()
	m.buildInfo.WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	m.registry.MustRegister(m.IngestTransactions, m.CacheFlushes, m.CacheFlushedRecords, m.PurgedRecords, m.buildInfo, m.lag)
}

// IngestEnded counts one ingest transaction: its outcome, and, if it
// committed, its records on the same series goka's processors use
// (processor_messages_consumed_total and _produced_total, group "ingest"),
// so that a dashboard reads every stage alike.
func (m *Metrics) IngestEnded(group, input, output, dlq string, committed bool, records, placed, deadLetters int) {
	if !committed {
		m.IngestTransactions.WithLabelValues(OutcomeAborted).Inc()
		return
	}
	m.IngestTransactions.WithLabelValues(OutcomeCommitted).Inc()
	m.goka.add(group, input, output, dlq, records, placed, deadLetters)
}

// StartIngest makes the ingest series of group exist at zero before the
// first transaction.
func (m *Metrics) StartIngest(group, input, output, dlq string) {
	m.goka.add(group, input, output, dlq, 0, 0, 0)
}

// CacheFlushed counts one flush of group's table cache.
func (m *Metrics) CacheFlushed(group string, records int, err error) {
	outcome := OutcomeOK
	if err != nil {
		outcome = OutcomeFailed
	}
	m.CacheFlushes.WithLabelValues(group, outcome).Inc()
	m.CacheFlushedRecords.WithLabelValues(group).Add(float64(records))
}

// Purged counts records purged from topic; zero makes its series exist.
func (m *Metrics) Purged(topic string, records int64) {
	m.PurgedRecords.WithLabelValues(topic).Add(float64(records))
}
