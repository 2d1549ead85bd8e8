// Package exactly makes goka's at-least-once processing count every event
// once. Every event between processors carries the position (partition,
// offset) of the message that caused it upstream. Producers are idempotent,
// so events from one upstream partition arrive in order; a table value that
// remembers the highest position it applied per upstream partition can tell
// a redelivery from a new event with a few integers, however long it lives.
package exactly

import (
	"fmt"
	"strconv"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// Pos is the position of a message in a topic partition.
type Pos struct {
	Partition int32 `json:"partition"`
	Offset    int64 `json:"offset"`
}

func (p Pos) String() string { return fmt.Sprintf("%d@%d", p.Partition, p.Offset) }

// Applied maps an upstream partition to the highest offset already applied.
// Its JSON form is an object keyed by partition number.
type Applied map[int32]int64

// Seen reports whether the event at p was applied already.
func (a Applied) Seen(p Pos) bool {
	off, ok := a[p.Partition]
	return ok && p.Offset <= off
}

// Mark records p as applied. It returns the map so a nil Applied can be
// marked: a = a.Mark(p).
func (a Applied) Mark(p Pos) Applied {
	if a == nil {
		a = make(Applied, 1)
	}
	if off, ok := a[p.Partition]; !ok || p.Offset > off {
		a[p.Partition] = p.Offset
	}
	return a
}

// AppendJSON appends a as JSON, as encoding/json writes it: an object
// with the partitions as keys, sorted as strings; null if a is nil.
func (a Applied) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	var buf [16]int32
	keys := buf[:0]
	for p := range a {
		keys = append(keys, p)
	}
	// Insertion sort by the keys' decimal strings: there are few partitions.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keyLess(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	b = append(b, '{')
	for i, p := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(p), 10)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, a[p], 10)
	}
	return append(b, '}')
}

func keyLess(x, y int32) bool {
	var bx, by [12]byte
	return string(strconv.AppendInt(bx[:0], int64(x), 10)) < string(strconv.AppendInt(by[:0], int64(y), 10))
}

// ScanJSON reads a as AppendJSON writes it: null, or an object whose keys
// are partitions written as Marshal writes them (no sign but a minus, no
// leading zeros), each once. Anything else fails s.
func (a *Applied) ScanJSON(s *jsoncodec.Scanner) {
	if s.Maybe("null") {
		*a = nil
		return
	}
	s.Lit("{")
	m := Applied{}
	for i := 0; s.OK() && !s.Peek('}'); i++ {
		if i > 0 {
			s.Lit(",")
		}
		k := s.String()
		p, err := strconv.ParseInt(k, 10, 32)
		if _, dup := m[int32(p)]; err != nil || dup || strconv.FormatInt(p, 10) != k {
			s.Fail()
			break
		}
		s.Lit(":")
		m[int32(p)] = s.Int()
	}
	s.Lit("}")
	*a = m
}

// AppendJSON appends p as JSON.
func (p Pos) AppendJSON(b []byte) []byte {
	b = append(b, `{"partition":`...)
	b = strconv.AppendInt(b, int64(p.Partition), 10)
	b = append(b, `,"offset":`...)
	b = strconv.AppendInt(b, p.Offset, 10)
	return append(b, '}')
}

// ScanJSON reads p as AppendJSON writes it.
func (p *Pos) ScanJSON(s *jsoncodec.Scanner) {
	s.Lit(`{"partition":`)
	p.Partition = s.Int32()
	s.Lit(`,"offset":`)
	p.Offset = s.Int()
	s.Lit("}")
}
