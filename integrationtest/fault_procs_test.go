package integrationtest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// buildOrderstream builds the orderstream command into dir and returns
// its path: the fault tests run the system as separate processes, the way
// it is deployed, so that they can kill any of them with SIGKILL.
func buildOrderstream(t *testing.T, dir string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(dir, "orderstream")
	start := time.Now()
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/orderstream/orderstream/cmd/orderstream").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built orderstream in %v", time.Since(start).Round(time.Millisecond))
	return bin
}

// osProc is one orderstream process the test starts, kills and starts
// again with the same arguments. Its standard error, across all its runs,
// goes to a file in the test's directory; the tail is shown when the test
// fails.
type osProc struct {
	t    *testing.T
	name string
	bin  string
	args []string
	log  string // path of the log file

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	lines   chan string // standard output, line by line, of the current run
	starts  int
	crashes int // runs that ended without being killed
	killing bool
	// Of the last run: when it started and exited.
	started, exitedAt time.Time
}

func newProc(t *testing.T, bin, dir, name string, args ...string) *osProc {
	p := &osProc{t: t, name: name, bin: bin, args: args, log: filepath.Join(dir, name+".log")}
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("last log lines of %s:\n%s", name, tailFile(p.log, 40))
		}
	})
	return p
}

// start runs the process; it must not be running.
func (p *osProc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.starts++
	fmt.Fprintf(f, "=== start %d of %s %s\n", p.starts, p.name, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stderr = f
	// Killed with the test binary, should it die first.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		p.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		f.Close()
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	exited, lines := make(chan struct{}), make(chan string, 64)
	p.cmd, p.exited, p.lines, p.killing, p.started = cmd, exited, lines, false, time.Now()
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads: drop
			}
		}
		err := cmd.Wait()
		f.Close()
		p.mu.Lock()
		p.exitedAt = time.Now()
		if !p.killing {
			p.crashes++
			p.t.Logf("%s exited on its own after %v: %v", p.name, p.exitedAt.Sub(p.started).Round(time.Millisecond), err)
		}
		p.mu.Unlock()
		close(exited)
	}()
}

// running reports whether the process is running.
func (p *osProc) running() bool {
	p.mu.Lock()
	exited := p.exited
	p.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// kill sends sig and waits until the process has exited.
func (p *osProc) kill(sig syscall.Signal) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.killing = true
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		p.t.Logf("%s ignored %v for 30s; killing it", p.name, sig)
		_ = cmd.Process.Kill()
		<-exited
	}
}

// signal sends sig to the running process (SIGSTOP, SIGCONT), which
// does not end it.
func (p *osProc) signal(sig syscall.Signal) {
	p.t.Helper()
	p.mu.Lock()
	cmd := p.cmd
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if err := cmd.Process.Signal(sig); err != nil {
		p.t.Errorf("%s: signal %v: %v", p.name, sig, err)
	}
}

// crashCount is how many runs ended without being killed.
func (p *osProc) crashCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.crashes
}

// waitLine returns the first line of the current run's standard output
// that starts with prefix, without the prefix.
func (p *osProc) waitLine(prefix string, timeout time.Duration) string {
	p.t.Helper()
	p.mu.Lock()
	lines, exited := p.lines, p.exited
	p.mu.Unlock()
	deadline := time.After(timeout)
	for {
		select {
		case l := <-lines:
			if rest, ok := strings.CutPrefix(l, prefix); ok {
				return rest
			}
		case <-exited:
			p.t.Fatalf("%s exited before printing %q\n%s", p.name, prefix, tailFile(p.log, 30))
		case <-deadline:
			p.t.Fatalf("%s did not print %q within %v", p.name, prefix, timeout)
		}
	}
}

// waitLog waits until the log file of p contains s.
func (p *osProc) waitLog(s string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		data, _ := os.ReadFile(p.log)
		if bytes.Contains(data, []byte(s)) {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not log %q within %v\n%s", p.name, s, timeout, tailFile(p.log, 30))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// tailFile returns the last n lines of the file at path.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	data, _ := io.ReadAll(f)
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
