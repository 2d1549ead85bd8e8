package integrationtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/restaurant"
)

// TestKafkaCompactedRecovery lets Apache Kafka's log cleaner compact the
// table topics (segments rolled every second, cleaned as soon as they may
// be) while orders flow, then starts a system on an empty data directory:
// it must recover every table from what compaction left, with gaps in the
// offsets where the embedded broker moves the log start offset instead.
func TestKafkaCompactedRecovery(t *testing.T) {
	skipShort(t)
	c := startKafka(t, 1, kafkacluster.Config{Extra: map[string]string{
		"log.roll.ms":                       "1000",
		"log.cleaner.backoff.ms":            "500",
		"log.cleaner.min.cleanable.ratio":   "0.01",
		"log.cleaner.min.compaction.lag.ms": "0",
		"log.segment.delete.delay.ms":       "1000",
	}})
	kc := kafkaConfig(c.Bootstrap()[0])
	ensureTopics(t, kc)
	logger := newLogger(t)
	sys := newSystem(t, kc, t.TempDir(), logger)
	sys.start()
	sys.waitReady()
	l := newLedger()
	seed := uint64(1)
	var compacted string
	waitFor(t, sys, "the cleaner to compact "+string(restaurant.Table), func() (string, bool) {
		// Orders keep coming, so that segments roll and updates of the
		// same restaurants pile up for the cleaner.
		mustSimulate(t, kc, simConfig(100, 2000, seed), l, logger)
		seed++
		records, offsets := tableRecords(t, kc, string(restaurant.Table))
		compacted = fmt.Sprintf("%d records over %d offsets", records, offsets)
		return compacted, records < offsets
	})
	t.Logf("%s compacted: %s", restaurant.Table, compacted)
	waitExact(t, sys, l.expect())
	sys.stop()

	fresh := newSystem(t, kc, t.TempDir(), logger)
	fresh.start()
	t.Logf("system on an empty data directory ready after %v", fresh.waitReady())
	waitExact(t, fresh, l.expect())
	checkNoDuplicatesOrInvalid(t, fresh)
	fresh.stop()
}

// tableRecords reads topic up to its current end and returns how many
// records it holds and how many offsets they span (the sum of the end
// offsets): fewer records than offsets once compaction removed some.
func tableRecords(t *testing.T, kc kafkaconf.Config, topic string) (records, offsets int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	admin := kadm.NewClient(testutil.KafkaClient(t, kc))
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	end := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		end[o.Partition] = o.Offset
		offsets += o.Offset
	})
	cl := testutil.KafkaClient(t, kc, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	reached := map[int32]bool{}
	for p, e := range end {
		reached[p] = e == 0
	}
	done := func() bool {
		for _, ok := range reached {
			if !ok {
				return false
			}
		}
		return true
	}
	// The last record of a partition survives compaction: reading up to
	// it reads everything.
	for !done() {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("reading %s: %v", topic, ctx.Err())
		}
		fetches.EachRecord(func(r *kgo.Record) {
			records++
			if r.Offset+1 >= end[r.Partition] {
				reached[r.Partition] = true
			}
		})
	}
	return records, offsets
}
