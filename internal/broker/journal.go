package broker

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// kfake compacts a partition in place: it removes the partition's segment
// files, then writes the surviving batches to new ones. A broker killed in
// between loses the partition: every table value in it, and its offsets
// start again at zero. Kafka writes the cleaned log to new files and swaps
// them in; kfake cannot be told to, so the broker journals around it:
// before each compaction it hard-links every segment file into the
// journal, and removes the journal once compaction is over. A broker that
// starts with a journal was killed while compacting; a partition whose log
// now ends before the journal's copy of it was being rewritten, and the
// copy (the log as it was, nothing lost, nothing compacted) is put back.
//
// A compacted log keeps its last batch, so a rewrite that finished ends at
// the same offset as before; records appended after it only move the end
// further. Records appended between the journal and the compaction go to
// the same files, linked, so the copy holds them too.

// These are kfake's names in its data directory.
const (
	partitionsDir = "partitions"
	segmentExt    = ".dat"
	indexExt      = ".idx"
)

// journalDir is the journal's directory in the data directory, and
// journalDir+".new" the one being written.
const journalDir = "compaction-journal"

// segmentName parses one of kfake's segment or index file names, the
// files a compaction rewrites: its base offset and extension.
func segmentName(name string) (base int64, ext string, ok bool) {
	ext = filepath.Ext(name)
	if ext != segmentExt && ext != indexExt {
		return 0, "", false
	}
	base, err := strconv.ParseInt(strings.TrimSuffix(name, ext), 10, 64)
	return base, ext, err == nil
}

// isSegmentFile reports whether name is a segment or index file.
func isSegmentFile(name string) bool {
	_, _, ok := segmentName(name)
	return ok
}

// writeJournal links every segment and index file of every partition in
// dataDir into the journal. The journal appears whole or not at all.
func writeJournal(dataDir string) error {
	final := filepath.Join(dataDir, journalDir)
	tmp := final + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	// Made first: with no partition on disk yet, the journal is empty.
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return err
	}
	parts, err := os.ReadDir(filepath.Join(dataDir, partitionsDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, p := range parts {
		if !p.IsDir() {
			continue
		}
		from, to := filepath.Join(dataDir, partitionsDir, p.Name()), filepath.Join(tmp, p.Name())
		if err := os.MkdirAll(to, 0o755); err != nil {
			return err
		}
		files, err := os.ReadDir(from)
		if err != nil {
			return err
		}
		for _, f := range files {
			if !isSegmentFile(f.Name()) {
				continue
			}
			// A file removed meanwhile (retention) is not in the log.
			err := os.Link(filepath.Join(from, f.Name()), filepath.Join(to, f.Name()))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return os.Rename(tmp, final)
}

// removeJournal removes the journal once compaction is over.
func removeJournal(dataDir string) error {
	return os.RemoveAll(filepath.Join(dataDir, journalDir))
}

// recoverCompaction puts back, from the journal, every partition a killed
// broker was rewriting, and removes the journal. It runs before kfake
// loads the data directory. Run again after being killed itself, it
// finishes the job: the journal goes last.
func recoverCompaction(dataDir string, logger *slog.Logger) error {
	journal := filepath.Join(dataDir, journalDir)
	if err := os.RemoveAll(journal + ".new"); err != nil {
		return err
	}
	parts, err := os.ReadDir(journal)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, p := range parts {
		saved, live := filepath.Join(journal, p.Name()), filepath.Join(dataDir, partitionsDir, p.Name())
		if _, err := os.Stat(live); errors.Is(err, fs.ErrNotExist) {
			continue // the topic was deleted after compacting
		}
		was, err := lastOffset(saved)
		if err != nil {
			return err
		}
		now, err := lastOffset(live)
		if err != nil {
			return err
		}
		if now >= was {
			continue
		}
		logger.Warn("restoring a partition the broker was compacting when it was killed",
			"partition", p.Name(), "last_offset", was, "found_last_offset", now)
		if err := restorePartition(saved, live); err != nil {
			return fmt.Errorf("restore partition %s: %w", p.Name(), err)
		}
	}
	return removeJournal(dataDir)
}

// restorePartition replaces the segment files in live by those in saved,
// linking them in base order: until the last is in, the partition still
// looks cut short, and recovery starts over.
func restorePartition(saved, live string) error {
	files, err := os.ReadDir(live)
	if err != nil {
		return err
	}
	for _, f := range files {
		if isSegmentFile(f.Name()) {
			if err := os.Remove(filepath.Join(live, f.Name())); err != nil {
				return err
			}
		}
	}
	files, err = os.ReadDir(saved)
	if err != nil {
		return err
	}
	var names []string
	for _, f := range files {
		if isSegmentFile(f.Name()) {
			names = append(names, f.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int { return compareBase(a, b) })
	for _, n := range names {
		if err := os.Link(filepath.Join(saved, n), filepath.Join(live, n)); err != nil {
			return err
		}
	}
	return nil
}

// compareBase orders segment file names by base offset, an index file
// before its segment.
func compareBase(a, b string) int {
	ba, ea, _ := segmentName(a)
	bb, eb, _ := segmentName(b)
	return cmp.Or(cmp.Compare(ba, bb), strings.Compare(eb, ea)) // .idx before .dat
}

// Positions in a Kafka record batch (v2), the format of kfake's segment
// files: base offset, batch length, then partition leader epoch, magic,
// CRC and attributes before the last offset delta.
const (
	batchHeader     = 12 // base offset (8), length (4)
	lastDeltaAt     = 23
	minBatchLength  = lastDeltaAt + 4 - batchHeader
	noRecordsOffset = -1
)

// lastOffset returns the offset of the last record in the segment files in
// dir, or -1 when they hold none. A batch cut short at the end of a file,
// as a killed write leaves it, does not count: kfake drops it on load.
func lastOffset(dir string) (int64, error) {
	files, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var bases []int64
	for _, f := range files {
		if base, ext, ok := segmentName(f.Name()); ok && ext == segmentExt {
			bases = append(bases, base)
		}
	}
	slices.Sort(bases)
	for _, base := range slices.Backward(bases) {
		raw, err := os.ReadFile(filepath.Join(dir, strconv.FormatInt(base, 10)+segmentExt))
		if err != nil {
			return 0, err
		}
		last := int64(noRecordsOffset)
		for pos := 0; pos+batchHeader <= len(raw); {
			n := int(binary.BigEndian.Uint32(raw[pos+8:]))
			if n < minBatchLength || pos+batchHeader+n > len(raw) {
				break
			}
			first := int64(binary.BigEndian.Uint64(raw[pos:]))
			last = first + int64(int32(binary.BigEndian.Uint32(raw[pos+lastDeltaAt:])))
			pos += batchHeader + n
		}
		if last != noRecordsOffset {
			return last, nil
		}
	}
	return noRecordsOffset, nil
}
