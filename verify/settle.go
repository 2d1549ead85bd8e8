package verify

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// settleInterval is the pause between two looks at the groups' progress.
const settleInterval = 500 * time.Millisecond

// ErrNotSettled is returned when the processors did not catch up with
// their input within the timeout.
var ErrNotSettled = errors.New("the processors did not catch up")

// snapshot is where every topic of the system began and ended at a moment
// when every group had processed all of its input.
type snapshot struct {
	starts, ends map[string]Offsets
}

// offsets converts kadm's listing, failing on any partition's error.
func offsets(l kadm.ListedOffsets, err error) (map[string]Offsets, error) {
	if err != nil {
		return nil, err
	}
	out := map[string]Offsets{}
	var errs []error
	l.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			errs = append(errs, fmt.Errorf("%s/%d: %w", o.Topic, o.Partition, o.Err))
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = Offsets{}
		}
		out[o.Topic][o.Partition] = o.Offset
	})
	return out, errors.Join(errs...)
}

// settle waits until every group has processed every record of its
// inputs, no transaction is open on them, and no topic grew meanwhile,
// then returns where the topics ended. Goka groups commit the offset after
// a record's writes are acknowledged, so by then every table topic holds
// what the processing of the inputs wrote.
func settle(ctx context.Context, adm *kadm.Client, base []kgo.Opt, groups map[string][]string, topics []string, timeout time.Duration) (*snapshot, error) {
	deadline := time.Now().Add(timeout)
	for {
		snap, busy, err := look(ctx, adm, base, groups, topics)
		if err == nil && len(busy) == 0 {
			return snap, nil
		}
		if err != nil {
			busy = append(busy, err.Error())
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%w within %v: %v", ErrNotSettled, timeout, busy)
		}
		t := time.NewTimer(settleInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// look reports who is still busy: a group with unprocessed input, an open
// transaction, a topic that grew while looking.
func look(ctx context.Context, adm *kadm.Client, base []kgo.Opt, groups map[string][]string, topics []string) (*snapshot, []string, error) {
	starts, err := offsets(adm.ListStartOffsets(ctx, topics...))
	if err != nil {
		return nil, nil, fmt.Errorf("list start offsets: %w", err)
	}
	ends, err := offsets(adm.ListEndOffsets(ctx, topics...))
	if err != nil {
		return nil, nil, fmt.Errorf("list end offsets: %w", err)
	}
	stable, err := offsets(adm.ListCommittedOffsets(ctx, topics...))
	if err != nil {
		return nil, nil, fmt.Errorf("list stable offsets: %w", err)
	}
	var busy []string
	for _, t := range topics {
		for p, end := range ends[t] {
			if s := stable[t][p]; s != end {
				busy = append(busy, fmt.Sprintf("%s/%d: transaction open at %d of %d", t, p, s, end))
			}
		}
	}
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		committed, err := adm.FetchOffsets(ctx, g)
		if err != nil {
			return nil, nil, fmt.Errorf("fetch offsets of group %s: %w", g, err)
		}
		for _, t := range groups[g] {
			from := Offsets{}
			for p, end := range ends[t] {
				at := starts[t][p]
				if c, ok := committed.Lookup(t, p); ok {
					if c.Err != nil {
						busy = append(busy, fmt.Sprintf("group %s %s/%d: %v", g, t, p, c.Err))
						continue
					}
					at = max(at, c.At)
				}
				if at < end {
					from[p] = at
				}
			}
			if len(from) == 0 {
				continue
			}
			// Between a group's committed offset and the end there may be
			// transaction markers and aborted records only: no work left.
			p, found, err := firstData(ctx, base, t, from, ends[t])
			if err != nil {
				return nil, nil, err
			}
			if found {
				busy = append(busy, fmt.Sprintf("group %s: %s/%d from offset %d of %d to process", g, t, p, from[p], ends[t][p]))
			}
		}
	}
	after, err := offsets(adm.ListEndOffsets(ctx, topics...))
	if err != nil {
		return nil, nil, fmt.Errorf("list end offsets: %w", err)
	}
	for _, t := range topics {
		if !maps.Equal(ends[t], after[t]) {
			busy = append(busy, fmt.Sprintf("%s grew while looking", t))
		}
	}
	return &snapshot{starts: starts, ends: ends}, busy, nil
}

// errFound stops reading at the first data record.
var errFound = errors.New("found")

// firstData reports the partition of the first committed data record of
// topic found between from and to, if any, in the partitions of from.
func firstData(ctx context.Context, base []kgo.Opt, topic string, from, to Offsets) (int32, bool, error) {
	// Only the partitions in from: consume reads one missing from from
	// its offset 0, and a processed partition holds records too.
	until := Offsets{}
	for p := range from {
		until[p] = to[p]
	}
	var partition int32
	err := consume(ctx, base, topic, from, until, func(r *kgo.Record) error {
		partition = r.Partition
		return errFound
	})
	if errors.Is(err, errFound) {
		return partition, true, nil
	}
	return 0, false, err
}
