package kafkaconf

import (
	"log/slog"
	"testing"
)

func TestGokaLevel(t *testing.T) {
	for msg, want := range map[string]slog.Level{
		"Error while starting up: kafka: client has run out of available brokers": slog.LevelWarn,
		"Will retry in 10 seconds (retried 3 times so far)":                       slog.LevelWarn,
		"error consuming from group consumer: read tcp: i/o timeout":              slog.LevelWarn,
		"finished building storage for topic orders/0 in 0.0 minutes":             slog.LevelDebug,
		"Processor: starting": slog.LevelDebug,
	} {
		if got := gokaLevel(msg); got != want {
			t.Errorf("gokaLevel(%q) = %v, want %v", msg, got, want)
		}
	}
}
