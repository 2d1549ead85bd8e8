package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args      []string
		want      []string
		wantBrk   string
		wantError string
	}{
		{[]string{"load", "f.json"}, []string{"load", "f.json"}, "default", ""},
		{[]string{"--brokers", "b:1", "load", "f.json"}, []string{"load", "f.json"}, "b:1", ""},
		{[]string{"load", "--brokers=b:1", "f.json"}, []string{"load", "f.json"}, "b:1", ""},
		{[]string{"load", "f.json", "--brokers", "b:1"}, []string{"load", "f.json"}, "b:1", ""},
		{[]string{"load", "--", "--brokers"}, []string{"load", "--brokers"}, "default", ""},
		{[]string{"load", "--nope"}, nil, "", "flag provided but not defined: -nope"},
	}
	for _, tc := range tests {
		fs := newTestFlagSet()
		brokers := fs.String("brokers", "default", "")
		got, err := parseArgs(fs, tc.args)
		if tc.wantError != "" {
			if err == nil || err.Error() != tc.wantError {
				t.Errorf("parseArgs(%q) error %v, want %q", tc.args, err, tc.wantError)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) || *brokers != tc.wantBrk {
			t.Errorf("parseArgs(%q) = %q, --brokers %q, %v; want %q, %q", tc.args, got, *brokers, err, tc.want, tc.wantBrk)
		}
	}
}

func TestCatalogCommandRefuses(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"restaurants":[{"id":"r-1"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"catalog"}, "usage: orderstream catalog load FILE"},
		{[]string{"catalog", "show", "x"}, "usage: orderstream catalog load FILE"},
		{[]string{"catalog", "load", filepath.Join(dir, "none.json")}, "catalog: stat "},
		{[]string{"catalog", "load", bad}, "name of 0 bytes"},
		{[]string{"catalog", "load", bad, "--brokers", " "}, "no brokers given"},
	}
	for _, tc := range tests {
		var out, errOut bytes.Buffer
		err := run(context.Background(), tc.args, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: error %v, want one containing %q", tc.args, err, tc.wantErr)
		}
	}
}

func newTestFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}
