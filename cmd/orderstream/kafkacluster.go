package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/orderstream/orderstream/internal/kafkacluster"
)

func init() {
	register("kafka-cluster", "run a local Apache Kafka cluster (KRaft, 1 or 3 nodes) from the jars kafka/pom.xml fetches", setupKafkaCluster)
}

type kafkaClusterConfig struct {
	brokers int
	dataDir string
	heap    string
}

func setupKafkaCluster(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &kafkaClusterConfig{}
	fs.IntVar(&c.brokers, "brokers", 1, "nodes (combined broker+controller): 1, or 3 for replication 3 with min.insync.replicas 2")
	fs.StringVar(&c.dataDir, "data-dir", "./data/kafka", "directory of the nodes' configuration, logs and log directories; started again on it, the cluster comes back on the same ports with its topics")
	fs.StringVar(&c.heap, "heap", "512m", "maximum heap of each node's JVM")
	return func(ctx context.Context, e *env) error { return runKafkaCluster(ctx, e, c) }
}

func runKafkaCluster(ctx context.Context, e *env, c *kafkaClusterConfig) error {
	logger := e.logger.With("component", "kafka-cluster")
	cl, err := kafkacluster.Start(ctx, kafkacluster.Config{
		Nodes:   c.brokers,
		DataDir: c.dataDir,
		Heap:    c.heap,
		Log:     func(f string, a ...any) { logger.Info(fmt.Sprintf(f, a...)) },
	})
	if err != nil {
		return err
	}
	brokers := strings.Join(cl.Bootstrap(), ",")
	logger.Info("kafka cluster ready", "version", kafkacluster.Version, "nodes", c.brokers, "brokers", brokers, "data_dir", c.dataDir)
	// For scripts: B=$(cat DATA_DIR/brokers).
	if err := os.WriteFile(filepath.Join(c.dataDir, "brokers"), []byte(brokers+"\n"), 0o644); err != nil {
		return errors.Join(err, cl.Close())
	}
	fmt.Fprintf(e.stdout, "brokers=%s\n", brokers)
	<-ctx.Done()
	logger.Info("stopping the kafka cluster")
	return cl.Close()
}
