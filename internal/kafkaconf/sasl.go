package kafkaconf

import (
	"errors"
	"fmt"
	"slices"

	"github.com/IBM/sarama"
	"github.com/xdg-go/scram"
)

// The SASL mechanisms SASLConfig.Mechanism accepts, spelled as Kafka
// spells them.
const (
	MechanismPlain       = "PLAIN"
	MechanismSCRAMSHA256 = "SCRAM-SHA-256"
	MechanismSCRAMSHA512 = "SCRAM-SHA-512"
)

// Mechanisms lists the SASL mechanisms SASLConfig.Mechanism accepts.
var Mechanisms = []string{MechanismPlain, MechanismSCRAMSHA256, MechanismSCRAMSHA512}

// SASLConfig authenticates every connection to the brokers. The zero
// value connects without SASL.
type SASLConfig struct {
	// Mechanism is one of Mechanisms, or empty for no SASL.
	Mechanism string
	User      string
	// Password is sent in clear text with PLAIN: use PLAIN only over TLS
	// or a trusted network.
	Password string
}

// String describes s without its password, so that printing a Config
// does not leak it.
func (s SASLConfig) String() string {
	if s.Mechanism == "" && s.User == "" {
		return "no SASL"
	}
	return fmt.Sprintf("%s user %q, password %s", s.Mechanism, s.User, redacted(s.Password))
}

func redacted(password string) string {
	if password == "" {
		return "empty"
	}
	return "redacted"
}

// validate reports the first thing wrong with s.
func (s SASLConfig) validate() error {
	if s.Mechanism == "" {
		if s.User != "" || s.Password != "" {
			return errors.New("SASL user or password given without a SASL mechanism")
		}
		return nil
	}
	if !slices.Contains(Mechanisms, s.Mechanism) {
		return fmt.Errorf("unknown SASL mechanism %q: want one of %v", s.Mechanism, Mechanisms)
	}
	if s.User == "" {
		return fmt.Errorf("SASL mechanism %s: no user given", s.Mechanism)
	}
	if s.Password == "" {
		return fmt.Errorf("SASL mechanism %s, user %s: no password given", s.Mechanism, s.User)
	}
	return nil
}

// apply enables SASL in cfg, unless s is the zero value.
func (s SASLConfig) apply(cfg *sarama.Config) {
	if s.Mechanism == "" {
		return
	}
	cfg.Net.SASL.Enable = true
	cfg.Net.SASL.Mechanism = sarama.SASLMechanism(s.Mechanism)
	cfg.Net.SASL.User = s.User
	cfg.Net.SASL.Password = s.Password
	// Kafka 1.0 and later (and the embedded broker) speak handshake v1:
	// the authentication bytes travel in SaslAuthenticate requests, so a
	// failure comes back as an error code instead of a closed connection.
	cfg.Net.SASL.Handshake = true
	cfg.Net.SASL.Version = sarama.SASLHandshakeV1
	switch s.Mechanism {
	case MechanismSCRAMSHA256:
		cfg.Net.SASL.SCRAMClientGeneratorFunc = scramClientGenerator(scram.SHA256)
	case MechanismSCRAMSHA512:
		cfg.Net.SASL.SCRAMClientGeneratorFunc = scramClientGenerator(scram.SHA512)
	}
}
