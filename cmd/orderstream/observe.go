package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/purge"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/runner"
)

// runLag exports the consumer lag of every group of the system in m
// (orderstream_consumergroup_lag) until ctx ends, through an admin client
// of its own. Every group, not only those this process runs (--only): the
// figures come from the broker, so a stopped group shows its lag growing on
// the replicas that still run.
func runLag(ctx context.Context, kc kafkaconf.Config, m *metrics.Metrics, logger *slog.Logger) error {
	return withAdmin(kc, "consumer lag", func(adm *kadm.Client) error {
		return m.RunLag(ctx, adm, processors.Names(), logger.With("component", "lag"))
	})
}

// withAdmin runs f with an admin client of its own on kc, closed when f
// returns; what names the work in errors.
func withAdmin(kc kafkaconf.Config, what string, f func(*kadm.Client) error) error {
	opts, err := kgoconf.Options(kc)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("%s: create client: %w", what, err)
	}
	defer cl.Close()
	return f(kadm.NewClient(cl))
}

// runPurge deletes the records of the internal streams between the
// processors once every group reading them has committed past them
// (internal/purge), every interval until ctx ends, counting them in m; an
// interval of zero purges nothing. Every process does it, whichever
// processors it runs (--only): the offsets come from the broker, and a
// purge that finds nothing to delete costs a few small requests.
func runPurge(ctx context.Context, kc kafkaconf.Config, interval time.Duration, m *metrics.Metrics, logger *slog.Logger) error {
	if interval == 0 {
		return nil
	}
	streams := processors.Handoffs()
	for _, s := range streams {
		m.Purged(s.Topic, 0)
	}
	return withAdmin(kc, "purge", func(adm *kadm.Client) error {
		return purge.Run(ctx, adm, streams, interval, m.Purged, logger.With("component", "purge"))
	})
}

// observed adds to rc what the metrics need of the processors: the table
// cache flushes, and ingest's records from its first transaction on.
func observed(rc runner.Config, m *metrics.Metrics, procs []processors.Processor) runner.Config {
	rc.CacheFlushed = func(group goka.Group, records int, err error) { m.CacheFlushed(string(group), records, err) }
	for _, p := range procs {
		if p.Name() == string(ingest.Group) {
			startIngest(m)
		}
	}
	return rc
}

func startIngest(m *metrics.Metrics) {
	m.StartIngest(string(ingest.Group), string(order.Stream), string(ingest.Output), string(ingest.DLQ))
}

// ingestEnded counts one ingest transaction in m.
func ingestEnded(m *metrics.Metrics) func(ingest.Transaction) {
	return func(t ingest.Transaction) {
		m.IngestEnded(string(ingest.Group), string(order.Stream), string(ingest.Output), string(ingest.DLQ),
			t.Committed, t.Records, t.Placed, t.DeadLetters)
	}
}
