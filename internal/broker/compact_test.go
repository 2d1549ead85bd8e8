package broker

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

const (
	testCompactInterval = 50 * time.Millisecond
	compactWait         = 10 * time.Second
)

// updates returns rounds updates of each of keys keys of one partition, in
// round order: key k<j>, value r<i>.
func updates(rounds, keys int) []record {
	var out []record
	for i := range rounds {
		for j := range keys {
			out = append(out, record{Key: fmt.Sprintf("k%d", j), Value: fmt.Sprintf("r%d", i)})
		}
	}
	return out
}

// compacted is what kfake's compaction leaves of produced, records
// produced one batch each to one partition, cycling through keys keys:
// kfake never compacts the last batch (its stand-in for Kafka's active
// segment) and, among the rest, keeps the latest record of each key. The
// last key therefore appears twice, its previous value before the last
// batch and its last one in it, and the survivors are exactly the last
// keys+1 records.
func compacted(produced []record, keys int) []record {
	return produced[len(produced)-keys-1:]
}

// waitCompacted waits until topic's partition 0 starts at offset start.
func waitCompacted(t *testing.T, addr, topic string, start int64) {
	t.Helper()
	cl := newClient(t, addr)
	deadline := time.Now().Add(compactWait)
	for {
		got, err := cl.GetOffset(topic, 0, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("log start of %s: %v", topic, err)
		}
		if got == start {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("log start of %s is %d after %v, want %d: not compacted", topic, got, compactWait, start)
		}
		time.Sleep(testCompactInterval)
	}
}

func TestCompaction(t *testing.T) {
	const rounds, keys = 20, 5
	b := startBroker(t, Config{CompactInterval: testCompactInterval})
	createTopic(t, b.Addr(), "restaurant-table", 1, map[string]string{"cleanup.policy": "compact"})
	createTopic(t, b.Addr(), "orders", 1, nil)

	table := produce(t, b.Addr(), "restaurant-table", updates(rounds, keys))
	stream := produce(t, b.Addr(), "orders", updates(rounds, keys))
	want := compacted(table, keys)
	waitCompacted(t, b.Addr(), "restaurant-table", want[0].Offset)

	if got := consumeAll(t, b.Addr(), "restaurant-table"); !reflect.DeepEqual(got, want) {
		t.Errorf("compacted table holds\n%v\nwant\n%v", got, want)
	}
	// Stream topics are never compacted.
	if got := consumeAll(t, b.Addr(), "orders"); !reflect.DeepEqual(got, stream) {
		t.Errorf("stream holds %d records, want all %d", len(got), len(stream))
	}
}

// TestCompactionAfterRestart covers kfake starting its own cleaner only
// when a topic changes, never after loading state from disk.
func TestCompactionAfterRestart(t *testing.T) {
	const rounds, keys = 10, 3
	dir := t.TempDir()
	cfg := Config{DataDir: dir, CompactInterval: testCompactInterval}
	b := startBroker(t, cfg)
	createTopic(t, b.Addr(), "user-table", 1, map[string]string{"cleanup.policy": "compact"})
	b.Close()

	b = startBroker(t, cfg)
	want := compacted(produce(t, b.Addr(), "user-table", updates(rounds, keys)), keys)
	waitCompacted(t, b.Addr(), "user-table", want[0].Offset)
	if got := consumeAll(t, b.Addr(), "user-table"); !reflect.DeepEqual(got, want) {
		t.Errorf("compacted table holds\n%v\nwant\n%v", got, want)
	}
	b.Close()

	// The compacted log is what is on disk.
	b = startBroker(t, cfg)
	if got := consumeAll(t, b.Addr(), "user-table"); !reflect.DeepEqual(got, want) {
		t.Errorf("after restart compacted table holds\n%v\nwant\n%v", got, want)
	}
}
