package integrationtest

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Environment of the helper process: the system runs in a process of its
// own so that the test can kill it with SIGKILL, which no in-process
// cancellation imitates: nothing is flushed, committed or closed.
const (
	childBrokersEnv = "ORDERSTREAM_IT_CHILD_BROKERS"
	childDirEnv     = "ORDERSTREAM_IT_CHILD_DIR"
	// childLifetime bounds a helper process the test forgot to kill.
	childLifetime = 5 * time.Minute
)

// childSystem is a system in a helper process.
type childSystem struct {
	cmd  *exec.Cmd
	base string
	// exited is closed when the process has exited.
	exited chan struct{}
}

// startChild runs a system on brokers and dir in a new process of this
// test binary (TestHelperSystem) and waits until it serves HTTP. The
// process is killed when the test ends, if it is still running.
func startChild(t *testing.T, brokers, dir string) *childSystem {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSystem$", "-test.timeout="+childLifetime.String())
	cmd.Env = append(os.Environ(), childBrokersEnv+"="+brokers, childDirEnv+"="+dir)
	logs := &logBuffer{}
	cmd.Stderr = logs
	// The helper exits when its stdin closes: a test binary that dies
	// leaves no system behind.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childSystem{cmd: cmd, exited: make(chan struct{})}
	base := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if b, ok := strings.CutPrefix(sc.Text(), "base="); ok {
				base <- b
			}
		}
		// Reading to EOF before Wait, as exec requires.
		_ = cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		stdin.Close()
		c.kill()
		if t.Failed() {
			t.Logf("last log lines of helper process %d:\n%s", cmd.Process.Pid, logs.tail(60))
		}
	})
	select {
	case c.base = <-base:
	case <-c.exited:
		t.Fatalf("helper system exited before serving: %v\n%s", cmd.ProcessState, logs.tail(60))
	case <-time.After(waitTimeout):
		t.Fatalf("helper system did not report its address within %v", waitTimeout)
	}
	return c
}

// failed reports a helper process that exited before it was killed.
func (c *childSystem) failed() error {
	select {
	case <-c.exited:
		return fmt.Errorf("helper system exited: %v", c.cmd.ProcessState)
	default:
		return nil
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (c *childSystem) kill() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Kill()
	<-c.exited
}

// TestHelperSystem is the process startChild starts and kills; it runs a
// system until its stdin closes.
func TestHelperSystem(t *testing.T) {
	brokers, dir := os.Getenv(childBrokersEnv), os.Getenv(childDirEnv)
	if brokers == "" || dir == "" {
		t.Skip("helper process of the tests that kill a system")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sys := newSystem(t, kafkaConfig(brokers), dir, logger)
	sys.start()
	os.Stdout.WriteString("base=" + sys.base + "\n")
	stdinClosed := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		close(stdinClosed)
	}()
	select {
	case <-stdinClosed:
	case <-sys.done:
		// The parent reads stderr (the log), not the test's output.
		logger.Error("system stopped on its own", "err", sys.err)
		t.Fatalf("system stopped on its own: %v", sys.err)
	case <-time.After(childLifetime - 10*time.Second):
	}
	sys.stop()
}
