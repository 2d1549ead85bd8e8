package writeback

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
)

// open opens a write-back storage on a database in dir.
func open(t *testing.T, dir string, every time.Duration, maxBytes int) *Storage {
	t.Helper()
	db, err := leveldb.OpenFile(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return New(db, every, maxBytes)
}

// kill closes s's database without writing the buffer, as a killed
// process leaves it.
func kill(t *testing.T, s *Storage) {
	t.Helper()
	if err := s.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, s storage.Storage, key string) string {
	t.Helper()
	v, err := s.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return "<none>"
	}
	return string(v)
}

func offset(t *testing.T, s storage.Storage) int64 {
	t.Helper()
	off, err := s.GetOffset(-1)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestReadsItsBuffer(t *testing.T) {
	s := open(t, t.TempDir(), time.Hour, MaxBytes)
	defer s.Close()
	must(t, s.Set("a", []byte("1")))
	must(t, s.Set("b", []byte("2")))
	must(t, s.Flush())
	must(t, s.Set("a", []byte("3")))
	must(t, s.Delete("b"))
	must(t, s.SetOffset(7))
	for key, want := range map[string]string{"a": "3", "b": "<none>", "c": "<none>"} {
		if got := get(t, s, key); got != want {
			t.Errorf("Get(%q) = %s, want %s", key, got, want)
		}
	}
	if has, err := s.Has("b"); err != nil || has {
		t.Errorf("Has(deleted) = %v, %v", has, err)
	}
	if got := offset(t, s); got != 7 {
		t.Errorf("GetOffset = %d, want 7", got)
	}
}

// TestKilledKeepsABatch checks that a killed storage keeps what its last
// batch wrote, values and offset together, and nothing of its buffer.
func TestKilledKeepsABatch(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Hour, MaxBytes)
	must(t, s.Set("a", []byte("1")))
	must(t, s.SetOffset(10))
	must(t, s.Flush())
	must(t, s.Set("a", []byte("2")))
	must(t, s.Set("b", []byte("1")))
	must(t, s.SetOffset(11))
	kill(t, s)

	s = open(t, dir, time.Hour, MaxBytes)
	defer s.Close()
	if a, b, off := get(t, s, "a"), get(t, s, "b"), offset(t, s); a != "1" || b != "<none>" || off != 10 {
		t.Errorf("after a kill a=%s b=%s offset %d; want the last batch: a=1 b=<none> offset 10", a, b, off)
	}
}

func TestWritesWhenFullOrDue(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Hour, 10)
	must(t, s.Set("a", []byte("12345")))
	must(t, s.Set("b", []byte("12345"))) // 12 bytes of keys and values: written
	must(t, s.SetOffset(3))              // buffered
	kill(t, s)
	s = open(t, dir, time.Hour, 10)
	if a, b, off := get(t, s, "a"), get(t, s, "b"), offset(t, s); a != "12345" || b != "12345" || off != -1 {
		t.Errorf("after a full buffer a=%s b=%s offset %d; want both values and no offset", a, b, off)
	}
	kill(t, s)

	s = open(t, dir, time.Millisecond, MaxBytes)
	must(t, s.Set("c", []byte("1")))
	time.Sleep(5 * time.Millisecond)
	must(t, s.SetOffset(4)) // the buffer is due: written with it
	kill(t, s)
	s = open(t, dir, time.Hour, MaxBytes)
	defer s.Close()
	if c, off := get(t, s, "c"), offset(t, s); c != "1" || off != 4 {
		t.Errorf("after an interval c=%s offset %d; want c=1 offset 4", c, off)
	}
}

func TestCloseWrites(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Hour, MaxBytes)
	must(t, s.Set("a", []byte("1")))
	must(t, s.SetOffset(5))
	must(t, s.Close())
	s = open(t, dir, time.Hour, MaxBytes)
	defer s.Close()
	if a, off := get(t, s, "a"), offset(t, s); a != "1" || off != 5 {
		t.Errorf("after Close a=%s offset %d; want a=1 offset 5", a, off)
	}
}

func TestIteratorSeesBufferWithoutOffset(t *testing.T) {
	s := open(t, t.TempDir(), time.Hour, MaxBytes)
	defer s.Close()
	must(t, s.Set("a", []byte("1")))
	must(t, s.SetOffset(1))
	must(t, s.Set("b", []byte("2")))
	must(t, s.Set("pre-x", []byte("3")))
	for _, c := range []struct {
		name string
		it   func() (storage.Iterator, error)
		want []string
	}{
		{"all", s.Iterator, []string{"a=1", "b=2", "pre-x=3"}},
		{"range", func() (storage.Iterator, error) { return s.IteratorWithRange([]byte("a"), []byte("b")) }, []string{"a=1"}},
		{"prefix", func() (storage.Iterator, error) { return s.IteratorWithRange([]byte("pre-"), nil) }, []string{"pre-x=3"}},
	} {
		it, err := c.it()
		must(t, err)
		var got []string
		for it.Next() {
			v, err := it.Value()
			must(t, err)
			got = append(got, string(it.Key())+"="+string(v))
		}
		must(t, it.Err())
		it.Release()
		if len(got) != len(c.want) {
			t.Errorf("%s: iterated %v, want %v", c.name, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: iterated %v, want %v", c.name, got, c.want)
				break
			}
		}
	}
}

// TestReadsGokaStorage checks that a data directory written by goka's own
// LevelDB storage reads the same, offset included, and the other way.
// While a batch is being written, its values are read from memory: not
// from LevelDB, which does not have them yet, nor lost.
func TestReadsDuringFlush(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir, time.Hour, 1<<20)
	must(t, s.Set("k", []byte("v1")))
	must(t, s.Flush())
	must(t, s.Set("k", []byte("v2")))
	must(t, s.Delete("gone"))
	writing := false
	s.beforeWrite = func() {
		writing = true
		if v := get(t, s, "k"); v != "v2" {
			t.Errorf("k = %s while its batch is written, want v2", v)
		}
		// A change made meanwhile goes to the next batch and is read.
		must(t, s.Set("new", []byte("v3")))
		if v := get(t, s, "new"); v != "v3" {
			t.Errorf("new = %s, want v3", v)
		}
	}
	must(t, s.Flush())
	if !writing {
		t.Fatal("no batch was written")
	}
	s.beforeWrite = nil
	if v := get(t, s, "k"); v != "v2" {
		t.Errorf("k = %s after the batch, want v2", v)
	}
	kill(t, s) // the buffer holds "new" only
	s = open(t, dir, time.Hour, 1<<20)
	defer s.Close()
	if k, n := get(t, s, "k"), get(t, s, "new"); k != "v2" || n != "<none>" {
		t.Errorf("after a kill: k = %s, new = %s; want v2, <none>", k, n)
	}
}

func TestReadsGokaStorage(t *testing.T) {
	dir := t.TempDir()
	g, err := storage.DefaultBuilder(dir)("table", 0)
	must(t, err)
	must(t, g.Open())
	must(t, g.MarkRecovered())
	must(t, g.Set("a", []byte("1")))
	must(t, g.SetOffset(42))
	must(t, g.Close())

	s, err := Builder(dir)("table", 0)
	must(t, err)
	if a, off := get(t, s, "a"), offset(t, s); a != "1" || off != 42 {
		t.Errorf("goka's storage read as a=%s offset %d; want a=1 offset 42", a, off)
	}
	must(t, s.Set("b", []byte("2")))
	must(t, s.SetOffset(43))
	must(t, s.Close())

	db, err := leveldb.OpenFile(filepath.Join(dir, "table.0"), nil)
	must(t, err)
	g, err = storage.New(db)
	must(t, err)
	defer g.Close()
	must(t, g.MarkRecovered())
	if b, off := get(t, g, "b"), offset(t, g); b != "2" || off != 43 {
		t.Errorf("read back by goka's storage b=%s offset %d; want b=2 offset 43", b, off)
	}
}

// BenchmarkTableUpdate is a processor's table update: Get a key's value,
// Set the new one, SetOffset when the changelog acknowledged it, over the
// 50 keys of a restaurant table. goka's LevelDB storage is the baseline.
func BenchmarkTableUpdate(b *testing.B) {
	keys := make([]string, 50)
	for i := range keys {
		keys[i] = "r-" + strconv.Itoa(i)
	}
	value := make([]byte, 600) // about a restaurant's Stats
	for _, c := range []struct {
		name  string
		build func(dir string) storage.Builder
	}{
		{"goka", storage.DefaultBuilder},
		{"writeback", Builder},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := c.build(b.TempDir())("table", 0)
			must(b, err)
			must(b, s.Open())
			must(b, s.MarkRecovered())
			defer s.Close()
			i := 0
			for b.Loop() {
				key := keys[i%len(keys)]
				if _, err := s.Get(key); err != nil {
					b.Fatal(err)
				}
				must(b, s.Set(key, value))
				must(b, s.SetOffset(int64(i)))
				i++
			}
		})
	}
}
