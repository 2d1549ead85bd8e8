package broker

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// compactingHelperEnv tells the test binary, re-executed by
// TestKilledWhileCompacting, to run a broker that compacts all the time on
// the directory it names, until it is killed.
const compactingHelperEnv = "ORDERSTREAM_BROKER_COMPACTING_DIR"

// TestHelperCompactingBroker is the broker TestKilledWhileCompacting kills.
func TestHelperCompactingBroker(t *testing.T) {
	dir := os.Getenv(compactingHelperEnv)
	if dir == "" {
		t.Skip("helper process of TestKilledWhileCompacting")
	}
	b, err := Start(Config{DataDir: dir, CompactInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("addr=" + b.Addr() + "\n")
	time.Sleep(time.Minute)
}

// TestKilledWhileCompacting kills a broker that compacts every millisecond
// while a table is written, and checks that every key still has its last
// acknowledged value. With the journal undone by hand, it failed at its
// 11th kill: the whole partition was gone.
func TestKilledWhileCompacting(t *testing.T) {
	if testing.Short() {
		t.Skip("starts broker processes")
	}
	const rounds, keys = 25, 40
	for round := range rounds {
		dir := t.TempDir()
		cmd, addr := startHelper(t, "TestHelperCompactingBroker", compactingHelperEnv+"="+dir)
		createTopic(t, addr, "user-table", 1, map[string]string{"cleanup.policy": "compact"})
		cfg := saramaConfig(addr)
		cfg.Producer.Return.Successes = true
		p, err := sarama.NewSyncProducer([]string{addr}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		acked := map[string]string{}
		until := time.Now().Add(time.Duration(100+rand.IntN(500)) * time.Millisecond)
		for i := 0; time.Now().Before(until); i++ {
			k, v := fmt.Sprintf("k%d", i%keys), fmt.Sprintf("v%d", i)
			msg := &sarama.ProducerMessage{Topic: "user-table", Key: sarama.StringEncoder(k), Value: sarama.StringEncoder(v)}
			if _, _, err := p.SendMessage(msg); err != nil {
				t.Fatal(err)
			}
			acked[k] = v
		}
		cmd.Process.Kill()
		cmd.Wait()
		p.Close()

		b := startBroker(t, Config{DataDir: dir, CompactInterval: time.Hour})
		got := map[string]string{}
		for _, r := range consumeAll(t, b.Addr(), "user-table") {
			got[r.Key] = r.Value
		}
		b.Close()
		if !reflect.DeepEqual(got, acked) {
			t.Fatalf("round %d: after the kill the table holds %d keys, want the %d acknowledged:\ngot  %v\nwant %v", round, len(got), len(acked), got, acked)
		}
	}
}

// tableBroker starts a broker with cfg and a one-partition table topic,
// user-table, holding 5 updates of 3 keys, which it returns.
func tableBroker(t *testing.T, cfg Config) (*Broker, []record) {
	t.Helper()
	b := startBroker(t, cfg)
	createTopic(t, b.Addr(), "user-table", 1, map[string]string{"cleanup.policy": "compact"})
	return b, produce(t, b.Addr(), "user-table", updates(5, 3))
}

// TestRecoverInterruptedCompaction plays a broker killed in the middle of
// rewriting a partition: the segment files removed, the new one cut short.
func TestRecoverInterruptedCompaction(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, CompactInterval: time.Hour}
	b, want := tableBroker(t, cfg)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	if err := writeJournal(dir); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(dir, partitionsDir, "user-table-0")
	files, err := os.ReadDir(part)
	if err != nil {
		t.Fatal(err)
	}
	var segment []byte
	for _, f := range files {
		if isSegmentFile(f.Name()) {
			if filepath.Ext(f.Name()) == segmentExt {
				if segment, err = os.ReadFile(filepath.Join(part, f.Name())); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(filepath.Join(part, f.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The rewrite got as far as half of the first batch.
	if err := os.WriteFile(filepath.Join(part, "0"+segmentExt), segment[:30], 0o644); err != nil {
		t.Fatal(err)
	}

	b = startBroker(t, cfg)
	if got := consumeAll(t, b.Addr(), "user-table"); !reflect.DeepEqual(got, want) {
		t.Errorf("after recovery the table holds\n%v\nwant\n%v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, journalDir)); !os.IsNotExist(err) {
		t.Errorf("journal still there after recovery: %v", err)
	}
}

// TestRecoverKeepsFinishedCompaction checks that a journal left by a broker
// killed after compacting is dropped, with what was written since.
func TestRecoverKeepsFinishedCompaction(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DataDir: dir, CompactInterval: time.Hour}
	b, first := tableBroker(t, cfg)
	if err := writeJournal(dir); err != nil {
		t.Fatal(err)
	}
	b.cluster.Compact()
	want := append(compacted(first, 3), produce(t, b.Addr(), "user-table", updates(1, 3))...)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b = startBroker(t, cfg)
	if got := consumeAll(t, b.Addr(), "user-table"); !reflect.DeepEqual(got, want) {
		t.Errorf("after recovery the table holds\n%v\nwant the compacted log\n%v", got, want)
	}
}

func TestLastOffset(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, Config{DataDir: dir, CompactInterval: time.Hour})
	createTopic(t, b.Addr(), "orders", 1, nil)
	recs := produce(t, b.Addr(), "orders", keyed(4, 1))
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	part := filepath.Join(dir, partitionsDir, "orders-0")
	if got, err := lastOffset(part); err != nil || got != recs[3].Offset {
		t.Errorf("lastOffset = %d, %v; want %d", got, err, recs[3].Offset)
	}
	// A batch cut short does not count.
	seg := filepath.Join(part, "0"+segmentExt)
	raw, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(seg, raw[:len(raw)-1], 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := lastOffset(part); err != nil || got != recs[2].Offset {
		t.Errorf("lastOffset with the last batch cut short = %d, %v; want %d", got, err, recs[2].Offset)
	}
	empty := t.TempDir()
	if got, err := lastOffset(empty); err != nil || got != -1 {
		t.Errorf("lastOffset of no segments = %d, %v; want -1", got, err)
	}
}

// TestWriteJournalBeforeAnyPartition: a broker compacts before any
// partition reached its data directory (a demo started with no orders);
// the journal is then empty, not an error.
func TestWriteJournalBeforeAnyPartition(t *testing.T) {
	dir := t.TempDir()
	if err := writeJournal(dir); err != nil {
		t.Fatalf("writeJournal on an empty data directory: %v", err)
	}
	if err := recoverCompaction(dir, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("recoverCompaction of the empty journal: %v", err)
	}
}
