// Package exactly makes goka's at-least-once processing count every event
// once. Every event between processors carries the position (partition,
// offset) of the message that caused it upstream. Producers are idempotent,
// so events from one upstream partition arrive in order; a table value that
// remembers the highest position it applied per upstream partition can tell
// a redelivery from a new event with a few integers, however long it lives.
package exactly

import "fmt"

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
