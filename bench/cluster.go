package bench

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/topics"
	"github.com/orderstream/orderstream/processors"
)

// pollInterval is how often completion is checked: one ListOffsets request
// (or a few local table reads) per tick, which the system does not feel,
// and a resolution far below the durations measured.
const pollInterval = 5 * time.Millisecond

// cluster is a fresh embedded broker with every topic of the system, and
// the franz-go clients the bench produces and watches with.
type cluster struct {
	broker *broker.Broker
	// apache is the Apache Kafka cluster measured on instead of the
	// embedded broker (Config.Kafka), and apacheDir its data directory.
	apache    *kafkacluster.Cluster
	apacheDir string
	kafka     kafkaconf.Config
	client    *kgo.Client
	admin     *kadm.Client
}

// labelled runs f with the pprof label component=name, which every
// goroutine f starts inherits: CPU profiles then tell the broker, each
// processor, the views and the load generators apart (pprof -tagfocus).
func labelled(ctx context.Context, name string, f func(ctx context.Context)) {
	pprof.Do(ctx, pprof.Labels("component", name), f)
}

// startCluster starts an in-memory broker (or one persisting to dataDir)
// and provisions every topic the processors use.
func startCluster(ctx context.Context, cfg Config, dataDir string) (*cluster, error) {
	if cfg.Kafka > 0 {
		return startApache(ctx, cfg)
	}
	var (
		b   *broker.Broker
		err error
	)
	labelled(ctx, "broker", func(context.Context) {
		b, err = broker.Start(broker.Config{
			DataDir: dataDir,
			// No compaction while measuring: the latency scenario reads
			// back every table update its probes caused.
			CompactInterval: 24 * time.Hour,
			Logger:          cfg.Logger.With("component", "broker"),
		})
	})
	if err != nil {
		return nil, fmt.Errorf("start broker: %w", err)
	}
	c, err := connect(ctx, cfg, b.Addr())
	if err != nil {
		return nil, errors.Join(err, b.Close())
	}
	c.broker = b
	if _, err := topics.Ensure(ctx, c.kafka, processors.Topics()); err != nil {
		return nil, errors.Join(fmt.Errorf("ensure topics: %w", err), c.Close())
	}
	return c, nil
}

// startApache starts a fresh Apache Kafka cluster of cfg.Kafka nodes and
// provisions every topic the processors use, replicated on every node.
func startApache(ctx context.Context, cfg Config) (*cluster, error) {
	dir, err := tempDir(cfg, "kafka")
	if err != nil {
		return nil, err
	}
	logger := cfg.Logger.With("component", "kafka")
	k, err := kafkacluster.Start(ctx, kafkacluster.Config{Nodes: cfg.Kafka, DataDir: dir,
		Log: func(f string, a ...any) { logger.Debug(fmt.Sprintf(f, a...)) }})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start Apache Kafka: %w", err), os.RemoveAll(dir))
	}
	c, err := connect(ctx, cfg, k.Bootstrap()[0])
	if err != nil {
		return nil, errors.Join(err, k.Close(), os.RemoveAll(dir))
	}
	c.apache, c.apacheDir = k, dir
	c.kafka.Brokers, c.kafka.Replication = k.Bootstrap(), cfg.Kafka
	if _, err := topics.Ensure(ctx, c.kafka, processors.Topics()); err != nil {
		return nil, errors.Join(fmt.Errorf("ensure topics: %w", err), c.Close())
	}
	return c, nil
}

// connect returns the clients of a cluster at addr, without a broker to
// close: child processes use the parent's.
func connect(ctx context.Context, cfg Config, addr string) (*cluster, error) {
	kc := kafkaconf.Config{
		Brokers:     []string{addr},
		Partitions:  cfg.Partitions,
		Replication: 1,
		ClientID:    "orderstream-bench",
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(addr),
		kgo.RecordPartitioner(gokaPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.ProducerBatchMaxBytes(1<<20),
		kgo.MaxBufferedRecords(1<<16),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordRetries(10),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	return &cluster{kafka: kc, client: cl, admin: kadm.NewClient(cl)}, nil
}

// Close closes the clients and the broker.
func (c *cluster) Close() error {
	c.client.Close()
	if c.apache != nil {
		return errors.Join(c.apache.Close(), os.RemoveAll(c.apacheDir))
	}
	if c.broker == nil {
		return nil
	}
	return c.broker.Close()
}

// fnv32a is goka's default hasher (goka.DefaultHasher) as a function.
func fnv32a(key []byte) uint32 {
	h := fnv.New32a()
	h.Write(key)
	return h.Sum32()
}

// gokaPartitioner places keys where goka's producers (sarama's hash
// partitioner with goka.DefaultHasher) and goka's views look for them.
func gokaPartitioner() kgo.Partitioner {
	return kgo.StickyKeyPartitioner(kgo.SaramaCompatHasher(fnv32a))
}

// partitionOf is the partition gokaPartitioner picks for key.
func partitionOf(key string, partitions int) int32 {
	return int32(kgo.SaramaCompatHasher(fnv32a)([]byte(key), partitions))
}

// produce writes records, batched, and waits until all are acknowledged.
func (c *cluster) produce(ctx context.Context, records []*kgo.Record) error {
	var (
		mu    sync.Mutex
		first error
	)
	for _, r := range records {
		c.client.Produce(ctx, r, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				first = cmp(first, err)
				mu.Unlock()
			}
		})
	}
	if err := c.client.Flush(ctx); err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if first != nil {
		return fmt.Errorf("produce: %w", first)
	}
	return nil
}

// cmp keeps the first non-nil error.
func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// endOffsets returns the number of records in each topic (the sum of its
// partitions' end offsets: topics here are fresh and never truncated).
func (c *cluster) endOffsets(ctx context.Context, topics ...string) (map[string]int64, error) {
	listed, err := c.admin.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	if err := listed.Error(); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(topics))
	listed.Each(func(o kadm.ListedOffset) { out[o.Topic] += o.Offset })
	return out, nil
}

// committedAll reports whether group has committed the end of every
// partition of topic.
func (c *cluster) committedAll(ctx context.Context, group, topic string) (bool, error) {
	ends, err := c.admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return false, err
	}
	if err := ends.Error(); err != nil {
		return false, err
	}
	committed, err := c.admin.FetchOffsets(ctx, group)
	if err != nil {
		return false, err
	}
	if err := committed.Error(); err != nil {
		return false, err
	}
	done := true
	ends.Each(func(e kadm.ListedOffset) {
		o, ok := committed.Lookup(topic, e.Partition)
		done = done && ok && o.At >= e.Offset
	})
	return done, nil
}

// waitFor polls done every pollInterval until it reports true, fails, or
// timeout passes.
func waitFor(ctx context.Context, timeout time.Duration, what string, done func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var last error
	for {
		ok, err := done(ctx)
		if ok && err == nil {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-tick.C:
		}
	}
}

// tempDir makes a directory for LevelDB state under cfg.WorkDir.
func tempDir(cfg Config, pattern string) (string, error) {
	dir, err := os.MkdirTemp(cfg.WorkDir, "orderstream-bench-"+pattern+"-")
	if err != nil {
		return "", fmt.Errorf("temp dir: %w", err)
	}
	return dir, nil
}
