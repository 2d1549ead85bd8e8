package broker

import (
	"bufio"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"
)

// helperDirEnv tells the test binary, re-executed by TestKilledBroker, to
// run a broker on the directory it names until it is killed.
const helperDirEnv = "ORDERSTREAM_BROKER_HELPER_DIR"

// persisted fills a broker with topics, records and committed offsets, and
// returns the records and offsets the broker must still hold after a
// restart.
func persisted(t *testing.T, addr string) ([]record, map[int32]int64) {
	t.Helper()
	createTopic(t, addr, "orders", 3, nil)
	createTopic(t, addr, "registry-table", 3, map[string]string{"cleanup.policy": "compact"})
	recs := produce(t, addr, "orders", keyed(30, 3))
	offsets := map[int32]int64{0: 4, 1: 7, 2: 10}
	commit(t, addr, "ingest", "orders", offsets)
	if got := committed(t, addr, "ingest", "orders", 3); !reflect.DeepEqual(got, offsets) {
		t.Fatalf("committed offsets %v, want %v", got, offsets)
	}
	sortRecords(recs)
	return recs, offsets
}

// checkPersisted checks that the broker at addr holds recs and offsets.
func checkPersisted(t *testing.T, addr string, recs []record, offsets map[int32]int64) {
	t.Helper()
	if got := consumeAll(t, addr, "orders"); !reflect.DeepEqual(got, recs) {
		t.Errorf("after restart orders holds\n%v\nwant\n%v", got, recs)
	}
	if got := committed(t, addr, "ingest", "orders", 3); !reflect.DeepEqual(got, offsets) {
		t.Errorf("after restart committed offsets %v, want %v", got, offsets)
	}
	topics, err := newAdmin(t, addr).ListTopics()
	if err != nil {
		t.Fatal(err)
	}
	table := topics["registry-table"]
	if p := table.ConfigEntries["cleanup.policy"]; table.NumPartitions != 3 || p == nil || *p != "compact" {
		t.Errorf("after restart registry-table has %d partitions, config %v; want 3, compact", table.NumPartitions, table.ConfigEntries)
	}
	// New records continue the log.
	next := produce(t, addr, "orders", []record{{Partition: 0, Key: "k", Value: "v"}})
	if next[0].Offset != 10 {
		t.Errorf("first record after restart at offset %d, want 10", next[0].Offset)
	}
}

func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	b := startBroker(t, Config{DataDir: dir})
	recs, offsets := persisted(t, b.Addr())
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	b = startBroker(t, Config{DataDir: dir})
	checkPersisted(t, b.Addr(), recs, offsets)
}

// TestKilledBroker shows what survives SIGKILL without SyncWrites: every
// acknowledged record and commit, since each is written to its file before
// the broker answers; only a machine crash can lose what the kernel has not
// flushed.
func TestKilledBroker(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker process")
	}
	dir := t.TempDir()
	cmd, a := startHelper(t, "TestHelperBroker", helperDirEnv+"="+dir)

	recs, offsets := persisted(t, a)
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	b := startBroker(t, Config{DataDir: dir})
	checkPersisted(t, b.Addr(), recs, offsets)
}

// startHelper runs the test binary's test named test with env added, a
// broker that prints its address, and returns the process and address.
func startHelper(t *testing.T, test string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "addr="); ok {
				addr <- a
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a
	case <-time.After(20 * time.Second):
		t.Fatalf("helper broker %s did not report its address", test)
		return nil, ""
	}
}

// TestHelperBroker is the broker process TestKilledBroker kills.
func TestHelperBroker(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process of TestKilledBroker")
	}
	b, err := Start(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("addr=" + b.Addr() + "\n")
	time.Sleep(time.Minute)
}

func TestCloseReportsSaveFailure(t *testing.T) {
	dir := t.TempDir() + "/data"
	b, err := Start(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Pull the directory from under the broker: saving needs it.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err = b.Close()
	if err == nil || !strings.Contains(err.Error(), "save broker state") {
		t.Errorf("Close() = %v, want a save error", err)
	}
	if again := b.Close(); again != err {
		t.Errorf("second Close() = %v, want the first's %v", again, err)
	}
}
