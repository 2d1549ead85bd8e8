package lazyoffset_test

import (
	"testing"
	"time"

	"github.com/lovoo/goka/storage"

	"github.com/orderstream/orderstream/internal/lazyoffset"
)

// counting counts the offsets passed to the storage it wraps.
type counting struct {
	storage.Storage
	sets int
}

func (c *counting) SetOffset(offset int64) error {
	c.sets++
	return c.Storage.SetOffset(offset)
}

// open returns a recovered LevelDB storage in a temporary directory, and
// the counter under the lazy wrapper.
func open(t *testing.T, every time.Duration) (storage.Storage, *counting, storage.Builder) {
	t.Helper()
	b := storage.DefaultBuilder(t.TempDir())
	inner, err := b("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	c := &counting{Storage: inner}
	st := lazyoffset.Wrap(c, every)
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkRecovered(); err != nil {
		t.Fatal(err)
	}
	return st, c, b
}

func offset(t *testing.T, st storage.Storage) int64 {
	t.Helper()
	off, err := st.GetOffset(-1)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func TestHoldsBackWithinInterval(t *testing.T) {
	st, c, _ := open(t, time.Hour)
	for off := int64(1); off <= 100; off++ {
		if err := st.SetOffset(off); err != nil {
			t.Fatal(err)
		}
	}
	if c.sets != 1 {
		t.Errorf("offsets written = %d, want 1 (the first)", c.sets)
	}
	if got := offset(t, st); got != 100 {
		t.Errorf("GetOffset() = %d, want the latest, 100", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWritesEveryOffsetWithoutInterval(t *testing.T) {
	st, c, _ := open(t, 0)
	for off := int64(1); off <= 10; off++ {
		if err := st.SetOffset(off); err != nil {
			t.Fatal(err)
		}
	}
	if c.sets != 10 {
		t.Errorf("offsets written = %d, want 10", c.sets)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestCloseWritesLatest(t *testing.T) {
	st, _, b := open(t, time.Hour)
	for _, off := range []int64{5, 6, 7} {
		if err := st.SetOffset(off); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := b("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if err := again.MarkRecovered(); err != nil {
		t.Fatal(err)
	}
	if got := offset(t, again); got != 7 {
		t.Errorf("offset after reopening = %d, want 7", got)
	}
}

func TestMarkRecoveredPassesHeldBack(t *testing.T) {
	b := storage.DefaultBuilder(t.TempDir())
	inner, err := b("table", 0)
	if err != nil {
		t.Fatal(err)
	}
	st := lazyoffset.Wrap(inner, time.Hour)
	if err := st.Open(); err != nil {
		t.Fatal(err)
	}
	for _, off := range []int64{1, 2, 3} { // restoring the changelog
		if err := st.SetOffset(off); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.MarkRecovered(); err != nil {
		t.Fatal(err)
	}
	if got := offset(t, st); got != 3 {
		t.Errorf("offset after recovery = %d, want 3", got)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
}
