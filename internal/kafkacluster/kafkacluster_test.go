package kafkacluster

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The broker settings are the deploy manifests': 3 partitions, no
// automatic topic creation, and with 3 nodes replication 3 with
// min.insync.replicas 2, for the topics and the internal ones alike.
func TestProperties(t *testing.T) {
	for _, tc := range []struct {
		nodes      int
		rf, minISR string
	}{{1, "1", "1"}, {3, "3", "2"}} {
		c := &Cluster{cfg: Config{Nodes: tc.nodes, DataDir: t.TempDir()}}
		for i := range tc.nodes {
			c.nodes = append(c.nodes, &node{id: i + 1, dir: c.nodeDir(i + 1), client: "127.0.0.1:1", secure: "127.0.0.1:2", ctrl: "127.0.0.1:3", inter: "127.0.0.1:4"})
		}
		p := c.properties(c.nodes[len(c.nodes)-1])
		want := map[string]string{
			"process.roles":                            "broker,controller",
			"node.id":                                  strconv.Itoa(tc.nodes),
			"num.partitions":                           "3",
			"auto.create.topics.enable":                "false",
			"default.replication.factor":               tc.rf,
			"min.insync.replicas":                      tc.minISR,
			"offsets.topic.replication.factor":         tc.rf,
			"transaction.state.log.replication.factor": tc.rf,
			"transaction.state.log.min.isr":            tc.minISR,
			"group.initial.rebalance.delay.ms":         "0",
		}
		for k, v := range want {
			if p[k] != v {
				t.Errorf("%d nodes: %s=%q, want %q", tc.nodes, k, p[k], v)
			}
		}
		if got := strings.Count(p["controller.quorum.voters"], "@"); got != tc.nodes {
			t.Errorf("%d nodes: %d voters in %q", tc.nodes, got, p["controller.quorum.voters"])
		}
		if _, ok := p["sasl.enabled.mechanisms"]; ok {
			t.Errorf("%d nodes: SASL enabled without Secure", tc.nodes)
		}
	}
}

func TestClasspathFromEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(ClasspathEnv, dir)
	if _, err := Classpath(); err == nil || !strings.Contains(err.Error(), "mvn -q -B -f kafka/pom.xml") {
		t.Errorf("an empty %s: err %v, want one saying how to fetch the jars", ClasspathEnv, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "kafka_2.13-"+Version+".jar"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Classpath(); err != nil || got != dir {
		t.Errorf("Classpath() = %q, %v; want %q", got, err, dir)
	}
}
