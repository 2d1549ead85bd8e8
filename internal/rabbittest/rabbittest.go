// Package rabbittest starts a RabbitMQ node of its own for a test: Debian's
// rabbitmq-server on free loopback ports, with a data directory in the
// test's temporary directory, independent of any system node, stopped when
// the test ends.
package rabbittest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Tuning values.
const (
	// StartTimeout bounds a node's boot; a loaded machine takes tens of
	// seconds.
	StartTimeout = 3 * time.Minute
	// StopTimeout bounds a graceful stop before the node is killed.
	StopTimeout = time.Minute
)

// serverPaths are where rabbitmq-server is looked for. Debian's
// /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq
// user and its data directory; the script behind it runs a node as
// anyone, with the environment it is given.
var serverPaths = []string{"/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/lib/rabbitmq/sbin/rabbitmq-server"}

// Node is a RabbitMQ node of one test.
type Node struct {
	// URL is the AMQP URL of the node (user guest).
	URL string
	// Name is the Erlang node name, for rabbitmqctl -n.
	Name string
	// Dir holds the node's data, logs and Erlang cookie.
	Dir string

	server, ctl string
	env         []string
	port        int

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	console *bytes.Buffer
}

// Start starts a node and waits until it accepts AMQP connections. The
// node is stopped when the test ends. Without rabbitmq-server the test is
// skipped, or fails when CI=true.
func Start(t testing.TB) *Node {
	t.Helper()
	server := find()
	if server == "" {
		msg := "rabbitmq-server not found: install it (Debian/Ubuntu: apt-get install rabbitmq-server) or set RABBITMQ_SERVER to its path"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	suffix := make([]byte, 4)
	rand.Read(suffix)
	n := &Node{
		Name:   "rabbit-test-" + hex.EncodeToString(suffix) + "@localhost",
		Dir:    dir,
		server: server,
		ctl:    filepath.Join(filepath.Dir(server), "rabbitmqctl"),
		port:   freePort(t),
	}
	n.URL = fmt.Sprintf("amqp://guest:guest@127.0.0.1:%d/", n.port)
	for name, content := range map[string]string{
		"enabled_plugins": "[].\n",
		"rabbitmq.conf":   "# a test node: the defaults, and the environment of rabbittest\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n.env = append(os.Environ(),
		"HOME="+dir, // the Erlang cookie of the node and of rabbitmqctl
		"RABBITMQ_NODENAME="+n.Name,
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT="+strconv.Itoa(n.port),
		"RABBITMQ_DIST_PORT="+strconv.Itoa(freePort(t)),
		"RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}",
		"RABBITMQ_BASE="+dir,
		"RABBITMQ_MNESIA_BASE="+filepath.Join(dir, "mnesia"),
		"RABBITMQ_LOG_BASE="+filepath.Join(dir, "log"),
		"RABBITMQ_PID_FILE="+filepath.Join(dir, "rabbit.pid"),
		"RABBITMQ_CONFIG_FILE="+filepath.Join(dir, "rabbitmq.conf"),
		"RABBITMQ_ENABLED_PLUGINS_FILE="+filepath.Join(dir, "enabled_plugins"),
	)
	t.Cleanup(func() {
		if err := n.stop(); err != nil {
			t.Errorf("stop RabbitMQ node %s: %v", n.Name, err)
		}
	})
	n.Start(t)
	return n
}

// find returns the path of the rabbitmq-server script, or "".
func find() string {
	if p := os.Getenv("RABBITMQ_SERVER"); p != "" {
		return p
	}
	for _, p := range serverPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("rabbitmq-server"); err == nil {
		return p
	}
	return ""
}

// Start starts the node again after Stop, with its data.
func (n *Node) Start(t testing.TB) {
	t.Helper()
	n.mu.Lock()
	cmd := exec.Command(n.server)
	cmd.Env, cmd.Dir = n.env, n.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the script and its Erlang VM
	n.console = &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &syncWriter{w: n.console, mu: &n.mu}, &syncWriter{w: n.console, mu: &n.mu}
	if err := cmd.Start(); err != nil {
		n.mu.Unlock()
		t.Fatalf("start rabbitmq-server: %v", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	n.cmd, n.exited = cmd, exited
	n.mu.Unlock()

	deadline := time.Now().Add(StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("rabbitmq-server exited while starting:\n%s", n.Console())
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("RabbitMQ node %s did not listen within %v:\n%s", n.Name, StartTimeout, n.Console())
		}
	}
	if out, err := n.Ctl("await_startup", "--timeout", strconv.Itoa(int(StartTimeout.Seconds()))); err != nil {
		t.Fatalf("rabbitmqctl await_startup: %v\n%s", err, out)
	}
}

// Stop stops the node gracefully (rabbitmqctl stop), killing it if that
// fails, and waits until it is gone. Its data stays for Start.
func (n *Node) Stop(t testing.TB) {
	t.Helper()
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
}

func (n *Node) stop() error {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		n.kill(cmd)
		return nil
	default:
	}
	var err error
	if out, e := n.Ctl("stop"); e != nil {
		err = fmt.Errorf("rabbitmqctl stop: %w\n%s", e, out)
	}
	select {
	case <-exited:
	case <-time.After(StopTimeout):
		err = fmt.Errorf("node %s did not stop within %v", n.Name, StopTimeout)
	}
	n.kill(cmd)
	<-exited
	return err
}

// kill kills what is left of the node's process group.
func (n *Node) kill(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

// VHost creates a virtual host of its own for a test sharing the node,
// and returns its URL.
func (n *Node) VHost(t testing.TB, name string) string {
	t.Helper()
	if out, err := n.Ctl("add_vhost", name); err != nil {
		t.Fatalf("rabbitmqctl add_vhost %s: %v\n%s", name, err, out)
	}
	if out, err := n.Ctl("set_permissions", "-p", name, "guest", ".*", ".*", ".*"); err != nil {
		t.Fatalf("rabbitmqctl set_permissions: %v\n%s", err, out)
	}
	return n.URL + name
}

// Ctl runs rabbitmqctl on the node.
func (n *Node) Ctl(args ...string) ([]byte, error) {
	cmd := exec.Command(n.ctl, append([]string{"-n", n.Name}, args...)...)
	cmd.Env, cmd.Dir = n.env, n.Dir
	return cmd.CombinedOutput()
}

// Console is what the node wrote to its standard output and error.
func (n *Node) Console() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.console.String()
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type syncWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
