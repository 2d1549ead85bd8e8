// Command orderstream runs the restaurant-ordering system: the embedded
// broker, topic provisioning, the order simulator, the processors, the views
// with their HTTP API, or all of them at once (demo).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand: it registers its flags on fs and returns the
// function that runs it once the flags are parsed and validated.
type command struct {
	summary string
	setup   func(fs *flag.FlagSet) func(ctx context.Context, env *env) error
}

// env is what every command gets besides its own config.
type env struct {
	stdout io.Writer
	logger *slog.Logger
}

var commands = map[string]command{}

func register(name, summary string, setup func(fs *flag.FlagSet) func(context.Context, *env) error) {
	commands[name] = command{summary: summary, setup: setup}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "orderstream:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return flag.ErrHelp
	}
	cmd, ok := commands[args[0]]
	if !ok {
		usage(stderr)
		return fmt.Errorf("unknown command %q", args[0])
	}
	fs := flag.NewFlagSet("orderstream "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	runCmd := cmd.setup(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	return runCmd(ctx, &env{stdout: stdout, logger: logger})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: orderstream <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set as ORDERSTREAM_<FLAG>, e.g. ORDERSTREAM_BROKERS.\nRun 'orderstream <command> -h' for its flags.")
}

// parseFlags parses args, then fills every flag not given on the command
// line from its environment variable ORDERSTREAM_<FLAG>.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] {
			return
		}
		name := envName(f.Name)
		if v, ok := os.LookupEnv(name); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	})
	return errors.Join(errs...)
}

func envName(flagName string) string {
	return "ORDERSTREAM_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
