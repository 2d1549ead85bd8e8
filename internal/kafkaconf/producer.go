package kafkaconf

import (
	"context"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/IBM/sarama"
	"github.com/lovoo/goka"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Producer tuning. goka's own producer is sarama's async producer: six
// goroutines and channel hand-offs per message. franz-go's producer batches
// per partition without hand-offs; an emitter's keeps up to five
// idempotent requests in flight per broker, a processor's one, as sarama
// did (see oneProduceInFlight).
const (
	// ProducerLinger is how long a partition's batch waits for more
	// records before a request is built. None: a batch goes out as soon
	// as the connection takes a request, and records produced while
	// a request is in flight batch up by themselves. Against 1ms it
	// halved the median POST-to-view latency (10 -> 5.4-6.4ms at 1000
	// orders/s) at no clear CPU cost (BENCHMARKS.md).
	ProducerLinger = 0
	// ProducerGiveUp is how long a record is retried before its write
	// fails (and with it the processor or emit): long enough to ride out
	// a broker restart. A record given up on while a later one of the
	// same partition lands would leave a gap the offset deduplication
	// cannot see.
	ProducerGiveUp = 10 * time.Minute
	// producerBufferedBytes bounds the records waiting in one producer;
	// Emit blocks beyond it, as goka's sarama channel did when full.
	producerBufferedBytes = 32 << 20
	// producerCloseWait bounds how long Close waits for buffered records,
	// goka's 60s.
	producerCloseWait = time.Minute
)

// gokaProducer is goka's Producer on a franz-go client: the processors'
// table writes and emits, and the emitters. Records are partitioned with
// goka's hasher through sarama's hash partitioner arithmetic, so they land
// where sarama would have put them, and produced idempotently with every
// acknowledgement required, as the sarama configuration does.
//
// A processor's producer (stopOnFailure) that failed a record fails every
// record after it. Downstream
// tables deduplicate by the highest upstream position applied
// (processors/exactly), so a record that lands after an earlier one of
// the same upstream partition failed would hide the earlier one for good
// when it is sent again. goka stops the processor on the failure; until it
// has, nothing it emits may land. franz-go fails a partition's buffered
// records together, but takes new ones after that, and tells of the failure
// asynchronously: records produced meanwhile are buffered while the client
// reloads its producer id, and are purged along with everything else
// buffered. An emitter's producer
// goes on: a record too large, say, must not stop the order intake.
type gokaProducer struct {
	client        *kgo.Client
	logger        *slog.Logger
	stopOnFailure bool
	failed        atomic.Pointer[error] // the first failure
	topics        sync.Map              // every topic produced to
}

func (c Config) newGokaProducer(clientID string, hasher func() hash.Hash32, logger *slog.Logger, stopOnFailure bool) (*gokaProducer, error) {
	opts, err := c.Kgo()
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	hash := func(key []byte) uint32 {
		h := hasher()
		h.Write(key) // a hash.Hash never fails to write
		return h.Sum32()
	}
	opts = append(opts,
		kgo.ClientID(clientID),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(hash))),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.ProducerLinger(ProducerLinger),
		kgo.RecordDeliveryTimeout(ProducerGiveUp),
		// A topic missing from a metadata response (a broker that has
		// just restarted) is retried as long as anything else.
		kgo.UnknownTopicRetries(-1),
		kgo.MaxBufferedBytes(producerBufferedBytes),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
	)
	if stopOnFailure {
		opts = append(opts, kgo.MaxVersions(oneProduceInFlight()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	// A refused login or an unreachable cluster fails here, at once, not
	// after ProducerGiveUp on the first record.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, err
	}
	return &gokaProducer{client: cl, logger: logger, stopOnFailure: stopOnFailure}, nil
}

// oneProduceInFlight returns the newest request versions but for Produce,
// held at v3 (Kafka 0.11, idempotence included; every broker since serves
// it, Kafka 4 too): with it franz-go keeps one idempotent produce request
// in flight per broker instead of five, as goka's sarama producer did. A processor's output must land in the order it was produced:
// downstream tables take an upstream position at or below the highest
// applied as a redelivery. Idempotence keeps five requests in order only
// while the broker remembers the producer's sequence numbers; a broker
// that forgot them (a kill -9 of the embedded broker, a real one whose log
// lost the producer's state) takes any first sequence (KIP-360), so a
// request that failed may land after the next one. The fault test saw it:
// after a broker kill a registry batch landed after the batch that followed
// it, and the restaurant and user tables missed about a hundred orders. With
// one request in flight a batch is only sent once the previous one is
// acknowledged, and records produced meanwhile batch up behind it.
func oneProduceInFlight() *kversion.Versions {
	v := kversion.Stable()
	v.SetMaxKeyVersion(kmsg.Produce.Int16(), 3)
	return v
}

// Emit produces value under key to topic; a nil value is a tombstone.
func (p *gokaProducer) Emit(topic string, key string, value []byte) *goka.Promise {
	return p.EmitWithHeaders(topic, key, value, nil)
}

// EmitWithHeaders produces value under key, with headers, to topic.
func (p *gokaProducer) EmitWithHeaders(topic string, key string, value []byte, headers goka.Headers) *goka.Promise {
	promise, finish := goka.NewPromiseWithFinisher()
	if err := p.failed.Load(); err != nil {
		finish(nil, fmt.Errorf("producer stopped after an earlier failure: %w", *err))
		return promise
	}
	if p.stopOnFailure {
		if _, known := p.topics.Load(topic); !known {
			p.topics.Store(topic, true)
		}
	}
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: value}
	if len(headers) > 0 {
		r.Headers = make([]kgo.RecordHeader, 0, len(headers))
		for k, v := range headers {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: v})
		}
	}
	p.client.Produce(context.Background(), r, func(r *kgo.Record, err error) {
		if err != nil {
			if p.stopOnFailure && p.failed.CompareAndSwap(nil, &err) {
				p.logger.Error("producing failed; failing every later record", "topic", r.Topic, "partition", r.Partition, "err", err)
				go p.purge()
			}
			finish(nil, err)
			return
		}
		// goka reads the offset of a table write (the local table's
		// offset); the rest is for whoever else looks.
		finish(&sarama.ProducerMessage{
			Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Timestamp: r.Timestamp,
		}, nil)
	})
	return promise
}

// purge fails every record still buffered (not in flight).
func (p *gokaProducer) purge() {
	var topics []string
	p.topics.Range(func(t, _ any) bool {
		topics = append(topics, t.(string))
		return true
	})
	p.client.PurgeTopicsFromProducing(topics...)
}

// Close waits for the buffered records (at most a minute), then closes
// the client; records produced after Close fail.
func (p *gokaProducer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), producerCloseWait)
	defer cancel()
	err := p.client.Flush(ctx)
	p.client.Close()
	return err
}

// Producer returns a producer as goka's processors get it, partitioning
// by goka's default hasher: for a processor's writes made beside goka, such
// as a cached table's changelog (processors/cache).
func (c Config) Producer(clientID string, logger *slog.Logger) (goka.Producer, error) {
	return c.newGokaProducer(clientID, goka.DefaultHasher(), logger, true)
}
