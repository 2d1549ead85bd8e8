package broker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// The tests talk to the broker through sarama configured by kafkaconf, the
// client every processor, view and emitter uses.

// record is what a test produces and expects to read back.
type record struct {
	Partition int32
	Offset    int64
	Key       string
	Value     string
}

func startBroker(t *testing.T, cfg Config) *Broker {
	t.Helper()
	b, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// clientConfig is the Kafka configuration of a client of the broker at addr.
func clientConfig(addr string) kafkaconf.Config {
	return kafkaconf.Config{Brokers: []string{addr}, Partitions: 3, Replication: 1, ClientID: "broker-test"}
}

func saramaConfig(addr string) *sarama.Config { return clientConfig(addr).Sarama() }

func newClient(t *testing.T, addr string) sarama.Client {
	t.Helper()
	return newClientAs(t, clientConfig(addr))
}

func newClientAs(t *testing.T, kc kafkaconf.Config) sarama.Client {
	t.Helper()
	cl, err := sarama.NewClient(kc.Brokers, kc.Sarama())
	if err != nil {
		t.Fatalf("connect to %v: %v", kc.Brokers, err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func newAdmin(t *testing.T, addr string) sarama.ClusterAdmin {
	t.Helper()
	admin, err := sarama.NewClusterAdmin([]string{addr}, saramaConfig(addr))
	if err != nil {
		t.Fatalf("admin for %s: %v", addr, err)
	}
	t.Cleanup(func() { admin.Close() })
	return admin
}

func createTopic(t *testing.T, addr, topic string, partitions int32, configs map[string]string) {
	t.Helper()
	entries := map[string]*string{}
	for k, v := range configs {
		entries[k] = &v
	}
	detail := &sarama.TopicDetail{NumPartitions: partitions, ReplicationFactor: 1, ConfigEntries: entries}
	if err := newAdmin(t, addr).CreateTopic(topic, detail, false); err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

// produce sends each record on its own and waits for it to be
// acknowledged, so every record is a batch of its own; it fills in the
// partition and offset the broker assigned.
func produce(t *testing.T, addr, topic string, recs []record) []record {
	t.Helper()
	return produceAs(t, clientConfig(addr), topic, recs)
}

// produceAs is produce by a client configured by kc.
func produceAs(t *testing.T, kc kafkaconf.Config, topic string, recs []record) []record {
	t.Helper()
	cfg := kc.Sarama()
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewManualPartitioner
	p, err := sarama.NewSyncProducer(kc.Brokers, cfg)
	if err != nil {
		t.Fatalf("producer for %v: %v", kc.Brokers, err)
	}
	defer p.Close()
	out := make([]record, len(recs))
	for i, r := range recs {
		msg := &sarama.ProducerMessage{Topic: topic, Partition: r.Partition, Key: sarama.StringEncoder(r.Key), Value: sarama.StringEncoder(r.Value)}
		part, off, err := p.SendMessage(msg)
		if err != nil {
			t.Fatalf("produce %s to %s: %v", r.Key, topic, err)
		}
		out[i] = record{Partition: part, Offset: off, Key: r.Key, Value: r.Value}
	}
	return out
}

// consumeAll reads every partition of topic from its log start offset to
// its high watermark, partition by partition.
func consumeAll(t *testing.T, addr, topic string) []record {
	t.Helper()
	return consumeAllAs(t, clientConfig(addr), topic)
}

// consumeAllAs is consumeAll by a client configured by kc.
func consumeAllAs(t *testing.T, kc kafkaconf.Config, topic string) []record {
	t.Helper()
	cl := newClientAs(t, kc)
	parts, err := cl.Partitions(topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	c, err := sarama.NewConsumerFromClient(cl)
	if err != nil {
		t.Fatalf("consumer: %v", err)
	}
	defer c.Close()
	var out []record
	for _, p := range parts {
		hwm, err := cl.GetOffset(topic, p, sarama.OffsetNewest)
		if err != nil {
			t.Fatalf("high watermark of %s/%d: %v", topic, p, err)
		}
		start, err := cl.GetOffset(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("log start of %s/%d: %v", topic, p, err)
		}
		if start == hwm {
			continue
		}
		pc, err := c.ConsumePartition(topic, p, sarama.OffsetOldest)
		if err != nil {
			t.Fatalf("consume %s/%d: %v", topic, p, err)
		}
		timeout := time.After(10 * time.Second)
		for done := false; !done; {
			select {
			case m := <-pc.Messages():
				out = append(out, record{Partition: m.Partition, Offset: m.Offset, Key: string(m.Key), Value: string(m.Value)})
				done = m.Offset == hwm-1
			case err := <-pc.Errors():
				t.Fatalf("consume %s/%d: %v", topic, p, err)
			case <-timeout:
				t.Fatalf("consume %s/%d: no offset %d after 10s, got %d records", topic, p, hwm-1, len(out))
			}
		}
		pc.Close()
	}
	return out
}

// keyed returns n records round-robin over parts partitions: key k<i>, value v<i>.
func keyed(n int, parts int32) []record {
	out := make([]record, n)
	for i := range out {
		out[i] = record{Partition: int32(i) % parts, Key: fmt.Sprintf("k%d", i), Value: fmt.Sprintf("v%d", i)}
	}
	return out
}

// committed returns the offsets group committed for topic's partitions.
func committed(t *testing.T, addr, group, topic string, parts int32) map[int32]int64 {
	t.Helper()
	ps := make([]int32, parts)
	for i := range ps {
		ps[i] = int32(i)
	}
	resp, err := newAdmin(t, addr).ListConsumerGroupOffsets(group, map[string][]int32{topic: ps})
	if err != nil {
		t.Fatalf("committed offsets of %s: %v", group, err)
	}
	out := map[int32]int64{}
	for p, b := range resp.Blocks[topic] {
		if b.Err != sarama.ErrNoError {
			t.Fatalf("committed offset of %s %s/%d: %v", group, topic, p, b.Err)
		}
		out[p] = b.Offset
	}
	return out
}

// commit joins group as a member of a consumer group, the way a goka
// processor does, and commits offsets.
func commit(t *testing.T, addr, group, topic string, offsets map[int32]int64) {
	t.Helper()
	cg, err := sarama.NewConsumerGroup([]string{addr}, group, saramaConfig(addr))
	if err != nil {
		t.Fatalf("join %s: %v", group, err)
	}
	defer cg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	h := &committer{topic: topic, offsets: offsets, done: cancel}
	if err := cg.Consume(ctx, []string{topic}, h); err != nil {
		t.Fatalf("consume as %s: %v", group, err)
	}
	if !h.committed {
		t.Fatalf("group %s: no session within 20s", group)
	}
}

// committer commits its offsets as soon as its session starts.
type committer struct {
	topic     string
	offsets   map[int32]int64
	done      func()
	committed bool
}

func (c *committer) Setup(s sarama.ConsumerGroupSession) error {
	for p, off := range c.offsets {
		s.MarkOffset(c.topic, p, off, "")
	}
	s.Commit()
	c.committed = true
	c.done()
	return nil
}

func (c *committer) Cleanup(sarama.ConsumerGroupSession) error { return nil }

func (c *committer) ConsumeClaim(s sarama.ConsumerGroupSession, _ sarama.ConsumerGroupClaim) error {
	<-s.Context().Done()
	return nil
}

// sortRecords orders rs as consumeAll returns them.
func sortRecords(rs []record) {
	slices.SortFunc(rs, func(a, b record) int {
		return cmp.Or(cmp.Compare(a.Partition, b.Partition), cmp.Compare(a.Offset, b.Offset))
	})
}
