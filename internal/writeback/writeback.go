// Package writeback is goka's LevelDB local storage with a write-back
// buffer: values and the table offset are kept in memory and written to
// LevelDB together, in one batch, every Interval or MaxBytes.
//
// Goka writes every table update to LevelDB as it happens, a journal
// write(2) each, and the table offset after every acknowledged changelog
// record, another. A hot key (a restaurant, a global shard) is written
// hundreds of times a second; buffered, it is written once per batch.
//
// A batch is atomic and holds the latest offset acknowledged when it was
// written. Goka sets a value before it produces it to the changelog and
// sets the offset after the changelog acknowledged it, so every value up to
// the stored offset is in LevelDB. A process killed between batches loses
// the buffer; on restart goka reads the changelog from the stored offset
// on, which puts every lost value back. Values newer than the offset may be
// stored too (set, not yet acknowledged): replaying the changelog puts each
// key's values in order again and ends with the newest, and processors
// repeat the writes of a redelivered message (see processors/exactly).
package writeback

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lovoo/goka/storage"
	"github.com/syndtr/goleveldb/leveldb"
	ldbiter "github.com/syndtr/goleveldb/leveldb/iterator"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Defaults of the buffer: it is written when it is this old or this big.
const (
	Interval = 100 * time.Millisecond
	MaxBytes = 4 << 20
)

// Options are the LevelDB options of every local table. No block
// compression, as Kafka Streams leaves its RocksDB stores uncompressed:
// the values are small JSON documents, and snappy was a quarter of the CPU
// of a view's cold restore (with compaction, over half). Databases written
// with compression are read all the same: each block says how it is
// stored.
//
// A process holds a database per table partition (demo: 33), and
// LevelDB's defaults are sized for one: a 4 MiB memtable (allocated
// whole, kept twice with its pool) and an 8 MiB block cache each. At 1 MiB
// apiece the demo's RSS is 194 MiB instead of 346 and its data directory
// grows 25 KiB per order instead of 38; a cold catch-up pays 10-15% for
// the smaller memtables, the steady state nothing measurable (BENCHMARKS.md,
// "LevelDB sized for many small stores").
//
// A batch larger than the memtable (a recovery writes up to MaxBytes at a
// time) goes through the journal and a memtable of its size, as smaller
// ones do, rather than LevelDB's "large batch transaction", which waits
// for the memtable's compaction and writes the batch into tables of
// WriteBuffer each: with 1 MiB memtables that halved the speed of a cold
// restore (BENCHMARKS.md, "Restoring through the journal"). A memtable
// grown for a batch stays in use until it is full, and LevelDB's pool may
// hand it out again: a store that restored large batches can keep two
// memtables of up to MaxBytes instead of two of WriteBuffer.
var Options = &opt.Options{
	Compression:                  opt.NoCompression,
	WriteBuffer:                  1 << 20,
	BlockCacheCapacity:           1 << 20,
	DisableLargeBatchTransaction: true,
}

// offsetKey is where goka's LevelDB storage keeps the table offset; using
// the same key and format keeps existing data directories readable.
const offsetKey = "__offset"

// Builder builds a write-back storage in a LevelDB database per topic
// partition under path, named as goka's storage.DefaultBuilder names them.
func Builder(path string) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		db, err := leveldb.OpenFile(filepath.Join(path, fmt.Sprintf("%s.%d", topic, partition)), Options)
		if err != nil {
			return nil, fmt.Errorf("error opening leveldb: %v", err)
		}
		return New(db, Interval, MaxBytes), nil
	}
}

// entry is a buffered change of a key: a value, or a deletion.
type entry struct {
	value   []byte
	deleted bool
}

// Storage is a goka storage over db that buffers its writes.
type Storage struct {
	db       *leveldb.DB
	every    time.Duration
	maxBytes int

	// flushMu serializes batch writes; mu guards the fields below it.
	// A batch is written without mu held, so readers and writers never
	// wait for LevelDB: flushing holds what the batch being written
	// holds, and new changes go to dirty meanwhile.
	flushMu  sync.Mutex
	mu       sync.RWMutex
	dirty    map[string]entry
	flushing map[string]entry
	bytes    int       // of the keys and values in dirty
	written  time.Time // when the buffer was last written
	offset   int64     // the latest offset set
	hasOff   bool      // whether an offset was set since opening
	offDirty bool      // whether offset is newer than the stored one

	beforeWrite func() // for tests: called as a batch is about to be written
}

// New returns a storage over db writing its buffer every interval or when
// it holds maxBytes. It closes db when it is closed.
func New(db *leveldb.DB, every time.Duration, maxBytes int) *Storage {
	return &Storage{
		db: db, every: every, maxBytes: maxBytes,
		dirty: map[string]entry{}, flushing: map[string]entry{}, written: time.Now(),
	}
}

// Open does nothing: the database is open.
func (s *Storage) Open() error { return nil }

// Close writes the buffer and closes the database.
func (s *Storage) Close() error {
	return errors.Join(s.Flush(), s.db.Close())
}

// Has reports whether key has a value.
func (s *Storage) Has(key string) (bool, error) {
	v, err := s.Get(key)
	return v != nil, err
}

// Get returns key's value, nil if it has none. The caller must not modify
// it.
func (s *Storage) Get(key string) ([]byte, error) {
	s.mu.RLock()
	e, ok := s.dirty[key]
	if !ok {
		e, ok = s.flushing[key]
	}
	s.mu.RUnlock()
	if ok {
		return e.value, nil
	}
	v, err := s.db.Get([]byte(key), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error getting from leveldb (key %s): %v", key, err)
	}
	return v, nil
}

// Set buffers key's value. value must not be modified afterwards, as goka
// does not: it produces the same bytes to the changelog.
func (s *Storage) Set(key string, value []byte) error {
	if value == nil {
		value = []byte{} // nil means no value to Get
	}
	return s.put(key, entry{value: value})
}

// Delete buffers the deletion of key.
func (s *Storage) Delete(key string) error {
	return s.put(key, entry{deleted: true})
}

func (s *Storage) put(key string, e entry) error {
	s.mu.Lock()
	if old, ok := s.dirty[key]; ok {
		s.bytes -= len(key) + len(old.value)
	}
	s.dirty[key] = e
	s.bytes += len(key) + len(e.value)
	due := s.dueLocked()
	s.mu.Unlock()
	if due {
		return s.Flush()
	}
	return nil
}

// GetOffset returns the latest offset set, or the stored one, or def.
func (s *Storage) GetOffset(def int64) (int64, error) {
	s.mu.RLock()
	off, ok := s.offset, s.hasOff
	s.mu.RUnlock()
	if ok {
		return off, nil
	}
	data, err := s.db.Get([]byte(offsetKey), nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return def, nil
	}
	if err != nil {
		return 0, fmt.Errorf("error getting offset from leveldb: %v", err)
	}
	off, err = strconv.ParseInt(string(data), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("error decoding offset: %v", err)
	}
	return off, nil
}

// SetOffset buffers the table offset.
func (s *Storage) SetOffset(offset int64) error {
	s.mu.Lock()
	s.offset, s.hasOff, s.offDirty = offset, true, true
	due := s.dueLocked()
	s.mu.Unlock()
	if due {
		return s.Flush()
	}
	return nil
}

// MarkRecovered writes the buffer: recovery is over.
func (s *Storage) MarkRecovered() error { return s.Flush() }

// Flush writes the buffer now, in one batch with the offset set last.
// Every value up to that offset was set before it, so it is in the batch
// or an earlier one.
func (s *Storage) Flush() error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()

	s.mu.Lock()
	s.written = time.Now()
	if len(s.dirty) == 0 && !s.offDirty {
		s.mu.Unlock()
		return nil
	}
	s.dirty, s.flushing = s.flushing, s.dirty // flushing is empty between batches
	offset, withOffset := s.offset, s.offDirty
	s.bytes, s.offDirty = 0, false
	s.mu.Unlock()

	// flushing changes only here, under flushMu: read it without mu.
	var b leveldb.Batch
	for k, e := range s.flushing {
		if e.deleted {
			b.Delete([]byte(k))
		} else {
			b.Put([]byte(k), e.value)
		}
	}
	if withOffset {
		b.Put([]byte(offsetKey), strconv.AppendInt(nil, offset, 10))
	}
	if s.beforeWrite != nil {
		s.beforeWrite()
	}
	err := s.db.Write(&b, nil)

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		// Keep what was not written, under what changed since.
		for k, e := range s.flushing {
			if _, newer := s.dirty[k]; !newer {
				s.dirty[k] = e
				s.bytes += len(k) + len(e.value)
			}
		}
		s.offDirty = s.offDirty || withOffset
	}
	clear(s.flushing)
	if err != nil {
		return fmt.Errorf("error writing to leveldb: %v", err)
	}
	return nil
}

// dueLocked reports whether the buffer is old or big enough to be written.
func (s *Storage) dueLocked() bool {
	return s.bytes >= s.maxBytes || time.Since(s.written) >= s.every
}

// Iterator iterates over all values, the buffer written first.
func (s *Storage) Iterator() (storage.Iterator, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	return &iterator{s.db.NewIterator(nil, &opt.ReadOptions{DontFillCache: true})}, nil
}

// IteratorWithRange iterates over the keys in [start, limit), or with the
// prefix start if limit is empty, as goka's storage does.
func (s *Storage) IteratorWithRange(start, limit []byte) (storage.Iterator, error) {
	if err := s.Flush(); err != nil {
		return nil, err
	}
	if len(limit) > 0 {
		return &iterator{s.db.NewIterator(&util.Range{Start: start, Limit: limit}, nil)}, nil
	}
	return &iterator{s.db.NewIterator(util.BytesPrefix(start), nil)}, nil
}

// iterator is a LevelDB iterator without the offset key.
type iterator struct{ ldbiter.Iterator }

func (i *iterator) Next() bool {
	for i.Iterator.Next() {
		if string(i.Key()) != offsetKey {
			return true
		}
	}
	return false
}

func (i *iterator) Err() error { return i.Error() }

func (i *iterator) Value() ([]byte, error) { return i.Iterator.Value(), nil }
