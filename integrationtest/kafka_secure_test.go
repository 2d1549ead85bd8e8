package integrationtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// TestSecuredKafka runs the system against Apache Kafka's SASL_SSL
// listener: TLS with a certificate of a CA made up for the test (served
// from a PEM key store), and SCRAM users created when the storage was
// formatted. Orders flow end to end with SCRAM-SHA-512 and with
// SCRAM-SHA-256; a wrong password, an unknown CA and plain text are
// refused.
func TestSecuredKafka(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	caPEM, keyStore := testPKI(t, dir)
	const user, password = "orderstream", "s3cret-for-the-test"
	c := startKafka(t, 1, kafkacluster.Config{
		Secure:     true,
		KeyPEMFile: keyStore,
		Users: []kafkacluster.SCRAMUser{
			{Mechanism: kafkaconf.MechanismSCRAMSHA256, Name: user, Password: password},
			{Mechanism: kafkaconf.MechanismSCRAMSHA512, Name: user, Password: password},
		},
	})
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	secured := func(mechanism, password string) kafkaconf.Config {
		kc := kafkaConfig(c.Bootstrap()[0])
		kc.TLS = kafkaconf.TLSConfig{Enabled: true, CAFile: caFile}
		kc.SASL = kafkaconf.SASLConfig{Mechanism: mechanism, User: user, Password: password}
		return kc
	}
	connect := func(kc kafkaconf.Config) error {
		conf := kc.Sarama()
		conf.Net.DialTimeout = 5 * time.Second
		conf.Metadata.Retry.Max = 0
		cl, err := sarama.NewClient(kc.Brokers, conf)
		if err == nil {
			cl.Close()
		}
		return err
	}

	t.Run("refused", func(t *testing.T) {
		if err := connect(secured(kafkaconf.MechanismSCRAMSHA512, "wrong")); !errors.Is(err, sarama.ErrSASLAuthenticationFailed) {
			t.Errorf("a wrong password: err %v, want %v", err, sarama.ErrSASLAuthenticationFailed)
		}
		unknownCA := secured(kafkaconf.MechanismSCRAMSHA512, password)
		unknownCA.TLS.CAFile = ""
		if err := connect(unknownCA); err == nil {
			t.Error("a client trusting only the system's CAs connected")
		}
		if err := connect(kafkaConfig(c.Bootstrap()[0])); err == nil {
			t.Error("a plain-text client connected to the SASL_SSL listener")
		}
	})

	logger := newLogger(t)
	kc := secured(kafkaconf.MechanismSCRAMSHA512, password)
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	sys.start()
	sys.waitReady()
	l := newLedger()
	mustSimulate(t, kc, simConfig(200, 2000, 1), l, logger)
	mustSimulate(t, secured(kafkaconf.MechanismSCRAMSHA256, password), simConfig(100, 2000, 2), l, logger)
	waitExact(t, sys, l.expect())
	checkNoDuplicatesOrInvalid(t, sys)
	sys.stop()
}

// testPKI makes up a CA and a server certificate for 127.0.0.1 and
// localhost, and writes Kafka's PEM key store (the PKCS#8 key, then the
// certificate) into dir; it returns the CA's PEM and the key store's path.
func testPKI(t *testing.T, dir string) (caPEM []byte, keyStore string) {
	t.Helper()
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "orderstream test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	store := append(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	keyStore = filepath.Join(dir, "kafka-keystore.pem")
	if err := os.WriteFile(keyStore, store, 0o600); err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), keyStore
}
