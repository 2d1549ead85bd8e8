package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/lovoo/goka"
	"github.com/prometheus/client_golang/prometheus"
)

// StatsTimeout bounds how long one scrape waits for the statistics of one
// processor or view.
const StatsTimeout = 5 * time.Second

// processorStatser is what the collector needs of a *goka.Processor.
type processorStatser interface {
	StatsWithContext(ctx context.Context) *goka.ProcessorStats
}

// viewStatser is what the collector needs of a *goka.View.
type viewStatser interface {
	Stats(ctx context.Context) *goka.ViewStats
}

// AttachProcessor exports the statistics of p from the next scrape on. A
// later processor of the same group replaces the earlier one, so a
// restarted processor is not counted twice. Safe to call at any time,
// concurrently with scrapes.
func (m *Metrics) AttachProcessor(p *goka.Processor) {
	m.goka.attachProcessor(string(p.Graph().Group()), p)
}

// AttachView exports the statistics of v under table from the next scrape
// on; a later view of the same table replaces the earlier one. Safe to call
// at any time, concurrently with scrapes.
func (m *Metrics) AttachView(table string, v viewStatser) {
	m.goka.attachView(table, v)
}

// gokaCollector reads goka's statistics on each scrape. goka keeps them
// itself (counts since the processor or view started), so the collector
// holds no state but what it reads from.
type gokaCollector struct {
	descs gokaDescs

	mu         sync.Mutex
	processors map[string]processorStatser // by group
	views      map[string]viewStatser      // by table
	// counted are the record counts of stages that are not goka
	// processors (ingest), by group and topic.
	consumed, produced map[string]map[string]uint
}

func newGokaCollector() *gokaCollector {
	return &gokaCollector{
		descs:      newGokaDescs(),
		processors: make(map[string]processorStatser),
		views:      make(map[string]viewStatser),
		consumed:   make(map[string]map[string]uint),
		produced:   make(map[string]map[string]uint),
	}
}

// add counts records of a stage that is not a goka processor: records
// consumed from input, placed on output and dead-lettered on dlq.
func (c *gokaCollector) add(group, input, output, dlq string, records, placed, deadLetters int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	inc := func(counts map[string]map[string]uint, topic string, n int) {
		if counts[group] == nil {
			counts[group] = map[string]uint{}
		}
		counts[group][topic] += uint(n)
	}
	inc(c.consumed, input, records)
	inc(c.produced, output, placed)
	inc(c.produced, dlq, deadLetters)
}

func (c *gokaCollector) attachProcessor(group string, p processorStatser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.processors[group] = p
}

func (c *gokaCollector) attachView(table string, v viewStatser) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.views[table] = v
}

// Describe implements prometheus.Collector.
func (c *gokaCollector) Describe(ch chan<- *prometheus.Desc) { c.descs.describe(ch) }

// Collect implements prometheus.Collector. It reads the statistics outside
// the lock, so a slow processor delays neither attaching nor other scrapes.
func (c *gokaCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	procs := make(map[string]processorStatser, len(c.processors))
	for g, p := range c.processors {
		procs[g] = p
	}
	views := make(map[string]viewStatser, len(c.views))
	for t, v := range c.views {
		views[t] = v
	}
	var counted []sample
	for _, k := range []struct {
		desc   *prometheus.Desc
		counts map[string]map[string]uint
	}{{c.descs.consumed, c.consumed}, {c.descs.produced, c.produced}} {
		for group, topics := range k.counts {
			if _, goka := procs[group]; goka {
				continue // goka's own statistics win
			}
			for topic, n := range topics {
				counted = append(counted, sample{k.desc, prometheus.CounterValue, float64(n), []string{group, topic}})
			}
		}
	}
	c.mu.Unlock()
	emit(ch, counted)

	for group, p := range procs {
		ctx, cancel := context.WithTimeout(context.Background(), StatsTimeout)
		stats := p.StatsWithContext(ctx)
		cancel()
		emit(ch, c.descs.processorSamples(group, stats))
	}
	for table, v := range views {
		ctx, cancel := context.WithTimeout(context.Background(), StatsTimeout)
		stats := v.Stats(ctx)
		cancel()
		emit(ch, c.descs.viewSamples(table, stats))
	}
}

func emit(ch chan<- prometheus.Metric, samples []sample) {
	for _, s := range samples {
		m, err := prometheus.NewConstMetric(s.desc, s.kind, s.value, s.labels...)
		if err != nil {
			m = prometheus.NewInvalidMetric(s.desc, err)
		}
		ch <- m
	}
}
