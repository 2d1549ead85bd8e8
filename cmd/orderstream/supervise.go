package main

import (
	"log/slog"

	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/supervise"
)

// supervision is how a command supervises its components: their states on
// one Board (for /readyz), each restart counted in
// orderstream_component_restarts_total and logged.
func supervision(m *metrics.Metrics, logger *slog.Logger) supervise.Options {
	restarts := m.RegisterComponentRestarts()
	return supervise.Options{
		Logger: logger,
		Board:  new(supervise.Board),
		Restarted: func(component, reason string) {
			restarts.WithLabelValues(component, reason).Inc()
		},
	}
}
