package kafkaconf

import "testing"

// TestWaitsOutARebalance checks that a client waits for a JoinGroup answer
// as long as a rebalance may take: sarama fails the whole consumer group
// with an i/o timeout when Net.ReadTimeout runs out first.
func TestWaitsOutARebalance(t *testing.T) {
	cfg := Config{Brokers: []string{"b:9092"}, Partitions: 3, Replication: 1}.Sarama()
	if rebalance, read := cfg.Consumer.Group.Rebalance.Timeout, cfg.Net.ReadTimeout; read < rebalance+JoinGroupSlack {
		t.Errorf("Net.ReadTimeout %v, want at least the rebalance timeout %v and %v", read, rebalance, JoinGroupSlack)
	}
	if err := cfg.Validate(); err != nil {
		t.Errorf("sarama config: %v", err)
	}
}
