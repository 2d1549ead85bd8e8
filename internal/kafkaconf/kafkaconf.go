// Package kafkaconf turns the connection flags every command shares into
// sarama, franz-go and goka configuration, fixing goka's defaults that do
// not fit current Kafka or a single broker. goka's consumers and topic
// managers are sarama's; its producers are franz-go's (producer.go).
package kafkaconf

import (
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"strings"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	metrics "github.com/rcrowley/go-metrics"
)

// sarama records go-metrics histograms and meters for every request and
// response; orderstream exports none of them (its metrics are its own,
// in Prometheus), and at a steady 1000 orders/s they were 3% of the CPU.
// Nil metrics cost nothing; sarama reads the switch when it creates a
// client, so it is set before any.
func init() { metrics.UseNilMetrics = true }

// Version is the protocol version spoken to the brokers. goka's default
// (2.0) is below what Kafka 4 accepts.
var Version = sarama.V3_9_0_0

// Tuning values.
const (
	// StreamRetention is the retention of stream (non-table) topics.
	StreamRetention = 7 * 24 * time.Hour
	// JoinGroupSlack is how much longer than the rebalance timeout a
	// client waits for any answer from a broker (the Java client's 5s).
	JoinGroupSlack = 5 * time.Second
	// DefaultPartitions is the partition count the seeds ask for.
	DefaultPartitions = 3
)

// Config is what a command needs to reach Kafka.
type Config struct {
	Brokers     []string
	Partitions  int // partitions of every topic the system creates
	Replication int // replication factor of every topic the system creates
	ClientID    string
	SASL        SASLConfig
	TLS         TLSConfig
}

// ParseBrokers splits a comma separated host:port list.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return errors.New("no brokers given")
	}
	if c.Partitions < 1 {
		return fmt.Errorf("partitions %d: want at least 1", c.Partitions)
	}
	if c.Replication < 1 {
		return fmt.Errorf("replication %d: want at least 1", c.Replication)
	}
	if err := c.SASL.validate(); err != nil {
		return err
	}
	return c.TLS.validate()
}

// Sarama returns a fresh sarama config for c. Each caller gets its own copy:
// sarama and goka builders write ClientID and Partitioner into it. Every
// client of the system is configured here, so SASL and TLS apply to all
// of them.
func (c Config) Sarama() *sarama.Config {
	cfg := goka.DefaultConfig()
	cfg.Version = Version
	if c.ClientID != "" {
		cfg.ClientID = c.ClientID
	}
	// goka's producers are franz-go's (producer.go); a sarama producer
	// made from this configuration (the broker's tests) is idempotent and
	// waits for every replica, as they are.
	cfg.Producer.Compression = sarama.CompressionNone
	cfg.Producer.Idempotent = true
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Net.MaxOpenRequests = 1
	cfg.Consumer.IsolationLevel = sarama.ReadCommitted
	// A group that starts for the first time reads its streams from the
	// beginning: goka's default (newest) silently skips every order
	// written before the processor first joined.
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Metadata.RefreshFrequency = time.Minute
	// A JoinGroup is answered when the rebalance completes, which may take
	// the rebalance timeout (60s) while the coordinator waits for members;
	// sarama waits Net.ReadTimeout (30s) for any answer, then fails the
	// group with an i/o timeout (IBM/sarama#2820). Wait as the Java client
	// does, the rebalance timeout and 5s more.
	cfg.Net.ReadTimeout = cfg.Consumer.Group.Rebalance.Timeout + JoinGroupSlack
	c.SASL.apply(cfg)
	c.TLS.apply(cfg)
	return cfg
}

// TopicManagerConfig asks for the replication factor and retention the
// system's topic provisioning uses, and warns on mismatches: provisioning
// itself fails on a table topic that is not compacted.
func (c Config) TopicManagerConfig(logger *slog.Logger) *goka.TopicManagerConfig {
	tm := goka.NewTopicManagerConfig()
	tm.Table.Replication = c.Replication
	tm.Stream.Replication = c.Replication
	tm.Stream.Retention = StreamRetention
	tm.MismatchBehavior = goka.TMConfigMismatchBehaviorWarn
	return tm
}

// topicManagerAttempts bounds how often TopicManagerBuilder tries again
// when goka's check of one broker fails.
const topicManagerAttempts = 10

// TopicManagerBuilder builds goka topic managers from c.
//
// goka checks the connection to only one broker, the first its client
// lists, and that list is in no fixed order (sarama reads it from a map).
// With one broker of a cluster down, a processor, view or emitter started
// meanwhile would fail one time in three though the others answer (the
// fault test found it on a 3-node Apache Kafka cluster); so a failed
// check is tried again, against another broker most likely. Everything
// else fails at once. (goka does not close the client of a failed check:
// each retry leaves one idle sarama client behind, only while a broker
// is down.)
func (c Config) TopicManagerBuilder(logger *slog.Logger) goka.TopicManagerBuilder {
	return func(brokers []string) (goka.TopicManager, error) {
		var err error
		for range topicManagerAttempts {
			var tm goka.TopicManager
			if tm, err = goka.NewTopicManager(brokers, c.Sarama(), c.TopicManagerConfig(logger)); err == nil {
				return tm, nil
			}
			if msg := err.Error(); !strings.Contains(msg, "cannot connect to broker") && !strings.Contains(msg, "error opening broker connection") {
				return nil, err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return nil, err
	}
}

// producerBuilder builds goka's producers on franz-go (producer.go);
// stopOnFailure for processors (see gokaProducer).
func (c Config) producerBuilder(logger *slog.Logger, stopOnFailure bool) goka.ProducerBuilder {
	return func(_ []string, clientID string, hasher func() hash.Hash32) (goka.Producer, error) {
		return c.newGokaProducer(clientID, hasher, logger, stopOnFailure)
	}
}

func (c Config) consumerGroupBuilder() goka.ConsumerGroupBuilder {
	return func(brokers []string, group, clientID string) (sarama.ConsumerGroup, error) {
		cfg := c.Sarama()
		cfg.ClientID = clientID
		g, err := sarama.NewConsumerGroup(brokers, group, cfg)
		if err != nil {
			return nil, err
		}
		return orderedGroup{g}, nil
	}
}

func (c Config) consumerBuilder() goka.SaramaConsumerBuilder {
	return func(brokers []string, clientID string) (sarama.Consumer, error) {
		cfg := c.Sarama()
		cfg.ClientID = clientID
		return sarama.NewConsumer(brokers, cfg)
	}
}

// ProcessorOptions are the goka options every processor runs with.
func (c Config) ProcessorOptions(logger *slog.Logger) []goka.ProcessorOption {
	return []goka.ProcessorOption{
		goka.WithTopicManagerBuilder(c.TopicManagerBuilder(logger)),
		goka.WithProducerBuilder(c.producerBuilder(logger, true)),
		goka.WithConsumerGroupBuilder(c.consumerGroupBuilder()),
		goka.WithConsumerSaramaBuilder(c.consumerBuilder()),
		goka.WithLogger(Logger(logger)),
	}
}

// ViewOptions are the goka options every view runs with.
func (c Config) ViewOptions(logger *slog.Logger) []goka.ViewOption {
	return []goka.ViewOption{
		goka.WithViewTopicManagerBuilder(c.TopicManagerBuilder(logger)),
		goka.WithViewConsumerSaramaBuilder(c.consumerBuilder()),
		goka.WithViewLogger(Logger(logger)),
		goka.WithViewAutoReconnect(),
	}
}

// EmitterOptions are the goka options every emitter runs with.
func (c Config) EmitterOptions(logger *slog.Logger) []goka.EmitterOption {
	return []goka.EmitterOption{
		goka.WithEmitterTopicManagerBuilder(c.TopicManagerBuilder(logger)),
		goka.WithEmitterProducerBuilder(c.producerBuilder(logger, false)),
		goka.WithEmitterLogger(Logger(logger)),
	}
}
