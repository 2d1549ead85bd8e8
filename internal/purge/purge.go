// Package purge deletes the records of internal streams once every group
// that reads them has consumed them, as Kafka Streams purges its
// repartition topics (repartition.purge.interval.ms): a DeleteRecords up to
// the last record every reading group has committed past. A stream between
// processors is read by its groups and by nobody else, so a record below
// every reader's committed offset is never read again, and keeping it for
// the topic's retention only costs the broker disk and memory.
//
// Committed is enough: a processor commits a message only once its effects
// (table writes and emits) are acknowledged (processors/cache), so what a
// restart reprocesses starts at the committed offset, never below it.
package purge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Interval is how often Run purges: Kafka Streams' default
// repartition.purge.interval.ms.
const Interval = 30 * time.Second

// timeout bounds one purge.
const timeout = 20 * time.Second

// Stream is a topic to purge and the consumer groups that read it.
type Stream struct {
	Topic   string
	Readers []string
}

// Purged is what one purge deleted from a topic: From and To per
// partition, the start offsets before and after, for the partitions
// whose start moved.
type Purged map[string]map[int32][2]int64

// Records counts the records Purged deleted from topic.
func (p Purged) Records(topic string) int64 {
	var n int64
	for _, r := range p[topic] {
		n += r[1] - r[0]
	}
	return n
}

// Once deletes, in every partition of every stream, the records below the
// last one its readers have all consumed (the lowest offset they have
// committed, minus one). A partition that one of its readers has committed
// nothing in is left alone: that group has not read it yet, or starts from
// the oldest record. It returns what it deleted and every error met,
// joined; a partition that failed is left for the next purge.
func Once(ctx context.Context, adm *kadm.Client, streams []Stream) (Purged, error) {
	topics := make([]string, 0, len(streams))
	for _, s := range streams {
		topics = append(topics, s.Topic)
	}
	starts, err := adm.ListStartOffsets(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("list start offsets: %w", err)
	}
	var errs []error
	committed := map[string]kadm.OffsetResponses{}
	for _, s := range streams {
		for _, g := range s.Readers {
			if _, ok := committed[g]; ok {
				continue
			}
			// A group that failed, or has not started yet (not found),
			// is left out: the streams it reads are not purged.
			offs, err := adm.FetchOffsets(ctx, g)
			if err != nil {
				offs = nil
				if !errors.Is(err, kerr.GroupIDNotFound) {
					errs = append(errs, fmt.Errorf("committed offsets of group %s: %w", g, err))
				}
			}
			committed[g] = offs
		}
	}
	del := kadm.Offsets{}
	from := map[string]map[int32]int64{}
	for _, s := range streams {
		for p, start := range starts[s.Topic] {
			if start.Err != nil {
				errs = append(errs, fmt.Errorf("start offset of %s/%d: %w", s.Topic, p, start.Err))
				continue
			}
			// The last record consumed stays: a partition is never
			// emptied. A broker that deletes a partition's last
			// segment with it (kfake does, Kafka keeps its active
			// segment) and then crashes would recover the partition
			// at offset 0, behind every reader's committed offset.
			if low, ok := lowest(committed, s, p); ok && low-1 > start.Offset {
				to := low - 1
				del.AddOffset(s.Topic, p, to, -1)
				if from[s.Topic] == nil {
					from[s.Topic] = map[int32]int64{}
				}
				from[s.Topic][p] = start.Offset
			}
		}
	}
	purged := Purged{}
	if len(del) == 0 {
		return purged, errors.Join(errs...)
	}
	resps, err := adm.DeleteRecords(ctx, del)
	if err != nil {
		return purged, errors.Join(append(errs, fmt.Errorf("delete records: %w", err))...)
	}
	for _, r := range resps.Sorted() {
		if errors.Is(r.Err, kerr.OffsetOutOfRange) {
			// Another process purged past this offset since the start
			// offsets were listed, or the log is behind the readers'
			// offsets (a broker lost its tail): nothing to purge now.
			continue
		}
		if r.Err != nil {
			errs = append(errs, fmt.Errorf("delete records of %s/%d below %d (start %d): %w",
				r.Topic, r.Partition, del[r.Topic][r.Partition].At, from[r.Topic][r.Partition], r.Err))
			continue
		}
		if purged[r.Topic] == nil {
			purged[r.Topic] = map[int32][2]int64{}
		}
		purged[r.Topic][r.Partition] = [2]int64{from[r.Topic][r.Partition], r.LowWatermark}
	}
	return purged, errors.Join(errs...)
}

// lowest returns the lowest offset the readers of s have committed in
// partition p, and false if one of them has committed none there (or its
// offsets could not be read).
func lowest(committed map[string]kadm.OffsetResponses, s Stream, p int32) (int64, bool) {
	low := int64(-1)
	for _, g := range s.Readers {
		o, ok := committed[g].Lookup(s.Topic, p)
		if !ok || o.Err != nil || o.At < 0 {
			return 0, false
		}
		if low < 0 || o.At < low {
			low = o.At
		}
	}
	return low, low >= 0
}

// Run purges streams every interval until ctx ends, and calls purged with
// the records deleted from each topic (also when none were). A failed
// purge is logged, once for each new error, and tried again at the next
// interval: it never ends Run.
func Run(ctx context.Context, adm *kadm.Client, streams []Stream, interval time.Duration, purged func(topic string, records int64), logger *slog.Logger) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, timeout)
		p, err := Once(pctx, adm, streams)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		for _, s := range streams {
			n := p.Records(s.Topic)
			if purged != nil {
				purged(s.Topic, n)
			}
			if n > 0 {
				logger.Debug("purged consumed records", "topic", s.Topic, "records", n)
			}
		}
		switch {
		case err == nil:
			if last != "" {
				logger.Info("purge works again")
			}
			last = ""
		case err.Error() != last:
			logger.Warn("purge of consumed records failed; trying again every interval", "interval", interval, "err", err)
			last = err.Error()
		}
	}
}
