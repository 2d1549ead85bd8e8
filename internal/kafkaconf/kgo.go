package kafkaconf

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// Kgo returns the options every franz-go client of c starts from: the
// brokers, the client id, SASL and TLS. It validates c, reading its TLS
// files.
func (c Config) Kgo() ([]kgo.Opt, error) {
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
	case MechanismPlain:
		opts = append(opts, kgo.SASL(plain.Auth{User: s.User, Pass: s.Password}.AsMechanism()))
	case MechanismSCRAMSHA256:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha256Mechanism()))
	case MechanismSCRAMSHA512:
		opts = append(opts, kgo.SASL(scram.Auth{User: s.User, Pass: s.Password}.AsSha512Mechanism()))
	default:
		return nil, fmt.Errorf("unknown SASL mechanism %q", s.Mechanism)
	}
	return opts, nil
}
