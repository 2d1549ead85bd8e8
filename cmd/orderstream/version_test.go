package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	old := buildinfo.Version
	t.Cleanup(func() { buildinfo.Version = old })
	buildinfo.Version = "9.8.7"
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err != nil {
		t.Fatalf("version: %v (%s)", err, errOut.String())
	}
	for _, want := range []string{"orderstream 9.8.7\n", "revision ", "go       " + runtime.Version()} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("version printed %q, want it to contain %q", out.String(), want)
		}
	}
}

func TestLogFormat(t *testing.T) {
	// The handler through newLogger; the flag and its variable through run.
	var buf bytes.Buffer
	l, err := newLogger(&buf, "json", 0)
	if err != nil {
		t.Fatal(err)
	}
	l.Info("hello", "k", 1)
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "hello" || rec["k"] != 1.0 {
		t.Errorf("json log line %q (%v), want msg hello and k 1", buf.String(), err)
	}
	if _, err := newLogger(&buf, "xml", 0); err == nil {
		t.Error("newLogger(xml) succeeded, want an error")
	}

	var out, errOut bytes.Buffer
	err = run(context.Background(), []string{"version", "--log-format", "yaml"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("run(--log-format yaml) = %v, want a --log-format error", err)
	}
	t.Setenv("ORDERSTREAM_LOG_FORMAT", "json")
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err != nil {
		t.Errorf("ORDERSTREAM_LOG_FORMAT=json: %v", err)
	}
	t.Setenv("ORDERSTREAM_LOG_FORMAT", "nope")
	if err := run(context.Background(), []string{"version"}, &out, &errOut); err == nil {
		t.Error("ORDERSTREAM_LOG_FORMAT=nope accepted, want an error")
	}
}
