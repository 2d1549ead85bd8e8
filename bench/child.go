package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/user"
)

// Child roles: what `orderstream process` and `orderstream serve` run.
const (
	RoleProcessors = "processors"
	RoleViews      = "views"
)

// ChildSpec tells a child process what to run; it travels as JSON.
type ChildSpec struct {
	Role       string        `json:"role"`
	Brokers    []string      `json:"brokers"`
	Partitions int           `json:"partitions"`
	DataDir    string        `json:"data_dir"`
	Profile    string        `json:"profile,omitempty"`
	Timeout    time.Duration `json:"timeout"`
	// User is a key of the user table the child must serve once ready:
	// proof that the state it reports ready with is there.
	User string `json:"user"`
}

// childStatus is a line a child prints: once when it is ready, and once
// more after it has shut down.
type childStatus struct {
	// Elapsed is from RunChild's start.
	Elapsed time.Duration `json:"elapsed"`
	// RSS and HWM are VmRSS and VmHWM (the peak so far) at that moment,
	// in bytes. getrusage's ru_maxrss would not do: Linux carries the
	// high-water mark of the address space a process had before execve
	// over into it, which for a child of a Go program is the parent's.
	RSS int64 `json:"rss"`
	HWM int64 `json:"hwm"`
}

// report prints the status line.
func report(w io.Writer, start time.Time) error {
	st := childStatus{Elapsed: time.Since(start)}
	st.RSS, st.HWM = memoryStatus()
	line, err := json.Marshal(st)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", line)
	return err
}

// RunChild is the child side of the recovery and memory scenarios: it runs
// the role of spec (a JSON ChildSpec) until it is ready, prints a JSON
// status line on stdout saying so, and keeps running until stdin is closed
// (or reaches EOF) or ctx ends; then it shuts down cleanly and prints a
// last status line. The bench command runs it for its internal --child
// flag.
func RunChild(ctx context.Context, spec string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	start := time.Now()
	var s ChildSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		return fmt.Errorf("child spec: %w", err)
	}
	stop, err := startProfile(s.Profile)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stop()) }()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg := Config{Partitions: s.Partitions, Timeout: s.Timeout, Logger: logger}.withDefaults()
	kc := kafkaconf.Config{Brokers: s.Brokers, Partitions: cfg.Partitions, Replication: 1, ClientID: "orderstream-bench-" + s.Role}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Closing stdin is the parent's stop signal; EOF also stops a child
	// whose parent died.
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()

	var shutdown func() error
	switch s.Role {
	case RoleProcessors:
		procs := &started{}
		rc := runner.Config{Kafka: kc, DataDir: s.DataDir, Logger: logger, Started: procs.add}
		run, err := startProcessors(ctx, rc, nil)
		if err != nil {
			return err
		}
		shutdown = run.stop
		err = waitFor(ctx, cfg.Timeout, "processors to recover", func(context.Context) (bool, error) {
			return procs.recovered(run.n), run.err()
		})
		if err != nil {
			return errors.Join(err, shutdown())
		}
		if p := procs.get(string(user.Group)); p == nil {
			err = errors.New("no user processor")
		} else if v, gerr := p.Get(s.User); gerr != nil || v == nil {
			err = fmt.Errorf("user processor ready without user %q (%v)", s.User, gerr)
		}
		if err != nil {
			return errors.Join(err, shutdown())
		}
	case RoleViews:
		sys, err := startSystem(ctx, cfg, kc, false, s.DataDir)
		if err != nil {
			return err
		}
		shutdown = sys.stop
		if _, err := sys.views.Users().Get(s.User); err != nil {
			return errors.Join(fmt.Errorf("views ready without user %q: %w", s.User, err), shutdown())
		}
	default:
		return fmt.Errorf("child role %q: want %s or %s", s.Role, RoleProcessors, RoleViews)
	}
	if err := report(stdout, start); err != nil {
		return errors.Join(err, shutdown())
	}
	<-ctx.Done()
	if err := shutdown(); err != nil {
		return err
	}
	return report(stdout, start)
}

// memoryStatus reads VmRSS and VmHWM of this process, in bytes; zero
// where /proc is missing.
func memoryStatus() (rss, hwm int64) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			continue
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm
}
