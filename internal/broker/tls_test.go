package broker

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"testing"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

func withTLS(kc kafkaconf.Config, t kafkaconf.TLSConfig) kafkaconf.Config {
	kc.TLS = t
	return kc
}

func serverTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}

func TestTLS(t *testing.T) {
	ca := newCA(t)
	caFile := writeFile(t, "ca.pem", ca.pem)
	b := startBroker(t, Config{TLS: serverTLS(ca.server(t).tls)})
	kc := clientConfig(b.Addr())

	t.Run("trusted CA", func(t *testing.T) {
		roundTrip(t, withTLS(kc, kafkaconf.TLSConfig{Enabled: true, CAFile: caFile}), "encrypted")
	})
	t.Run("server name", func(t *testing.T) {
		tc := kafkaconf.TLSConfig{Enabled: true, CAFile: caFile, ServerName: "localhost"}
		if err := connectErr(withTLS(kc, tc)); err != nil {
			t.Errorf("connect checking the certificate for localhost: %v", err)
		}
	})
	t.Run("insecure skip verify", func(t *testing.T) {
		if err := connectErr(withTLS(kc, kafkaconf.TLSConfig{Enabled: true, InsecureSkipVerify: true})); err != nil {
			t.Errorf("connect trusting any certificate: %v", err)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		err := connectErr(withTLS(kc, kafkaconf.TLSConfig{Enabled: true}))
		if !errors.As(err, new(x509.UnknownAuthorityError)) {
			t.Errorf("connect trusting the system's CAs: err %v, want an %T", err, x509.UnknownAuthorityError{})
		}
	})
	t.Run("wrong server name", func(t *testing.T) {
		err := connectErr(withTLS(kc, kafkaconf.TLSConfig{Enabled: true, CAFile: caFile, ServerName: "kafka.example"}))
		if !errors.As(err, new(x509.HostnameError)) {
			t.Errorf("connect checking the certificate for kafka.example: err %v, want an %T", err, x509.HostnameError{})
		}
	})
	t.Run("plain text", func(t *testing.T) {
		if err := connectErr(kc); !errors.Is(err, sarama.ErrOutOfBrokers) {
			t.Errorf("connect in plain text: err %v, want %v", err, sarama.ErrOutOfBrokers)
		}
	})
}

func TestMutualTLS(t *testing.T) {
	ca := newCA(t)
	caFile := writeFile(t, "ca.pem", ca.pem)
	server := serverTLS(ca.server(t).tls)
	server.ClientAuth = tls.RequireAndVerifyClientCert
	server.ClientCAs = x509.NewCertPool()
	server.ClientCAs.AddCert(ca.cert)
	b := startBroker(t, Config{TLS: server})
	kc := clientConfig(b.Addr())

	client := ca.client(t)
	withCert := kafkaconf.TLSConfig{Enabled: true, CAFile: caFile,
		CertFile: writeFile(t, "client.pem", client.certPEM), KeyFile: writeFile(t, "client-key.pem", client.keyPEM)}
	roundTrip(t, withTLS(kc, withCert), "mutual")

	// crypto/tls reports the alert the broker sends as a "remote error".
	err := connectErr(withTLS(kc, kafkaconf.TLSConfig{Enabled: true, CAFile: caFile}))
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" {
		t.Errorf("connect without a client certificate: err %v, want the broker's TLS alert", err)
	}
}

// A failed login over TLS is answered too: the broker reads requests
// after decrypting them.
func TestSASLOverTLS(t *testing.T) {
	ca := newCA(t)
	b := startBroker(t, Config{TLS: serverTLS(ca.server(t).tls), SASL: usersFor(testUser, testPassword)})
	kc := withTLS(clientConfig(b.Addr()), kafkaconf.TLSConfig{Enabled: true, CAFile: writeFile(t, "ca.pem", ca.pem)})

	roundTrip(t, withSASL(kc, kafkaconf.MechanismPlain, testUser, testPassword), "secured")
	err := connectErr(withSASL(kc, kafkaconf.MechanismPlain, testUser, "wrong"))
	if !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
		t.Errorf("connect with a wrong password: err %v, want %v", err, sarama.ErrSASLAuthenticationFailed)
	}
}
