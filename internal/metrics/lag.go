package metrics

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// LagInterval is how often RunLag refreshes the consumer lag.
const LagInterval = 5 * time.Second

// lagTimeout bounds one refresh.
const lagTimeout = 10 * time.Second

// RunLag exports the lag of the consumer groups, as kafka_exporter's
// kafka_consumergroup_lag does: per group, topic and partition, the high
// watermark minus the group's committed offset, refreshed every
// LagInterval through adm until ctx ends. A group that stopped keeps its
// committed offsets, so its lag grows as records arrive. A failed refresh
// is logged and keeps the last figures; it never ends RunLag.
func (m *Metrics) RunLag(ctx context.Context, adm *kadm.Client, groups []string, logger *slog.Logger) error {
	t := time.NewTicker(LagInterval)
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, lagTimeout)
		lags, err := adm.Lag(rctx, groups...)
		cancel()
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			logger.Warn("consumer lag refresh failed", "err", err)
		default:
			m.lag.set(lags, logger)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// lagCollector holds the lag of the last refresh.
type lagCollector struct {
	desc *prometheus.Desc

	mu      sync.Mutex
	samples []sample
}

func newLagCollector() *lagCollector {
	return &lagCollector{desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "consumergroup_lag"),
		"Records of a topic partition a consumer group has yet to consume: the high watermark minus the "+
			"group's committed offset (the partition's start offset if it committed none), refreshed every few seconds.",
		[]string{"group", "topic", "partition"}, nil)}
}

// set replaces the figures with lags. A group whose figures could not be
// read keeps its old ones.
func (c *lagCollector) set(lags kadm.DescribedGroupLags, logger *slog.Logger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := map[string]bool{}
	var fresh []sample
	for group, gl := range lags {
		if err := gl.Error(); err != nil {
			level := slog.LevelWarn
			if errors.Is(err, kerr.GroupIDNotFound) {
				level = slog.LevelDebug // not started yet: nothing committed, no lag to show
			}
			logger.Log(context.Background(), level, "consumer lag", "group", group, "err", err)
			keep[group] = true
			continue
		}
		for topic, parts := range gl.Lag {
			for part, l := range parts {
				if l.Err != nil || l.Lag < 0 {
					continue
				}
				fresh = append(fresh, sample{c.desc, prometheus.GaugeValue, float64(l.Lag),
					[]string{group, topic, strconv.Itoa(int(part))}})
			}
		}
	}
	for _, s := range c.samples {
		if keep[s.labels[0]] {
			fresh = append(fresh, s)
		}
	}
	c.samples = fresh
}

// Describe implements prometheus.Collector.
func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	samples := c.samples
	c.mu.Unlock()
	emit(ch, samples)
}
