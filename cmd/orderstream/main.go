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
	// args, if set, says which positional arguments the command takes
	// (e.g. "load FILE"); commands without it take none.
	args  string
	setup func(fs *flag.FlagSet) func(ctx context.Context, env *env) error
}

// env is what every command gets besides its own config.
type env struct {
	stdout io.Writer
	logger *slog.Logger
	// args are the positional arguments of a command that takes some.
	args []string
}

var commands = map[string]command{}

func register(name, summary string, setup func(fs *flag.FlagSet) func(context.Context, *env) error) {
	commands[name] = command{summary: summary, setup: setup}
}

// registerWithArgs registers a command that takes positional arguments,
// described by args, among its flags.
func registerWithArgs(name, args, summary string, setup func(fs *flag.FlagSet) func(context.Context, *env) error) {
	commands[name] = command{summary: summary, args: args, setup: setup}
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
	logFormat := fs.String("log-format", "text", "log format: text (logfmt) or json")
	runCmd := cmd.setup(fs)
	var positional []string
	if cmd.args == "" {
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
	} else {
		var err error
		if positional, err = parseArgs(fs, args[1:]); err != nil {
			return err
		}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger, err := newLogger(stderr, *logFormat, level)
	if err != nil {
		return err
	}
	return runCmd(ctx, &env{stdout: stdout, logger: logger, args: positional})
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: orderstream <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		summary := commands[n].summary
		if a := commands[n].args; a != "" {
			summary = n + " " + a + ": " + summary
		}
		fmt.Fprintf(w, "  %-9s %s\n", n, summary)
	}
	fmt.Fprintln(w, "\nEvery flag can also be set as ORDERSTREAM_<FLAG>, e.g. ORDERSTREAM_BROKERS.\nRun 'orderstream <command> -h' for its flags.")
}

// parseFlags parses args, which must all be flags, then fills every flag
// not given on the command line from its environment variable
// ORDERSTREAM_<FLAG>.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return flagsFromEnv(fs)
}

// parseArgs is parseFlags for a command with positional arguments: flags
// may come before, between and after them (after "--" everything is
// positional). It returns the positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		// flag stops at the first non-flag, or after "--".
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	return positional, flagsFromEnv(fs)
}

// flagsFromEnv fills every flag not given on the command line from its
// environment variable ORDERSTREAM_<FLAG>.
func flagsFromEnv(fs *flag.FlagSet) error {
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
