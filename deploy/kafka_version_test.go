package deploy

import (
	"os"
	"regexp"
	"testing"

	"github.com/orderstream/orderstream/internal/kafkacluster"
)

// TestKafkaVersion checks that compose and the chart run the Kafka release
// the tests run (kafka/pom.xml, internal/kafkacluster), so that what the
// tests prove holds for what is deployed.
func TestKafkaVersion(t *testing.T) {
	pom, err := os.ReadFile("../kafka/pom.xml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`<kafka.version>([^<]+)</kafka.version>`).FindSubmatch(pom); m == nil || string(m[1]) != kafkacluster.Version {
		t.Errorf("kafka/pom.xml kafka.version %q, kafkacluster.Version %s", m, kafkacluster.Version)
	}
	if img := loadCompose(t).Services["kafka"].Image; img != "apache/kafka:"+kafkacluster.Version {
		t.Errorf("compose runs %s, the tests apache/kafka:%s", img, kafkacluster.Version)
	}
	values, err := os.ReadFile("helm/orderstream/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if m := regexp.MustCompile(`(?m)repository: apache/kafka\n\s+tag: "([^"]+)"`).FindSubmatch(values); m == nil || string(m[1]) != kafkacluster.Version {
		t.Errorf("the chart's kafka.image.tag is %q, the tests run %s", m, kafkacluster.Version)
	}
}
