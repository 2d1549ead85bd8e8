package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/orderstream/orderstream/internal/buildinfo"
)

func init() {
	register("version", "print the version, VCS revision and Go version of this build", setupVersion)
}

func setupVersion(*flag.FlagSet) func(context.Context, *env) error {
	return func(_ context.Context, e *env) error {
		bi := buildinfo.Get()
		_, err := fmt.Fprintf(e.stdout, "orderstream %s\n  revision %s\n  go       %s\n", bi.Version, bi.Revision, bi.GoVersion)
		return err
	}
}

// newLogger is the logger of --log-format and --log-level, writing to w.
func newLogger(w io.Writer, format string, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}
