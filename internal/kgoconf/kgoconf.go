// Package kgoconf turns the connection settings every command shares into
// franz-go client options, for the parts of the system that need what goka
// cannot do: the transactional ingest stage and the verify command.
// (goka's producers are franz-go's too, built in kafkaconf.)
package kgoconf

import (
	"hash/fnv"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Options are the options every franz-go client of c starts from: the
// brokers, the client id, SASL and TLS. It validates c, reading its TLS
// files.
func Options(c kafkaconf.Config) ([]kgo.Opt, error) { return c.Kgo() }

// GokaPartitioner places keyed records where goka's processors and views
// look for them: goka's default hasher (FNV-1a, 32 bits) through sarama's
// hash partitioner, whose arithmetic SaramaCompatHasher reproduces.
// Records without a key go to any partition.
func GokaPartitioner() kgo.Partitioner {
	return kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))
}

func fnv32a(key []byte) uint32 {
	h := fnv.New32a()
	h.Write(key) // a hash.Hash never fails to write
	return h.Sum32()
}
