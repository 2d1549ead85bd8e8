package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

func TestEmitFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"zero rate", []string{"--rate", "0"}, "simulator: rate 0"},
		{"negative count", []string{"--count", "-1"}, "simulator: count -1"},
		{"no restaurants", []string{"--restaurants", "0"}, "simulator: restaurants 0"},
		{"too many users", []string{"--users", "100000"}, "simulator: users 100000"},
		{"no brokers", []string{"--brokers", " , "}, "kafka flags: no brokers given"},
		{"bad seed", []string{"--seed", "-1"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := run(context.Background(), append([]string{"emit"}, tt.args...), &out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestEmitCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a broker")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()

	var out, errOut bytes.Buffer
	args := []string{"emit", "--brokers", strings.Join(cluster.ListenAddrs(), ","), "--rate", "2000", "--count", "300", "--log-level", "warn"}
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	// Not a terminal: no progress line, only the summary.
	if got := out.String(); !strings.HasPrefix(got, "emitted 300 orders in ") || !strings.HasSuffix(got, ", 0 failed\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("output %q", got)
	}
}
