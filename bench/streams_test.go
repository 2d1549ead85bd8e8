package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/kafkacluster"
	"github.com/orderstream/orderstream/internal/streamsref"
)

// Without --kafka the streams scenario says why it cannot run, rather
// than failing somewhere inside the JVM.
func TestStreamsNeedsKafka(t *testing.T) {
	cfg := tinyConfig(t, ScenarioStreams)
	var out bytes.Buffer
	_, err := Run(context.Background(), cfg, &out)
	if !errors.Is(err, errStreamsEmbedded) {
		t.Fatalf("Run: %v, want %v", err, errStreamsEmbedded)
	}
}

// TestStreams runs the streams scenario at a tiny size on Apache Kafka:
// the Kafka Streams app and orderstream's full topology count every order
// cold, and probes come through at a fixed rate. Its numbers are not
// checked: timings on a shared machine are not test results
// (internal/streamsref's TestReferenceStats checks the app's statistics).
func TestStreams(t *testing.T) {
	if testing.Short() || raceEnabled() {
		t.Skip("starts Apache Kafka, a Kafka Streams JVM and every processor")
	}
	err := kafkacluster.Available()
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		_, err = streamsref.Build(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skipf("%v; %s", err, streamsref.BuildHint)
	}
	cfg := tinyConfig(t, ScenarioStreams)
	cfg.Kafka, cfg.Duration = 1, 2*time.Second
	var out bytes.Buffer
	_, err = Run(context.Background(), cfg, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, want := range []string{"kafka streams cold run 1", "orderstream full topology run 1", "JVM CPU", "probes, p50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if strings.Contains(out.String(), " 0 probes") {
		t.Errorf("no probe came through")
	}
}
