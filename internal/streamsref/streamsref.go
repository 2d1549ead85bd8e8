// Package streamsref runs the Kafka Streams reference application
// (kafka/streams: orderstream's restaurant, user and global statistics
// computed by the application a Java team would write instead) as a child
// JVM, builds it with Maven on first use, and reads its output topics.
// Only the input topic "orders" is shared with orderstream; everything the
// application writes has the prefix "ks-".
package streamsref

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/orderstream/orderstream/internal/kafkacluster"
)

// The application's output topics (created by the application itself,
// compacted, with the partitions of "orders").
const (
	DLQTopic         = "ks-orders-dlq"
	RestaurantsTopic = "ks-restaurant-stats"
	UsersTopic       = "ks-user-stats"
	GlobalTopic      = "ks-global-stats"
)

// ReasonHeader is the header of a dead letter that holds the reason, as
// orderstream's order.Reason names it.
const ReasonHeader = "reason"

// BuildHint says how to get what Build needs.
const BuildHint = "install Java 17 and Maven (Debian: apt-get install openjdk-17-jdk-headless maven, as .ci/run does) " +
	"or build by hand with `mvn -q -B -f kafka/streams/pom.xml package`"

// ErrUnavailable is returned when Java, Maven or the project is missing.
var ErrUnavailable = errors.New("the Kafka Streams reference application is not available")

// mainClass is the application's entry point.
const mainClass = "orderstream.streams.App"

// buildTimeout bounds Maven: a minute or two on a cold local repository
// (kafka-streams and RocksDB are fetched), seconds on a warm one.
const buildTimeout = 10 * time.Minute

// Build makes sure the application is built and current: when the jar is
// missing or older than a file of the project (pom.xml, src/), it runs
// `mvn -q -B -f kafka/streams/pom.xml package` (the project found in the
// working directory or one of its parents). Test binaries of several
// packages may call it at once: a lock file lets one build and the others
// wait for it. It returns the classpath to run the application with.
func Build(ctx context.Context) (string, error) {
	dir, err := projectDir()
	if err != nil {
		return "", err
	}
	if _, err := kafkacluster.Java(); err != nil {
		return "", errors.Join(ErrUnavailable, err)
	}
	if cp, ok := current(dir); ok {
		return cp, nil
	}
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", fmt.Errorf("%w: no mvn on PATH to build %s; %s", ErrUnavailable, dir, BuildHint)
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".build.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", fmt.Errorf("build kafka streams app: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("build kafka streams app: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if cp, ok := current(dir); ok {
		return cp, nil // built while we waited
	}
	ctx, cancel := context.WithTimeout(ctx, buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, mvn, "-q", "-B", "-f", filepath.Join(dir, "pom.xml"), "package")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%w: %s failed: %v\n%s", ErrUnavailable, cmd, err, out)
	}
	if cp, ok := current(dir); ok {
		return cp, nil
	}
	return "", fmt.Errorf("%w: maven built no current %s", ErrUnavailable, jarPath(dir))
}

// projectDir returns kafka/streams in the working directory or a parent.
func projectDir() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, "kafka", "streams")
		if st, err := os.Stat(filepath.Join(p, "pom.xml")); err == nil && !st.IsDir() {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no kafka/streams/pom.xml above %s", ErrUnavailable, wd)
		}
	}
}

func jarPath(dir string) string { return filepath.Join(dir, "target", "orderstream-streams.jar") }

// current reports whether the jar is newer than every file of the
// project, and if so the classpath: the jar and its copied dependencies.
func current(dir string) (string, bool) {
	jar, err := os.Stat(jarPath(dir))
	if err != nil {
		return "", false
	}
	stale := false
	check := func(p string) {
		if st, err := os.Stat(p); err == nil && st.ModTime().After(jar.ModTime()) {
			stale = true
		}
	}
	check(filepath.Join(dir, "pom.xml"))
	_ = filepath.WalkDir(filepath.Join(dir, "src"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			check(p)
		}
		return nil
	})
	if _, err := os.Stat(filepath.Join(dir, "target", "lib", "kafka-streams-"+kafkacluster.Version+".jar")); err != nil {
		stale = true
	}
	if stale {
		return "", false
	}
	return jarPath(dir) + string(os.PathListSeparator) + filepath.Join(dir, "target", "lib", "*"), true
}

// Config is an instance of the application to start.
type Config struct {
	// Bootstrap is the brokers' addresses.
	Bootstrap []string
	// ApplicationID is Kafka Streams' application.id: the consumer group,
	// the prefix of its internal topics and its transactional ids.
	ApplicationID string
	// StateDir holds the RocksDB stores.
	StateDir string
	// Threads is num.stream.threads (default 1).
	Threads int
	// Heap is the JVM's -Xmx (default 512m).
	Heap string
	// Log receives the JVM's output (warnings and errors; the state
	// changes); nil discards it.
	Log io.Writer
}

// App is a running application.
type App struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	running chan struct{}
	mu      sync.Mutex
	states  []string
	waitErr error
}

// Start builds the application if needed (Build), starts it and waits
// until Kafka Streams reports RUNNING. It stops the application again
// when ctx ends before then.
func Start(ctx context.Context, cfg Config) (*App, error) {
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if cfg.Heap == "" {
		cfg.Heap = "512m"
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	cp, err := Build(ctx)
	if err != nil {
		return nil, err
	}
	java, err := kafkacluster.Java()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(java, "-Xmx"+cfg.Heap, "-Xms64m", "-XX:+UseSerialGC", "-Djava.awt.headless=true",
		"-cp", cp, mainClass,
		strings.Join(cfg.Bootstrap, ","), cfg.ApplicationID, cfg.StateDir, strconv.Itoa(cfg.Threads))
	cmd.Stderr = cfg.Log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// The JVM dies with its parent, and a Ctrl-C at the terminal reaches
	// the parent, which stops it in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start kafka streams app: %w", err)
	}
	a := &App{cmd: cmd, exited: make(chan struct{}), running: make(chan struct{})}
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			fmt.Fprintln(cfg.Log, sc.Text())
			if state, ok := strings.CutPrefix(sc.Text(), "state "); ok {
				a.mu.Lock()
				a.states = append(a.states, state)
				first := state == "RUNNING" && !slices.Contains(a.states[:len(a.states)-1], "RUNNING")
				a.mu.Unlock()
				if first {
					close(a.running)
				}
			}
		}
	}()
	go func() {
		<-lines
		err := cmd.Wait()
		a.mu.Lock()
		a.waitErr = err
		a.mu.Unlock()
		close(a.exited)
	}()
	select {
	case <-a.running:
		return a, nil
	case <-a.exited:
		return nil, fmt.Errorf("kafka streams app exited while starting (%v, states %v)", a.exitErr(), a.States())
	case <-ctx.Done():
		return nil, errors.Join(fmt.Errorf("kafka streams app not running: %w", ctx.Err()), a.Close())
	}
}

func (a *App) exitErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.waitErr
}

// PID is the JVM's process id.
func (a *App) PID() int { return a.cmd.Process.Pid }

// States lists the states Kafka Streams went through, in order.
func (a *App) States() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.states...)
}

// Err reports why the application stopped, if it did: an exit, or a
// Kafka Streams state of ERROR.
func (a *App) Err() error {
	select {
	case <-a.exited:
		return fmt.Errorf("kafka streams app exited: %v (states %v)", a.exitErr(), a.States())
	default:
	}
	if st := a.States(); len(st) > 0 && st[len(st)-1] == "ERROR" {
		return fmt.Errorf("kafka streams app in state ERROR (states %v)", st)
	}
	return nil
}

// Close stops the application with SIGTERM (Kafka Streams closes: it
// commits and leaves its group) and waits for it; SIGKILL after 30s.
func (a *App) Close() error {
	select {
	case <-a.exited:
		return nil
	default:
	}
	_ = a.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-a.exited:
		return nil
	case <-time.After(30 * time.Second):
		_ = a.cmd.Process.Kill()
		<-a.exited
		return errors.New("kafka streams app did not stop within 30s of SIGTERM; killed")
	}
}
