package delivery

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the relay and the workers do. The zero value is not
// usable; create it with NewMetrics.
type Metrics struct {
	// Published counts notifications the relay published to Exchange.
	Published prometheus.Counter
	// Confirmed counts publications RabbitMQ confirmed; only their Kafka
	// offsets are committed.
	Confirmed prometheus.Counter
	// Delivered counts notifications a worker sent, by channel.
	Delivered *prometheus.CounterVec
	// Redelivered counts messages a worker got again (one of its peers
	// died on it, or sending failed before), by channel.
	Redelivered *prometheus.CounterVec
	// DeadLettered counts messages a worker gave up on, by channel and
	// reason: "malformed" (a body that is no notification) or "attempts".
	DeadLettered *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Published: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "orderstream", Name: "amqp_published_total",
			Help: "Notifications the relay published to the RabbitMQ exchange (again after a failure).",
		}),
		Confirmed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "orderstream", Name: "amqp_confirmed_total",
			Help: "Publications of the relay that RabbitMQ confirmed.",
		}),
		Delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orderstream", Name: "amqp_delivered_total",
			Help: "Notifications delivery workers sent, by channel.",
		}, []string{"channel"}),
		Redelivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orderstream", Name: "amqp_redelivered_total",
			Help: "Messages delivery workers received again, by channel.",
		}, []string{"channel"}),
		DeadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "orderstream", Name: "amqp_dead_lettered_total",
			Help: "Messages delivery workers sent to the dead-letter queue, by channel and reason.",
		}, []string{"channel", "reason"}),
	}
	reg.MustRegister(m.Published, m.Confirmed, m.Delivered, m.Redelivered, m.DeadLettered)
	return m
}

// startChannel makes the series of channel exist at 0 before its first
// message, so that a dashboard shows a flat line rather than no data.
func (m *Metrics) startChannel(channel string) {
	m.Delivered.WithLabelValues(channel)
	m.Redelivered.WithLabelValues(channel)
	for _, reason := range []string{"malformed", "attempts"} {
		m.DeadLettered.WithLabelValues(channel, reason)
	}
}
