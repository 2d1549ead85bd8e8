// Package window counts events in tumbling one-minute windows by event
// time, as Kafka Streams does: the stream time is the highest event time
// seen; a window takes late events until the stream time passes its end
// by Grace, and is forgotten once it falls out of the last Keep minutes.
// Counts is a value in a table, so it is small and its rules are pure:
// the same events in the same order always give the same counts.
package window

import (
	"slices"
	"time"
)

// Tuning values.
const (
	// Size is the length of a window.
	Size = time.Minute
	// Keep is how many windows, up to the stream time's, are kept.
	Keep = 60
	// Grace is how long after its end a window still counts late events.
	Grace = 2 * time.Minute
)

// Bucket is the count of one window, which starts at Start.
type Bucket struct {
	Start time.Time `json:"start"`
	Count int64     `json:"count"`
}

// Counts is a series of windows.
type Counts struct {
	// Buckets are the windows with events, oldest first, within the last
	// Keep windows of StreamTime.
	Buckets []Bucket `json:"buckets,omitempty"`
	// StreamTime is the highest event time seen.
	StreamTime time.Time `json:"stream_time,omitzero"`
	// Late counts the events that came after their window closed.
	Late int64 `json:"late,omitempty"`
}

// Start is the start of the window of an event at t.
func Start(t time.Time) time.Time { return t.UTC().Truncate(Size) }

// Add counts n events at t and reports whether they were counted; events
// for a closed window are counted in Late instead.
func (c *Counts) Add(t time.Time, n int64) bool {
	if t.After(c.StreamTime) {
		c.StreamTime = t.UTC()
	}
	start := Start(t)
	oldest := Start(c.StreamTime).Add(-(Keep - 1) * Size)
	if !start.Add(Size+Grace).After(c.StreamTime) || start.Before(oldest) {
		c.Late += n
		c.prune(oldest)
		return false
	}
	i, found := slices.BinarySearchFunc(c.Buckets, start, func(b Bucket, s time.Time) int { return b.Start.Compare(s) })
	if found {
		c.Buckets[i].Count += n
	} else {
		c.Buckets = slices.Insert(c.Buckets, i, Bucket{Start: start, Count: n})
	}
	c.prune(oldest)
	return true
}

// prune drops the windows that start before oldest.
func (c *Counts) prune(oldest time.Time) {
	i := 0
	for i < len(c.Buckets) && c.Buckets[i].Start.Before(oldest) {
		i++
	}
	if i > 0 {
		c.Buckets = slices.Delete(c.Buckets, 0, i)
	}
}

// Merge adds up the buckets of several series, oldest first; nil if they
// have none.
func Merge(series ...[]Bucket) []Bucket {
	sum := map[time.Time]int64{}
	for _, s := range series {
		for _, b := range s {
			sum[b.Start.UTC()] += b.Count
		}
	}
	if len(sum) == 0 {
		return nil
	}
	out := make([]Bucket, 0, len(sum))
	for start, n := range sum {
		out = append(out, Bucket{Start: start, Count: n})
	}
	slices.SortFunc(out, func(a, b Bucket) int { return a.Start.Compare(b.Start) })
	return out
}

// Point is one minute of a series as the API shows it.
type Point struct {
	Minute time.Time `json:"minute"`
	Orders int64     `json:"orders"`
}

// Series is the Keep minutes up to and including now's, oldest first, with
// zero for the minutes buckets lacks.
func Series(buckets []Bucket, now time.Time) []Point {
	first := Start(now).Add(-(Keep - 1) * Size)
	out := make([]Point, Keep)
	for i := range out {
		out[i].Minute = first.Add(time.Duration(i) * Size)
	}
	for _, b := range buckets {
		i := int(b.Start.Sub(first) / Size)
		if b.Start.Before(first) || i >= Keep {
			continue
		}
		out[i].Orders += b.Count
	}
	return out
}
