package main

import (
	"flag"
	"strings"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// kafkaFlags are the connection flags of every command that talks to Kafka.
type kafkaFlags struct {
	brokers     string
	partitions  int
	replication int
	sasl        kafkaconf.SASLConfig
	tls         kafkaconf.TLSConfig
}

func addKafkaFlags(fs *flag.FlagSet) *kafkaFlags {
	k := &kafkaFlags{}
	fs.StringVar(&k.brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, host:port[,host:port...]")
	fs.IntVar(&k.partitions, "partitions", kafkaconf.DefaultPartitions, "partitions of the topics the system creates")
	fs.IntVar(&k.replication, "replication", 1, "replication factor of the topics the system creates")

	fs.StringVar(&k.sasl.Mechanism, "sasl-mechanism", "", "SASL mechanism to log in with: PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty = no SASL; PLAIN sends the password as is, so use it with --tls)")
	fs.StringVar(&k.sasl.User, "sasl-user", "", "SASL user name")
	fs.StringVar(&k.sasl.Password, "sasl-password", "", "SASL password; prefer the environment variable ORDERSTREAM_SASL_PASSWORD, since a flag shows in the process list and the shell history")

	fs.BoolVar(&k.tls.Enabled, "tls", false, "connect to the brokers over TLS")
	fs.StringVar(&k.tls.CAFile, "tls-ca", "", "PEM file of the certificate authorities to trust instead of the system's")
	fs.StringVar(&k.tls.CertFile, "tls-cert", "", "PEM client certificate, for brokers that require one (with --tls-key)")
	fs.StringVar(&k.tls.KeyFile, "tls-key", "", "PEM key of --tls-cert")
	fs.BoolVar(&k.tls.InsecureSkipVerify, "tls-insecure-skip-verify", false, "accept any broker certificate: encrypted, but anyone in between can read and change the traffic (testing only)")
	fs.StringVar(&k.tls.ServerName, "tls-server-name", "", "name to check every broker's certificate against (default: the host each broker is reached at)")
	return k
}

// config returns the validated Kafka configuration.
func (k *kafkaFlags) config(clientID string) (kafkaconf.Config, error) {
	sasl := k.sasl
	sasl.Mechanism = strings.ToUpper(sasl.Mechanism)
	c := kafkaconf.Config{
		Brokers:     kafkaconf.ParseBrokers(k.brokers),
		Partitions:  k.partitions,
		Replication: k.replication,
		ClientID:    clientID,
		SASL:        sasl,
		TLS:         k.tls,
	}
	return c, c.Validate()
}
