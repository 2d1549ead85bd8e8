package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The scenarios of this file's kind (system.go's neighbours sysrate.go,
// catchup.go and demosoak.go) run the orderstream binary as a user deploys
// it: each command its own OS process, started with its public flags,
// watched through its HTTP endpoints and /proc. They depend on no internal
// topic, group or table name.

// Tuning values of the child processes.
const (
	// clockTicks is USER_HZ, the unit of utime and stime in
	// /proc/PID/stat: 100 on every Linux architecture Go supports
	// (getconf CLK_TCK).
	clockTicks = 100
	// procStopTimeout bounds a child's clean shutdown after SIGINT before
	// it is killed.
	procStopTimeout = 30 * time.Second
	// readyPoll is how often a child's /readyz is asked.
	readyPoll = 50 * time.Millisecond
)

// proc is a child process running a command of the orderstream binary,
// its output in a log file.
type proc struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // the exit status, once done is closed
	stopped bool  // stop was called: a non-zero exit is not a crash
}

// procs starts the children of one measurement and stops every one of
// them, in reverse order, however the measurement ends.
type procs struct {
	bin    string
	logDir string
	list   []*proc
}

func newProcs(bin, logDir string) *procs { return &procs{bin: bin, logDir: logDir} }

// start runs `orderstream args...` as a child named name; its stdout and
// stderr go to logDir/name.log. The child is killed if the bench dies
// (Pdeathsig), so none outlives it.
func (ps *procs) start(name string, args ...string) (*proc, error) {
	p := &proc{name: name, logPath: filepath.Join(ps.logDir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s log: %w", name, err)
	}
	p.cmd = exec.Command(ps.bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	ps.list = append(ps.list, p)
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// run runs `orderstream args...` to completion, as name.
func (ps *procs) run(ctx context.Context, name string, args ...string) error {
	p, err := ps.start(name, args...)
	if err != nil {
		return err
	}
	select {
	case <-p.done:
	case <-ctx.Done():
		return errors.Join(ctx.Err(), p.stop())
	}
	if p.err != nil {
		return fmt.Errorf("%s: %w%s", name, p.err, p.tail())
	}
	return nil
}

// pid is the child's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// childExited is the error of a child that ended while it should run:
// pollEvery gives up on it at once.
type childExited struct{ error }

// exited returns an error if the child has ended (it should not have).
func (p *proc) exited() error {
	select {
	case <-p.done:
		return childExited{fmt.Errorf("%s exited: %v%s", p.name, p.err, p.tail())}
	default:
		return nil
	}
}

// stop asks the child to shut down cleanly (SIGINT, as Ctrl-C), kills it
// after procStopTimeout, and returns its exit error, if any.
func (p *proc) stop() error {
	select {
	case <-p.done:
		if p.stopped || p.err == nil {
			return nil
		}
		return fmt.Errorf("%s had exited: %v%s", p.name, p.err, p.tail())
	default:
	}
	p.stopped = true
	_ = p.cmd.Process.Signal(os.Interrupt)
	t := time.NewTimer(procStopTimeout)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s did not stop within %v of SIGINT: killed", p.name, procStopTimeout)
	}
	if p.err != nil {
		return fmt.Errorf("%s stopped with %v%s", p.name, p.err, p.tail())
	}
	return nil
}

// tail is the last lines of the child's log, to explain a failure.
func (p *proc) tail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil || len(b) == 0 {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return "; last output:\n  " + strings.Join(lines[max(0, len(lines)-5):], "\n  ")
}

// stopAll stops every child still running, the last started first.
func (ps *procs) stopAll() error {
	var errs []error
	for _, p := range slices.Backward(ps.list) {
		errs = append(errs, p.stop())
	}
	return errors.Join(errs...)
}

// freeAddr returns a loopback address with a port free at the time of
// asking, for a child's listener.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// waitListening waits until something accepts connections at addr while
// p keeps running.
func waitListening(ctx context.Context, timeout time.Duration, p *proc, addr string) error {
	return waitFor(ctx, timeout, p.name+" to listen on "+addr, func(ctx context.Context) (bool, error) {
		if err := p.exited(); err != nil {
			return false, err
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false, nil
		}
		return true, c.Close()
	})
}

// waitReady polls GET http://addr/readyz until it answers 200, failing
// early if the child ends.
func waitReady(ctx context.Context, timeout time.Duration, p *proc, addr string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(timeout)
	for {
		if err := p.exited(); err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready on http://%s/readyz within %v", p.name, addr, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(readyPoll):
		}
	}
}

// procCPU is the user plus system time process pid has used so far, from
// /proc/PID/stat.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	d, err := statCPU(string(b))
	if err != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	return d, nil
}

// statCPU is utime + stime (fields 14 and 15, in clock ticks) of a
// /proc/PID/stat line.
func statCPU(s string) (time.Duration, error) {
	// The command name (field 2) is in parentheses and may hold spaces
	// and parentheses: the fields after it start at the last ')'.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("no command name")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields, want at least 15", len(f)+2)
	}
	var ticks int64
	for _, field := range f[11:13] {
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return 0, err
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// procMemory is VmRSS and VmHWM (the peak RSS) of process pid, in bytes.
func procMemory(pid int) (rss, hwm int64, err error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0, err
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
			return 0, 0, fmt.Errorf("/proc/%d/status %s: %w", pid, k, err)
		}
		if k == "VmRSS" {
			rss = kb << 10
		} else {
			hwm = kb << 10
		}
	}
	return rss, hwm, sc.Err()
}

// DirSize is the bytes of a directory's top-level entry: the apparent
// size of every file under it.
type DirSize struct {
	Name  string
	Bytes int64
}

// dirSizes sums the files under each top-level entry of dir, sorted by
// name.
func dirSizes(dir string) ([]DirSize, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []DirSize
	for _, e := range entries {
		var n int64
		err := filepath.WalkDir(filepath.Join(dir, e.Name()), func(_ string, d fs.DirEntry, err error) error {
			if err != nil {
				// A file removed while walking (a compaction, a LevelDB
				// merge) is simply not counted.
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.Type().IsRegular() {
				info, err := d.Info()
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				if err != nil {
					return err
				}
				n += info.Size()
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, DirSize{Name: e.Name(), Bytes: n})
	}
	return out, nil
}

// totalBytes sums sizes.
func totalBytes(sizes []DirSize) int64 {
	var n int64
	for _, s := range sizes {
		n += s.Bytes
	}
	return n
}

// pollEvery is waitFor with its own interval: done asks a child over HTTP,
// which costs the child CPU that is being measured.
func pollEvery(ctx context.Context, timeout, every time.Duration, what string, done func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		ok, err := done(ctx)
		if ok && err == nil {
			return nil
		}
		if errors.As(err, new(childExited)) {
			return err
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last != nil {
				return fmt.Errorf("waiting for %s: %w (last error: %v)", what, ctx.Err(), last)
			}
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(every):
		}
	}
}
