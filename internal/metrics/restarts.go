package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterComponentRestarts registers orderstream_component_restarts_total
// with m's registry: the restarts of supervised components, by component
// and reason (see internal/supervise for the reasons). Call it once per
// Metrics.
func (m *Metrics) RegisterComponentRestarts() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace,
		Name:      "component_restarts_total",
		Help:      "Restarts of a component (processor, view, event stream, simulator, kitchen) after a failure that can pass, by component and reason.",
	}, []string{"component", "reason"})
	m.registry.MustRegister(c)
	return c
}
