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
// cold, and at a fixed rate probes come through both the app and
// orderstream's separate processes, each measured. Its numbers are not
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
	cfg.Kafka, cfg.Duration, cfg.WarmUp = 1, 3*time.Second, time.Second
	cfg.Binary, cfg.Rates = buildBinary(t), []float64{20}
	var out bytes.Buffer
	rep, err := Run(context.Background(), cfg, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if len(rep.Streams) != 1 || len(rep.Streams[0].KS) != 1 || len(rep.Streams[0].Ours.Runs) != 1 {
		t.Fatalf("streams: %+v, want one rate with one run of each", rep.Streams)
	}
	ks, ours := rep.Streams[0].KS[0], rep.Streams[0].Ours.Runs[0]
	if ks.Orders <= 0 || ks.JVM <= 0 || ks.Broker <= 0 || len(ks.Samples) == 0 {
		t.Errorf("kafka streams at a fixed rate: %s", ks)
	}
	if ours.Orders <= 0 || ours.TotalCPU() <= 0 || len(ours.Samples) == 0 {
		t.Errorf("orderstream at a fixed rate: %s", ours)
	}
	for _, want := range []string{"kafka streams cold run 1", "orderstream full topology run 1", "JVM CPU", "kafka streams 20 orders/s run 1", "orderstream 20 orders/s run 1", "CPU per order, broker included"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
