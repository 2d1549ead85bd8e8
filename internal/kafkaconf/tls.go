package kafkaconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/IBM/sarama"
)

// TLSConfig encrypts every connection to the brokers. The zero value
// connects in plain text.
type TLSConfig struct {
	Enabled bool
	// CAFile is a PEM file of the certificate authorities to trust
	// instead of the system's; empty trusts the system's.
	CAFile string
	// CertFile and KeyFile are the PEM client certificate and its key, for
	// brokers that authenticate clients by certificate (mutual TLS); both
	// or neither.
	CertFile string
	KeyFile  string
	// InsecureSkipVerify accepts any server certificate: the connection is
	// encrypted but anyone in the middle can read it. For tests only.
	InsecureSkipVerify bool
	// ServerName is the name every broker's certificate is checked
	// against; empty checks each broker against the host it is dialled
	// by, which is what a certificate per broker wants.
	ServerName string
}

// validate reports the first thing wrong with t, reading its files.
func (t TLSConfig) validate() error {
	if !t.Enabled {
		if t != (TLSConfig{}) {
			return errors.New("TLS options given but TLS not enabled")
		}
		return nil
	}
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return fmt.Errorf("TLS client certificate %s given without its key", t.CertFile)
	case t.CertFile == "" && t.KeyFile != "":
		return fmt.Errorf("TLS client key %s given without its certificate", t.KeyFile)
	}
	_, err := t.load()
	return err
}

// load reads t's files into a client TLS configuration.
func (t TLSConfig) load() (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.ServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, // #nosec G402 -- an explicit, documented option
	}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("TLS CA file: %w", err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("TLS CA file %s: no PEM certificate in it", t.CAFile)
		}
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS client certificate %s, key %s: %w", t.CertFile, t.KeyFile, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// apply enables TLS in cfg, reading t's files now, so that each client
// picks up renewed certificates. Validate has read them already; should
// they have become unreadable since, every connection of cfg fails with
// that error rather than go out without them.
func (t TLSConfig) apply(cfg *sarama.Config) {
	if !t.Enabled {
		return
	}
	tc, err := t.load()
	if err != nil {
		cfg.Net.Proxy.Enable = true
		cfg.Net.Proxy.Dialer = failingDialer{err: err}
		return
	}
	cfg.Net.TLS.Enable = true
	cfg.Net.TLS.Config = tc
}

// failingDialer fails every dial with err.
type failingDialer struct{ err error }

func (d failingDialer) Dial(_, addr string) (net.Conn, error) {
	return nil, fmt.Errorf("dial %s: %w", addr, d.err)
}
