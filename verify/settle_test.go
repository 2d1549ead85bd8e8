package verify

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/internal/topics"
)

// firstData reads only the partitions it is given offsets from: one that
// a group has fully processed is not work left, even though it holds
// records. Here partition 0 is processed and partition 1 has nothing left
// but a transaction's commit marker.
func TestFirstDataReadsOnlyUnprocessedPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a broker")
	}
	const topic = "first-data"
	kc := testutil.StartBroker(t, "first-data", 2, []topics.Spec{{Name: topic}})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	base := []kgo.Opt{kgo.SeedBrokers(kc.Brokers...)}
	cl, err := kgo.NewClient(append(base, kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.TransactionalID("first-data"))...)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p := range int32(2) {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: topic, Partition: p, Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
			t.Fatal(err)
		}
	}
	// Each partition: the record at 0, the commit marker at 1, end 2.
	ends := Offsets{0: 2, 1: 2}
	if _, found, err := firstData(ctx, base, topic, Offsets{1: 1}, ends); err != nil || found {
		t.Errorf("firstData after partition 1's last record: found %v, err %v; want nothing found", found, err)
	}
	p, found, err := firstData(ctx, base, topic, Offsets{1: 0}, ends)
	if err != nil || !found || p != 1 {
		t.Errorf("firstData from partition 1's record: partition %d, found %v, err %v; want partition 1 found", p, found, err)
	}
}
