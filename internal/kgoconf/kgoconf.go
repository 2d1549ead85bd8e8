// Package kgoconf turns the connection settings every command shares into
// franz-go client options. goka's clients are sarama's; the parts of the
// system that need what goka cannot do use franz-go: the transactional
// ingest stage and the verify command.
package kgoconf

import (
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Options are the options every franz-go client of c starts from: the
// brokers, the client id, SASL and TLS. It validates c, reading its TLS
// files.
func Options(c kafkaconf.Config) ([]kgo.Opt, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	opts := []kgo.Opt{kgo.SeedBrokers(c.Brokers...)}
	if c.ClientID != "" {
		opts = append(opts, kgo.ClientID(c.ClientID))
	}
	if c.TLS.Enabled {
		// The sarama configuration holds the TLS configuration loaded
		// from the files; franz-go sets the server name per broker when
		// it is empty, as sarama does.
		tc := c.Sarama().Net.TLS.Config
		if tc == nil {
			return nil, errors.New("TLS enabled but no TLS configuration loaded")
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	switch s := c.SASL; s.Mechanism {
	case "":
	case kafkaconf.MechanismPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: s.Password}.AsMechanism()))
	case kafkaconf.MechanismSCRAMSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism()))
	case kafkaconf.MechanismSCRAMSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("unknown SASL mechanism %q", s.Mechanism)
	}
	return opts, nil
}

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
