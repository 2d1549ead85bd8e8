// Package topics provisions the Kafka topics the system uses, idempotently:
// it creates what is missing with the partitions, replication and cleanup
// policy goka needs, and refuses existing topics that would make goka lose
// data or misroute keys.
package topics

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/lovoo/goka"
)

// Cleanup policies.
const (
	// PolicyCompact keeps the latest record of every key: goka's table
	// topics, which a processor replays to recover its state.
	PolicyCompact = "compact"
	// PolicyDelete drops records after their retention: streams.
	PolicyDelete = "delete"
)

// Spec is a topic the system needs.
type Spec struct {
	Name string
	// Table marks a goka table topic: compacted, and recovered in full by
	// every processor or view that reads it. Anything else is a stream.
	Table bool
	// Purged marks a stream whose records are deleted once the groups
	// reading it have consumed them (internal/purge). It is created with
	// short segments (PurgedSegmentBytes, PurgedSegmentAge), since a
	// broker frees the disk of whole segments only.
	Purged bool
}

// The segments of a purged stream. A broker frees a segment once every
// record in it is purged, so the smaller, the sooner: 1 MiB is the least
// Kafka allows, and the embedded broker rolls segments by size only; on
// Kafka a quiet stream also rolls after PurgedSegmentAge (Kafka Streams'
// segment.ms for its repartition topics).
const (
	PurgedSegmentBytes = 1 << 20
	PurgedSegmentAge   = 10 * time.Minute
)

// Policy returns the cleanup policy s is created with.
func (s Spec) Policy() string {
	if s.Table {
		return PolicyCompact
	}
	return PolicyDelete
}

// FromGraphs returns every topic the graphs read or write: input, output
// and loop streams, group tables and joined or looked-up tables, sorted by
// name. A topic that any graph uses as a table is a table.
func FromGraphs(graphs ...*goka.GroupGraph) []Spec {
	table := map[string]bool{}
	add := func(isTable bool, edges ...goka.Edge) {
		for _, e := range edges {
			if e != nil && e.Topic() != "" {
				table[e.Topic()] = table[e.Topic()] || isTable
			}
		}
	}
	for _, g := range graphs {
		if g == nil {
			continue
		}
		add(false, g.InputStreams()...)
		add(false, g.OutputStreams()...)
		add(false, g.LoopStream())
		add(true, g.GroupTable())
		add(true, g.JointTables()...)
		add(true, g.LookupTables()...)
	}
	specs := make([]Spec, 0, len(table))
	for name, isTable := range table {
		specs = append(specs, Spec{Name: name, Table: isTable})
	}
	slices.SortFunc(specs, func(a, b Spec) int { return cmp.Compare(a.Name, b.Name) })
	return specs
}

// Info describes a topic as the broker has it after Ensure.
type Info struct {
	Name        string
	Partitions  int
	Replication int
	Policy      string // cleanup.policy
	Created     bool   // created by this call, rather than found
}

// MismatchError reports an existing topic whose setting differs from what
// the system needs.
type MismatchError struct {
	Topic   string
	Setting string // "partitions" or "cleanup.policy"
	Got     string
	Want    string
}

// Error names the topic, the setting and both values.
func (e *MismatchError) Error() string {
	return fmt.Sprintf("topic %s: %s is %s, want %s", e.Topic, e.Setting, e.Got, e.Want)
}
