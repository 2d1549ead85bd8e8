// Package metrics holds the Prometheus metrics of one orderstream process: the
// counters the processors and emitters bump, the HTTP latency histogram, and
// a collector that reads goka's processor and view statistics on each scrape.
//
// Metric names are a contract with the Grafana dashboard: rename none.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/orderstream/orderstream/order"
)

// Namespace prefixes every metric of the system.
const Namespace = "orderstream"

// The values of the source label of OrdersEmitted.
const (
	SourceSimulator = "simulator"
	SourceIntake    = "intake"
)

// RefusedVerdicts are the values of the verdict label of
// StatusRequestsRefused (lifecycle.Verdict's names; metrics does not
// import the processors).
var RefusedVerdicts = []string{"repeated", "invalid", "unknown"}

// HTTPBuckets are the latency buckets of HTTPDuration, in seconds. Reads
// from a local view take well under a millisecond, so the buckets start
// lower than Prometheus' defaults.
var HTTPBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics is the metrics of one process, on a registry of its own so that
// tests and several servers in one process never collide.
type Metrics struct {
	// InvalidOrders counts orders the ingest processor refused, by
	// order.Reason.
	InvalidOrders *prometheus.CounterVec
	// DuplicateOrders counts orders the registry dropped as duplicates.
	DuplicateOrders prometheus.Counter
	// ConflictingOrders counts the duplicates that differ from the order
	// first placed under their order_id: another order, not placed.
	ConflictingOrders prometheus.Counter
	// OrdersEmitted counts orders written to the orders topic, by source
	// (SourceSimulator, SourceIntake).
	OrdersEmitted *prometheus.CounterVec
	// StatusRequestsRefused counts the status requests the lifecycle
	// dropped, by verdict (RefusedVerdicts).
	StatusRequestsRefused *prometheus.CounterVec
	// HTTPDuration observes HTTP request latency by method, route pattern
	// and status code; Instrument fills it.
	HTTPDuration *prometheus.HistogramVec

	pipeline

	registry *prometheus.Registry
	goka     *gokaCollector
}

// New creates the metrics, registered with a fresh registry that also
// carries the Go runtime and process collectors. Every label value known in
// advance starts at zero, so dashboards show a flat line rather than no data.
func New() *Metrics {
	m := &Metrics{
		InvalidOrders: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "invalid_orders_total",
			Help:      "Orders refused by the ingest processor, by reason.",
		}, []string{"reason"}),
		DuplicateOrders: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "duplicate_orders_total",
			Help:      "Orders dropped by the registry because their order_id was seen before.",
		}),
		ConflictingOrders: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "conflicting_orders_total",
			Help:      "Orders dropped by the registry whose order_id was used before by an order with other contents.",
		}),
		OrdersEmitted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "orders_emitted_total",
			Help:      "Orders written to the orders topic, by source.",
		}, []string{"source"}),
		StatusRequestsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "status_requests_refused_total",
			Help:      "Status requests the lifecycle dropped, by verdict: repeated, invalid (a race lost), unknown order.",
		}, []string{"verdict"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "http_request_duration_seconds",
			Help:      "HTTP request latency by method, route pattern and status code.",
			Buckets:   HTTPBuckets,
		}, []string{"method", "route", "code"}),
		pipeline: newPipeline(),
		registry: prometheus.NewRegistry(),
		goka:     newGokaCollector(),
	}
	for _, r := range order.Reasons {
		m.InvalidOrders.WithLabelValues(string(r))
	}
	for _, s := range []string{SourceSimulator, SourceIntake} {
		m.OrdersEmitted.WithLabelValues(s)
	}
	for _, v := range RefusedVerdicts {
		m.StatusRequestsRefused.WithLabelValues(v)
	}
	// Registering fresh collectors with distinct names on a fresh registry
	// cannot fail, so MustRegister's panic is unreachable.
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.InvalidOrders,
		m.DuplicateOrders,
		m.ConflictingOrders,
		m.OrdersEmitted,
		m.StatusRequestsRefused,
		m.HTTPDuration,
		m.goka,
	)
	m.registerPipeline()
	return m
}

// Registry is the registry the metrics are registered with, for callers
// that add collectors of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
