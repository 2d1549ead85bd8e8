package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Tuning values of reading a topic to a given end.
const (
	// pollWait bounds one poll, so that a stall is noticed.
	pollWait = 500 * time.Millisecond
	// stallCheck is how long reading waits without a record before it
	// looks whether the partitions still expected lost their records to
	// retention; stallLimit how long before it gives up on them.
	stallCheck = 3 * time.Second
	stallLimit = time.Minute
)

// ErrStalled is returned when a partition yields no record for stallLimit
// although it holds some before the end to read to.
var ErrStalled = errors.New("no record for too long")

// Offsets are per-partition offsets of one topic.
type Offsets map[int32]int64

// consume calls fn with every committed data record of topic from from to
// to (exclusive), partition by partition in offset order. Records of
// aborted transactions are skipped; control records are read, not handed
// to fn, so that reading ends at a transaction marker too.
//
// A partition is read through once a record at or past to-1 arrives.
// Compaction may have removed records before to, but it always keeps a
// partition's last batch, and the log ends at or past to, so such a record
// comes. Only retention can leave nothing to read: a partition whose
// records before to are all gone counts as read. Anything else that yields
// no record is an error, never a partition taken as read.
func consume(ctx context.Context, base []kgo.Opt, topic string, from, to Offsets, fn func(*kgo.Record) error) error {
	pending := Offsets{}
	start := map[int32]kgo.Offset{}
	for p, end := range to {
		if from[p] < end {
			pending[p] = end
			start[p] = kgo.NewOffset().At(from[p])
		}
	}
	if len(pending) == 0 {
		return nil
	}
	opts := append(append([]kgo.Opt(nil), base...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: start}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("read %s: %w", topic, err)
	}
	defer cl.Close()
	progress := time.Now()
	for len(pending) > 0 {
		pctx, cancel := context.WithTimeout(ctx, pollWait)
		fetches := cl.PollFetches(pctx)
		cancel()
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("read %s: %w", topic, err)
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) {
				return fmt.Errorf("read %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
			}
		}
		var ferr error
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := pending[r.Partition]
			if !ok || ferr != nil {
				return
			}
			progress = time.Now()
			if r.Offset < end && !r.Attrs.IsControl() {
				ferr = fn(r)
			}
			if r.Offset >= end-1 {
				delete(pending, r.Partition)
			}
		})
		if ferr != nil {
			return ferr
		}
		if idle := time.Since(progress); idle > stallCheck && len(pending) > 0 {
			if err := dropRetained(ctx, cl, topic, pending); err != nil {
				return fmt.Errorf("read %s: %w", topic, err)
			}
			if len(pending) > 0 && idle > stallLimit {
				return fmt.Errorf("read %s: partitions %v (with the offsets to read to): %w (%v)", topic, pending, ErrStalled, stallLimit)
			}
		}
	}
	return nil
}

// dropRetained removes from pending the partitions that hold no record
// before the offset to read to any more: retention removed them.
func dropRetained(ctx context.Context, cl *kgo.Client, topic string, pending Offsets) error {
	starts, err := offsets(kadm.NewClient(cl).ListStartOffsets(ctx, topic))
	if err != nil {
		return fmt.Errorf("list start offsets: %w", err)
	}
	for p, end := range pending {
		if s, ok := starts[topic][p]; ok && s >= end {
			delete(pending, p)
		}
	}
	return nil
}

// latest reads topic to the snapshot and returns the latest value of
// every key, as a goka view holds it: a null value deletes its key. Only
// the partition goka's hasher puts a key on counts, since no processor or
// view looks elsewhere; misplaced is called with a record on another.
func latest(ctx context.Context, base []kgo.Opt, snap *snapshot, topic string, misplaced func(r *kgo.Record, want int32)) (map[string][]byte, error) {
	partition := gokaPartitions(snap, topic)
	out := map[string][]byte{}
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(r *kgo.Record) error {
		switch want := partition(r.Key); {
		case r.Partition != want:
			misplaced(r, want)
		case r.Value == nil:
			delete(out, string(r.Key))
		default:
			out[string(r.Key)] = r.Value
		}
		return nil
	})
	return out, err
}
