package main

import (
	"bytes"
	"context"
	"flag"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

func TestKafkaSecurityFlags(t *testing.T) {
	t.Setenv("ORDERSTREAM_SASL_PASSWORD", "from the environment")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	k := addKafkaFlags(fs)
	args := []string{"--sasl-mechanism", "scram-sha-512", "--sasl-user", "orders",
		"--tls", "--tls-insecure-skip-verify", "--tls-server-name", "kafka.internal"}
	if err := parseFlags(fs, args); err != nil {
		t.Fatal(err)
	}
	kc, err := k.config("test")
	if err != nil {
		t.Fatal(err)
	}
	wantSASL := kafkaconf.SASLConfig{Mechanism: kafkaconf.MechanismSCRAMSHA512, User: "orders", Password: "from the environment"}
	wantTLS := kafkaconf.TLSConfig{Enabled: true, InsecureSkipVerify: true, ServerName: "kafka.internal"}
	if kc.SASL != wantSASL || kc.TLS != wantTLS {
		t.Errorf("SASL %+v, TLS %+v; want %+v, %+v", kc.SASL, kc.TLS, wantSASL, wantTLS)
	}
}

func TestKafkaSecurityFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown mechanism", []string{"--sasl-mechanism", "GSSAPI", "--sasl-user", "u", "--sasl-password", "p"}, `unknown SASL mechanism "GSSAPI"`},
		{"user without mechanism", []string{"--sasl-user", "u"}, "without a SASL mechanism"},
		{"no password", []string{"--sasl-mechanism", "PLAIN", "--sasl-user", "u"}, "no password given"},
		{"TLS file without --tls", []string{"--tls-ca", "ca.pem"}, "TLS not enabled"},
		{"certificate without key", []string{"--tls", "--tls-cert", "client.pem"}, "without its key"},
		{"unreadable CA", []string{"--tls", "--tls-ca", "/nonexistent/ca.pem"}, "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"topics"}, tc.args...), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
