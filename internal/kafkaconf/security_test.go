package kafkaconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/IBM/sarama"
)

// base is a valid configuration without SASL or TLS.
var base = Config{Brokers: []string{"127.0.0.1:9092"}, Partitions: 3, Replication: 1}

// selfSigned writes a self-signed certificate and its key to dir and
// returns their paths.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "kafkaconf test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	return certFile, keyFile
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestValidateSecurity(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir)
	notPEM := filepath.Join(dir, "not.pem")
	write(t, notPEM, []byte("not a certificate"))
	missing := filepath.Join(dir, "missing.pem")

	for _, tc := range []struct {
		name    string
		sasl    SASLConfig
		tls     TLSConfig
		wantErr string
	}{
		{name: "none"},
		{name: "PLAIN", sasl: SASLConfig{Mechanism: MechanismPlain, User: "u", Password: "p"}},
		{name: "SCRAM-SHA-256", sasl: SASLConfig{Mechanism: MechanismSCRAMSHA256, User: "u", Password: "p"}},
		{name: "SCRAM-SHA-512", sasl: SASLConfig{Mechanism: MechanismSCRAMSHA512, User: "u", Password: "p"}},
		{name: "unknown mechanism", sasl: SASLConfig{Mechanism: "GSSAPI", User: "u", Password: "p"}, wantErr: `unknown SASL mechanism "GSSAPI"`},
		{name: "lower case mechanism", sasl: SASLConfig{Mechanism: "plain", User: "u", Password: "p"}, wantErr: `unknown SASL mechanism "plain"`},
		{name: "user without mechanism", sasl: SASLConfig{User: "u"}, wantErr: "without a SASL mechanism"},
		{name: "password without mechanism", sasl: SASLConfig{Password: "p"}, wantErr: "without a SASL mechanism"},
		{name: "mechanism without user", sasl: SASLConfig{Mechanism: MechanismPlain, Password: "p"}, wantErr: "no user given"},
		{name: "mechanism without password", sasl: SASLConfig{Mechanism: MechanismPlain, User: "u"}, wantErr: "user u: no password given"},

		{name: "TLS", tls: TLSConfig{Enabled: true}},
		{name: "TLS with everything", tls: TLSConfig{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka", InsecureSkipVerify: true}},
		{name: "TLS options without TLS", tls: TLSConfig{CAFile: cert}, wantErr: "TLS not enabled"},
		{name: "certificate without key", tls: TLSConfig{Enabled: true, CertFile: cert}, wantErr: "without its key"},
		{name: "key without certificate", tls: TLSConfig{Enabled: true, KeyFile: key}, wantErr: "without its certificate"},
		{name: "CA file missing", tls: TLSConfig{Enabled: true, CAFile: missing}, wantErr: "missing.pem: no such file"},
		{name: "CA file not PEM", tls: TLSConfig{Enabled: true, CAFile: notPEM}, wantErr: "no PEM certificate"},
		{name: "certificate missing", tls: TLSConfig{Enabled: true, CertFile: missing, KeyFile: key}, wantErr: "missing.pem: no such file"},
		{name: "key not matching", tls: TLSConfig{Enabled: true, CertFile: cert, KeyFile: notPEM}, wantErr: "not.pem"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.SASL, c.TLS = tc.sasl, tc.tls
			err := c.Validate()
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				// What Validate accepts, sarama accepts.
				if err := c.Sarama().Validate(); err != nil {
					t.Errorf("sarama rejects the config: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Validate() = %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestSaramaSASL(t *testing.T) {
	if cfg := base.Sarama(); cfg.Net.SASL.Enable {
		t.Error("SASL enabled without a mechanism")
	}
	for _, m := range Mechanisms {
		t.Run(m, func(t *testing.T) {
			c := base
			c.SASL = SASLConfig{Mechanism: m, User: "orders", Password: "secret"}
			s := c.Sarama().Net.SASL
			if !s.Enable || string(s.Mechanism) != m || s.User != "orders" || s.Password != "secret" || !s.Handshake || s.Version != sarama.SASLHandshakeV1 {
				t.Errorf("Net.SASL = enable %v, mechanism %s, user %q, password %q, handshake %v, version %d; want true, %s, orders, secret, true, %d",
					s.Enable, s.Mechanism, s.User, s.Password, s.Handshake, s.Version, m, sarama.SASLHandshakeV1)
			}
			if scram := strings.HasPrefix(m, "SCRAM"); scram != (s.SCRAMClientGeneratorFunc != nil) {
				t.Errorf("SCRAM client generator set: %v, want %v", s.SCRAMClientGeneratorFunc != nil, scram)
			}
		})
	}
}

func TestSaramaTLS(t *testing.T) {
	if cfg := base.Sarama(); cfg.Net.TLS.Enable {
		t.Error("TLS enabled without being asked for")
	}
	cert, key := selfSigned(t, t.TempDir())
	c := base
	c.TLS = TLSConfig{Enabled: true, CAFile: cert, CertFile: cert, KeyFile: key, ServerName: "kafka.internal"}
	cfg := c.Sarama()
	tc := cfg.Net.TLS.Config
	if !cfg.Net.TLS.Enable || tc == nil {
		t.Fatalf("Net.TLS = enable %v, config %v; want both", cfg.Net.TLS.Enable, tc)
	}
	if tc.MinVersion != tls.VersionTLS12 || tc.ServerName != "kafka.internal" || tc.InsecureSkipVerify || tc.RootCAs == nil || len(tc.Certificates) != 1 {
		t.Errorf("tls.Config: min version %x, server name %q, insecure %v, root CAs %v, %d certificates; want %x, kafka.internal, false, the CA file, 1",
			tc.MinVersion, tc.ServerName, tc.InsecureSkipVerify, tc.RootCAs != nil, len(tc.Certificates), tls.VersionTLS12)
	}
	if cfg.Net.Proxy.Enable {
		t.Error("connections go through a proxy dialer")
	}
	if other := c.Sarama().Net.TLS.Config; other == tc {
		t.Error("two calls share one tls.Config")
	}
}

// Files that go away after Validate make connections fail, never go out
// without TLS.
func TestSaramaTLSFilesGone(t *testing.T) {
	dir := t.TempDir()
	cert, _ := selfSigned(t, dir)
	c := base
	c.TLS = TLSConfig{Enabled: true, CAFile: cert}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(cert); err != nil {
		t.Fatal(err)
	}
	cfg := c.Sarama()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("sarama rejects the config: %v", err)
	}
	if !cfg.Net.Proxy.Enable {
		t.Fatal("connections are dialled as usual")
	}
	conn, err := cfg.Net.Proxy.Dialer.Dial("tcp", "127.0.0.1:9092")
	if conn != nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "127.0.0.1:9092") {
		t.Errorf("dial: %v, %v; want no connection and an error naming the address and the missing file", conn, err)
	}
}

func TestPrintingHidesPassword(t *testing.T) {
	c := base
	c.SASL = SASLConfig{Mechanism: MechanismPlain, User: "orders", Password: "hunter2"}
	for _, verb := range []string{"%v", "%+v", "%s"} {
		if got := fmt.Sprintf(verb, c); strings.Contains(got, "hunter2") || !strings.Contains(got, `PLAIN user "orders"`) {
			t.Errorf("Sprintf(%q, config) = %s, want the mechanism and user without the password", verb, got)
		}
	}
}
