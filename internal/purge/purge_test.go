package purge

import (
	"context"
	"crypto/rand"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
)

const topic = "handoff"

// produce writes n records of size random bytes (which no compression
// shrinks) to each of partitions, in order.
func produce(t *testing.T, cl *kgo.Client, partitions []int32, n, size int) {
	t.Helper()
	for range n {
		for _, p := range partitions {
			r := &kgo.Record{Topic: topic, Partition: p, Value: make([]byte, size)}
			rand.Read(r.Value)
			if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// commit commits, for group, offset at in each partition of ats.
func commit(t *testing.T, adm *kadm.Client, group string, ats map[int32]int64) {
	t.Helper()
	offs := kadm.Offsets{}
	for p, at := range ats {
		offs.AddOffset(topic, p, at, -1)
	}
	resp, err := adm.CommitOffsets(context.Background(), group, offs)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		t.Fatalf("commit %s %v: %v", group, ats, err)
	}
}

// starts returns the start offset of every partition of the topic.
func starts(t *testing.T, adm *kadm.Client) map[int32]int64 {
	t.Helper()
	listed, err := adm.ListStartOffsets(context.Background(), topic)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	for p, o := range listed[topic] {
		out[p] = o.Offset
	}
	return out
}

func client(t *testing.T, kc kafkaconf.Config) (*kgo.Client, *kadm.Client) {
	cl := testutil.KafkaClient(t, kc, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	return cl, kadm.NewClient(cl)
}

// TestOnce purges up to the last record the readers all consumed, and
// leaves alone a partition that one reader has committed nothing in.
func TestOnce(t *testing.T) {
	kc := testutil.StartBroker(t, "purge-test", 2, []topics.Spec{{Name: topic, Purged: true}})
	cl, adm := client(t, kc)
	produce(t, cl, []int32{0, 1}, 10, 10)
	streams := []Stream{{Topic: topic, Readers: []string{"a", "b", "never-started"}}}
	once := func() Purged {
		t.Helper()
		p, err := Once(context.Background(), adm, streams)
		if err != nil {
			t.Fatalf("Once: %v", err)
		}
		return p
	}

	// A reader that never started: nothing is purged, and that is no error.
	commit(t, adm, "a", map[int32]int64{0: 6, 1: 4})
	commit(t, adm, "b", map[int32]int64{0: 5})
	if p := once(); len(p) != 0 {
		t.Fatalf("purged %v while a reader has not started", p)
	}

	// Up to the last record both consumed, which stays.
	streams[0].Readers = []string{"a", "b"}
	if p, want := once(), (Purged{topic: {0: {0, 4}}}); !reflect.DeepEqual(p, want) {
		t.Fatalf("purged %v, want %v (b has committed nothing in partition 1)", p, want)
	}
	if got, want := starts(t, adm), map[int32]int64{0: 4, 1: 0}; !reflect.DeepEqual(got, want) {
		t.Fatalf("start offsets %v, want %v", got, want)
	}

	commit(t, adm, "b", map[int32]int64{0: 9, 1: 3})
	p := once()
	if want := (Purged{topic: {0: {4, 5}, 1: {0, 2}}}); !reflect.DeepEqual(p, want) {
		t.Fatalf("purged %v, want %v", p, want)
	}
	if n := p.Records(topic); n != 3 {
		t.Errorf("Records = %d, want 3", n)
	}
	if p := once(); len(p) != 0 {
		t.Fatalf("purged %v again with no new commits", p)
	}

	// A reader reads on from its committed offset: nothing it has yet to
	// read is gone.
	read := testutil.KafkaClient(t, kc, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		topic: {0: kgo.NewOffset().At(6), 1: kgo.NewOffset().At(3)},
	}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	next := map[int32]int64{0: 6, 1: 3}
	for next[0] < 10 || next[1] < 10 {
		fs := read.PollFetches(ctx)
		if err := fs.Err(); err != nil {
			t.Fatal(err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			if r.Offset != next[r.Partition] {
				t.Fatalf("partition %d: read offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
			}
			next[r.Partition]++
		})
	}

	// Everything consumed: the last record stays, so that the partition
	// keeps its offsets on a broker that loses its state in a crash.
	commit(t, adm, "a", map[int32]int64{0: 10})
	commit(t, adm, "b", map[int32]int64{0: 10})
	if p, want := once(), (Purged{topic: {0: {5, 9}}}); !reflect.DeepEqual(p, want) {
		t.Errorf("purged %v, want %v", p, want)
	}
}

// TestRunFreesDisk purges a stream created as the system creates its
// handoffs, on a broker that keeps its log on disk: the segments the
// readers are done with leave the disk.
func TestRunFreesDisk(t *testing.T) {
	dir := t.TempDir()
	b, err := broker.Start(broker.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	kc := kafkaconf.Config{Brokers: []string{b.Addr()}, Partitions: 1, Replication: 1, ClientID: "purge-test"}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := topics.Ensure(ctx, kc, []topics.Spec{{Name: topic, Purged: true}}); err != nil {
		t.Fatal(err)
	}
	cl, adm := client(t, kc)
	const size = 256 << 10
	n := 3 * topics.PurgedSegmentBytes / size // three segments' worth
	produce(t, cl, []int32{0}, n, size)
	before := du(t, dir)
	if before < int64(n*size) {
		t.Fatalf("data directory holds %d bytes after %d bytes were produced", before, n*size)
	}
	commit(t, adm, "reader", map[int32]int64{0: int64(n)})

	purged := make(chan int64, 1)
	rctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Run(rctx, adm, []Stream{{Topic: topic, Readers: []string{"reader"}}}, 10*time.Millisecond,
			func(_ string, records int64) {
				if records > 0 {
					purged <- records
				}
			}, slog.New(slog.DiscardHandler))
	}()
	select {
	case got := <-purged:
		if got != int64(n-1) {
			t.Errorf("purged %d records, want %d (all but the last)", got, n-1)
		}
	case <-ctx.Done():
		t.Fatal("nothing purged within a minute")
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
	// Every full segment is gone; the active one stays, as on Kafka.
	if after := du(t, dir); after > before-2*topics.PurgedSegmentBytes {
		t.Errorf("data directory holds %d bytes after the purge, %d before: want two segments freed", after, before)
	}
}

// du is the size of the files under dir.
func du(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
