package main

import (
	"flag"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// kafkaFlags are the connection flags of every command that talks to Kafka.
type kafkaFlags struct {
	brokers     string
	partitions  int
	replication int
}

func addKafkaFlags(fs *flag.FlagSet) *kafkaFlags {
	k := &kafkaFlags{}
	fs.StringVar(&k.brokers, "brokers", "127.0.0.1:9092", "Kafka bootstrap brokers, host:port[,host:port...]")
	fs.IntVar(&k.partitions, "partitions", kafkaconf.DefaultPartitions, "partitions of the topics the system creates")
	fs.IntVar(&k.replication, "replication", 1, "replication factor of the topics the system creates")
	return k
}

// config returns the validated Kafka configuration.
func (k *kafkaFlags) config(clientID string) (kafkaconf.Config, error) {
	c := kafkaconf.Config{
		Brokers:     kafkaconf.ParseBrokers(k.brokers),
		Partitions:  k.partitions,
		Replication: k.replication,
		ClientID:    clientID,
	}
	return c, c.Validate()
}
