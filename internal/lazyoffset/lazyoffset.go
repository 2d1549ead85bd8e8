// Package lazyoffset wraps goka's local storage so that the table offset,
// which goka writes to LevelDB after every acknowledged table record (a
// second journal write(2) per message), is written at most once per
// interval.
//
// The offset only says where to resume reading the changelog on restart.
// Writing it late leaves it lower than the values already stored, so a
// restart after a crash replays a little more of the changelog: replaying
// puts each key's values in order again and ends with the newest, so the
// table is the same. A clean shutdown writes the latest offset.
package lazyoffset

import (
	"errors"
	"sync"
	"time"

	"github.com/lovoo/goka/storage"
)

// Interval is how often an offset is written at most while processing.
const Interval = time.Second

// Builder wraps the storages b builds.
func Builder(b storage.Builder) storage.Builder {
	return func(topic string, partition int32) (storage.Storage, error) {
		st, err := b(topic, partition)
		if err != nil {
			return nil, err
		}
		return Wrap(st, Interval), nil
	}
}

// Wrap returns st writing offsets at most once per every.
func Wrap(st storage.Storage, every time.Duration) storage.Storage {
	return &lazy{Storage: st, every: every}
}

// lazy holds back the offsets given within every of the last one written.
type lazy struct {
	storage.Storage
	every time.Duration

	mu      sync.Mutex
	written time.Time // when an offset was last passed on
	pending int64     // the offset held back, if dirty
	dirty   bool
}

// SetOffset passes offset on if the last was passed on every ago, else
// holds it back.
func (l *lazy) SetOffset(offset int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if now.Sub(l.written) < l.every {
		l.pending, l.dirty = offset, true
		return nil
	}
	l.written, l.dirty = now, false
	return l.Storage.SetOffset(offset)
}

// flush passes on the offset held back, if any.
func (l *lazy) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dirty {
		return nil
	}
	l.written, l.dirty = time.Now(), false
	return l.Storage.SetOffset(l.pending)
}

// GetOffset is the latest offset given.
func (l *lazy) GetOffset(def int64) (int64, error) {
	if err := l.flush(); err != nil {
		return 0, err
	}
	return l.Storage.GetOffset(def)
}

// MarkRecovered passes on the offset held back, then marks st recovered
// (goka's storage writes its offset then).
func (l *lazy) MarkRecovered() error {
	if err := l.flush(); err != nil {
		return err
	}
	return l.Storage.MarkRecovered()
}

// Close writes the offset held back and closes the storage.
func (l *lazy) Close() error {
	return errors.Join(l.flush(), l.Storage.Close())
}
