package liveview

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/codec"
	"github.com/lovoo/goka/storage"
	"github.com/lovoo/goka/tester"
)

// TestRestartWhileReading runs a view, stops it and runs it again, three
// times, with readers reading it all along. Under -race this is the test
// of the guard: a read never overlaps goka closing an instance. Each run
// builds a new goka view (a goka view cannot Run twice).
func TestRestartWhileReading(t *testing.T) {
	tt := tester.New(t)
	table := goka.Table("liveview-test")
	var (
		mu    sync.Mutex
		built []*goka.View
	)
	// One storage for every instance, as a LevelDB on disk is reused.
	kept := storage.NewMemory()
	if err := kept.Set("k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	reuse := func(string, int32) (storage.Storage, error) { return kept, nil }
	v, err := New(nil, table, new(codec.String), reuse, func(gv *goka.View) {
		mu.Lock()
		defer mu.Unlock()
		built = append(built, gv)
	}, goka.WithViewTester(tt))
	if err != nil {
		t.Fatal(err)
	}

	if _, err := v.Get("k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Get before Run = %v, want ErrUnavailable", err)
	}

	stopReaders := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stopReaders:
					return
				default:
				}
				val, err := v.Get("k")
				if err == nil && val != nil && val != "v" {
					t.Errorf("Get(k) = %v, want v", val)
				}
				if err != nil && !errors.Is(err, ErrUnavailable) {
					t.Errorf("Read: %v", err)
				}
				_ = v.Stats(context.Background())
				runtime.Gosched()
			}
		}()
	}

	for run := range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- v.Run(ctx) }()
		// Wait, without a deadline, for the instance to serve reads.
		for !v.Recovered() {
			time.Sleep(time.Millisecond)
		}
		if got, err := v.Get("k"); err != nil || got != "v" {
			t.Errorf("run %d: Get(k) = %v, %v; want v", run, got, err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run %d: Run = %v", run, err)
		}
		if v.Recovered() {
			t.Errorf("run %d: stopped instance still recovered", run)
		}
	}
	close(stopReaders)
	readers.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(built) != 3 || built[0] == built[1] || built[1] == built[2] {
		t.Errorf("built %d instances, want 3 distinct", len(built))
	}
}

// TestPartition: a key is read from the partition goka's producers and
// views put it in (goka.DefaultHasher, sarama's hash partitioner).
func TestPartition(t *testing.T) {
	for _, key := range []string{"", "r-1", "restaurant/0", "u-4711", "ü"} {
		for _, n := range []int{1, 2, 3, 10} {
			h := goka.DefaultHasher()()
			_, _ = h.Write([]byte(key))
			want := int32(h.Sum32())
			if want < 0 {
				want = -want
			}
			want %= int32(n)
			if got := partition(key, n); got != want {
				t.Errorf("partition(%q, %d) = %d, want %d", key, n, got, want)
			}
		}
	}
}
