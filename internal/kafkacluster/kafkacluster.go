// Package kafkacluster runs a real Apache Kafka cluster on loopback: 1 or 3
// combined broker+controller nodes in KRaft mode, each a JVM started from
// the jars kafka/pom.xml fetches from Maven Central
// (`java -cp DIR/* kafka.Kafka server.properties`), with the settings the
// deploy manifests use. The tests, `orderstream bench --kafka` and
// `orderstream kafka-cluster` all start Kafka through it.
//
// A cluster can stop a node with SIGTERM (a controlled shutdown), kill it
// with SIGKILL and start it again on the same ports and log directory.
package kafkacluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Version is the Kafka release kafka/pom.xml fetches, and the one the
// deploy manifests run.
const Version = "4.4.0"

// ClasspathEnv names the directory holding the Kafka jars; without it the
// jars are looked for in kafka/lib of the repository the working directory
// is in.
const ClasspathEnv = "ORDERSTREAM_KAFKA_CLASSPATH"

// FetchHint says how to get the jars.
const FetchHint = "fetch Apache Kafka with `mvn -q -B -f kafka/pom.xml dependency:copy-dependencies -DoutputDirectory=kafka/lib` " +
	"(or run .ci/run), or point " + ClasspathEnv + " at a directory of its jars; Java 17 or later must be on PATH (or JAVA_HOME)"

// ErrNoKafka is returned when Java or the Kafka jars are missing.
var ErrNoKafka = errors.New("Apache Kafka is not available")

// Classpath returns the directory of the Kafka jars: $ORDERSTREAM_KAFKA_CLASSPATH,
// or kafka/lib in the working directory or one of its parents.
func Classpath() (string, error) {
	if dir := os.Getenv(ClasspathEnv); dir != "" {
		if hasBroker(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%w: %s=%s holds no kafka_2.13-%s.jar; %s", ErrNoKafka, ClasspathEnv, dir, Version, FetchHint)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if lib := filepath.Join(dir, "kafka", "lib"); hasBroker(lib) {
			return lib, nil
		}
		if filepath.Dir(dir) == dir {
			return "", fmt.Errorf("%w: no kafka/lib with kafka_2.13-%s.jar above %s; %s", ErrNoKafka, Version, wd, FetchHint)
		}
	}
}

func hasBroker(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "kafka_2.13-"+Version+".jar"))
	return err == nil
}

// Java returns the java binary: $JAVA_HOME/bin/java or java on PATH.
func Java() (string, error) {
	if home := os.Getenv("JAVA_HOME"); home != "" {
		if j := filepath.Join(home, "bin", "java"); isFile(j) {
			return j, nil
		}
	}
	j, err := exec.LookPath("java")
	if err != nil {
		return "", fmt.Errorf("%w: no java on PATH; %s", ErrNoKafka, FetchHint)
	}
	return j, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// Available reports whether Java and the jars are there, and if not why.
// Missing jars are fetched with Maven where it can (Fetch).
func Available() error {
	if _, err := Java(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
	defer cancel()
	_, err := Fetch(ctx)
	return err
}

// fetchTimeout bounds Maven's fetch of the jars: a minute on a cold local
// repository, seconds on a warm one.
const fetchTimeout = 10 * time.Minute

// SCRAMUser is a SCRAM credential created when the storage is formatted.
type SCRAMUser struct {
	Mechanism string // SCRAM-SHA-256 or SCRAM-SHA-512
	Name      string
	Password  string
}

// Config is a cluster to start.
type Config struct {
	// Nodes is 1 or 3 (combined broker+controller each). With 3, topics
	// are replicated 3 times with min.insync.replicas 2, as in production.
	Nodes int
	// DataDir holds each node's configuration, log directory and log
	// (node-N/). An existing formatted directory is reused: the cluster
	// comes back with its topics and records.
	DataDir string
	// Heap is the -Xmx of every node (default 512m).
	Heap string
	// Secure adds a SASL_SSL listener for the clients (Bootstrap then
	// names it), with the users' SCRAM credentials and the PEM key and
	// certificate chain in KeyPEMFile (PKCS#8 key first, then the
	// certificates). Brokers talk to each other in plain text.
	Secure     bool
	Users      []SCRAMUser
	KeyPEMFile string
	// Extra broker properties, appended last (they win).
	Extra map[string]string
	// Log, if set, receives one line per event (node started, stopped).
	Log func(format string, args ...any)
}

// Cluster is a running (or partly stopped) cluster.
type Cluster struct {
	cfg       Config
	java, cp  string
	clusterID string
	nodes     []*node
}

type node struct {
	id                          int
	dir                         string
	client, secure, ctrl, inter string // listener addresses
	mu                          sync.Mutex
	cmd                         *exec.Cmd
	exited                      chan struct{}
}

// Start formats the storage of every node (unless DataDir already holds a
// formatted cluster), starts them and waits until the cluster is ready.
// Missing jars are fetched first (Fetch).
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	if cfg.Nodes != 1 && cfg.Nodes != 3 {
		return nil, fmt.Errorf("kafkacluster: %d nodes: want 1 or 3", cfg.Nodes)
	}
	if cfg.Heap == "" {
		cfg.Heap = "512m"
	}
	if cfg.Log == nil {
		cfg.Log = func(string, ...any) {}
	}
	java, err := Java()
	if err != nil {
		return nil, err
	}
	cp, err := Fetch(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	c := &Cluster{cfg: cfg, java: java, cp: cp}
	if err := c.layout(); err != nil {
		return nil, err
	}
	// Formatting starts a JVM per node: in parallel.
	errs := make([]error, len(c.nodes))
	var wg sync.WaitGroup
	for i, n := range c.nodes {
		if errs[i] = c.writeConfig(n); errs[i] != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = c.format(ctx, n)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		if err := c.startNode(n); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitReady(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// layout picks the ports and cluster id, or reads them back from a data
// directory a cluster ran in before, so that it restarts where clients
// expect it.
func (c *Cluster) layout() error {
	state := filepath.Join(c.cfg.DataDir, "cluster.txt")
	if data, err := os.ReadFile(state); err == nil {
		lines := strings.Fields(string(data))
		if len(lines) != 1+4*c.cfg.Nodes {
			return fmt.Errorf("kafkacluster: %s is for another cluster size", state)
		}
		c.clusterID = lines[0]
		for i := range c.cfg.Nodes {
			a := lines[1+4*i:]
			c.nodes = append(c.nodes, &node{id: i + 1, dir: c.nodeDir(i + 1), client: a[0], secure: a[1], ctrl: a[2], inter: a[3]})
		}
		return nil
	}
	id, err := c.run(context.Background(), "kafka.tools.StorageTool", "random-uuid")
	if err != nil {
		return err
	}
	c.clusterID = strings.TrimSpace(id)
	out := []string{c.clusterID}
	for i := range c.cfg.Nodes {
		ports, err := freePorts(4)
		if err != nil {
			return err
		}
		n := &node{id: i + 1, dir: c.nodeDir(i + 1), client: ports[0], secure: ports[1], ctrl: ports[2], inter: ports[3]}
		c.nodes = append(c.nodes, n)
		out = append(out, n.client, n.secure, n.ctrl, n.inter)
	}
	return os.WriteFile(state, []byte(strings.Join(out, "\n")+"\n"), 0o644)
}

func (c *Cluster) nodeDir(id int) string {
	return filepath.Join(c.cfg.DataDir, "node-"+strconv.Itoa(id))
}

// freePorts returns n loopback addresses whose ports were free a moment ago.
func freePorts(n int) ([]string, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	return out, nil
}

// properties returns the broker configuration of node n.
func (c *Cluster) properties(n *node) map[string]string {
	nodes := c.cfg.Nodes
	minISR := "1"
	if nodes >= 3 {
		minISR = "2"
	}
	var voters []string
	for _, o := range c.nodes {
		voters = append(voters, fmt.Sprintf("%d@%s", o.id, o.ctrl))
	}
	rf := strconv.Itoa(nodes)
	p := map[string]string{
		"process.roles":                                    "broker,controller",
		"node.id":                                          strconv.Itoa(n.id),
		"controller.quorum.voters":                         strings.Join(voters, ","),
		"controller.listener.names":                        "CONTROLLER",
		"inter.broker.listener.name":                       "INTERNAL",
		"listeners":                                        "PLAINTEXT://" + n.client + ",CONTROLLER://" + n.ctrl + ",INTERNAL://" + n.inter,
		"advertised.listeners":                             "PLAINTEXT://" + n.client + ",INTERNAL://" + n.inter,
		"listener.security.protocol.map":                   "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,INTERNAL:PLAINTEXT,SASL_SSL:SASL_SSL",
		"log.dirs":                                         filepath.Join(n.dir, "data"),
		"num.partitions":                                   "3",
		"default.replication.factor":                       rf,
		"min.insync.replicas":                              minISR,
		"auto.create.topics.enable":                        "false",
		"offsets.topic.replication.factor":                 rf,
		"offsets.topic.num.partitions":                     "3",
		"transaction.state.log.replication.factor":         rf,
		"transaction.state.log.min.isr":                    minISR,
		"transaction.state.log.num.partitions":             "3",
		"share.coordinator.state.topic.replication.factor": rf,
		"share.coordinator.state.topic.min.isr":            minISR,
		"group.initial.rebalance.delay.ms":                 "0",
		// Small and quick on a shared machine: fewer threads, and a node
		// that stops does so within seconds.
		"num.network.threads":            "2",
		"num.io.threads":                 "2",
		"num.replica.fetchers":           "1",
		"background.threads":             "2",
		"log.cleaner.threads":            "1",
		"controlled.shutdown.enable":     "true",
		"unclean.leader.election.enable": "false",
		"log.cleaner.dedupe.buffer.size": "8388608",
		"replica.lag.time.max.ms":        "10000",
	}
	if c.cfg.Secure {
		p["listeners"] += ",SASL_SSL://" + n.secure
		p["advertised.listeners"] += ",SASL_SSL://" + n.secure
		p["sasl.enabled.mechanisms"] = "SCRAM-SHA-256,SCRAM-SHA-512"
		for _, m := range []string{"scram-sha-256", "scram-sha-512"} {
			p["listener.name.sasl_ssl."+m+".sasl.jaas.config"] = "org.apache.kafka.common.security.scram.ScramLoginModule required;"
		}
		p["ssl.keystore.type"] = "PEM"
		p["ssl.keystore.location"] = c.cfg.KeyPEMFile
		p["ssl.client.auth"] = "none"
	}
	for k, v := range c.cfg.Extra {
		p[k] = v
	}
	return p
}

func (c *Cluster) writeConfig(n *node) error {
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return err
	}
	p := c.properties(n)
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		// Properties files treat a backslash as an escape.
		fmt.Fprintf(&b, "%s=%s\n", k, strings.ReplaceAll(p[k], `\`, `\\`))
	}
	if err := os.WriteFile(filepath.Join(n.dir, "server.properties"), b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(n.dir, "log4j2.properties"), []byte(log4j2), 0o644)
}

// log4j2 sends the broker's INFO lines to standard output (node-N/kafka.log);
// the chatty request and controller loggers only warn.
const log4j2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = warn
logger.state.name = state.change.logger
logger.state.level = warn
logger.cleaner.name = kafka.log.LogCleaner
logger.cleaner.level = warn
`

// format formats a node's storage unless it was formatted before.
func (c *Cluster) format(ctx context.Context, n *node) error {
	if isFile(filepath.Join(n.dir, "data", "meta.properties")) {
		return nil
	}
	args := []string{"format", "-t", c.clusterID, "-c", filepath.Join(n.dir, "server.properties"), "--ignore-formatted"}
	for _, u := range c.cfg.Users {
		args = append(args, "--add-scram", fmt.Sprintf("%s=[name=%s,password=%s]", u.Mechanism, u.Name, u.Password))
	}
	if _, err := c.run(ctx, "kafka.tools.StorageTool", args...); err != nil {
		return fmt.Errorf("format node %d: %w", n.id, err)
	}
	return nil
}

// jvmArgs are the options of every JVM this package starts: a small heap
// and quick start-up, since the machines running the tests are small.
func (c *Cluster) jvmArgs(heap string) []string {
	return []string{"-Xmx" + heap, "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Xss512k", "-Djava.awt.headless=true", "-cp", filepath.Join(c.cp, "*")}
}

// run runs a tool class to completion and returns its standard output.
func (c *Cluster) run(ctx context.Context, class string, args ...string) (string, error) {
	cmd := c.Command(ctx, class, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s%s", class, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String(), nil
}

// Command returns a command running main class class of the Kafka jars
// (a tool such as org.apache.kafka.tools.TopicCommand) with args.
func (c *Cluster) Command(ctx context.Context, class string, args ...string) *exec.Cmd {
	return ToolCommand(ctx, c.java, c.cp, class, args...)
}

// ToolCommand is Command without a cluster: java and cp as Java and
// Classpath return them.
func ToolCommand(ctx context.Context, java, cp, class string, args ...string) *exec.Cmd {
	jvm := []string{"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
		"-Dlog4j2.level=warn", "-cp", filepath.Join(cp, "*"), class}
	cmd := exec.CommandContext(ctx, java, append(jvm, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (c *Cluster) startNode(n *node) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd != nil {
		return fmt.Errorf("node %d already running", n.id)
	}
	logf, err := os.OpenFile(filepath.Join(n.dir, "kafka.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	args := append(c.jvmArgs(c.cfg.Heap), "-Dlog4j2.configurationFile="+filepath.Join(n.dir, "log4j2.properties"),
		"kafka.Kafka", filepath.Join(n.dir, "server.properties"))
	cmd := exec.Command(c.java, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a Ctrl-C at the terminal reaches the command
	// that started the cluster, which stops the nodes in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	n.cmd, n.exited = cmd, exited
	c.cfg.Log("kafka node %d started (pid %d), clients at %s", n.id, cmd.Process.Pid, n.client)
	return nil
}

// Bootstrap returns the client addresses of every node: the SASL_SSL
// listener's with Secure, else the plain-text one's.
func (c *Cluster) Bootstrap() []string {
	var out []string
	for _, n := range c.nodes {
		if c.cfg.Secure {
			out = append(out, n.secure)
		} else {
			out = append(out, n.client)
		}
	}
	return out
}

// PlainBootstrap returns the plain-text client addresses of every node.
func (c *Cluster) PlainBootstrap() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.client)
	}
	return out
}

// Nodes returns the number of nodes.
func (c *Cluster) Nodes() int { return len(c.nodes) }

// Classpath returns the directory of the jars the cluster runs.
func (c *Cluster) Classpath() string { return c.cp }

// LogFile returns the log of node id (1-based).
func (c *Cluster) LogFile(id int) string { return filepath.Join(c.nodeDir(id), "kafka.log") }

// PID returns the process id of node id, 0 if it is not running.
func (c *Cluster) PID(id int) int {
	n := c.nodes[id-1]
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return 0
	}
	return n.cmd.Process.Pid
}

// Stop stops node id (1-based) with SIGTERM, a controlled shutdown that
// moves its leaderships away first, and waits for it to exit (SIGKILL
// after timeout).
func (c *Cluster) Stop(id int, timeout time.Duration) error {
	return c.signal(id, syscall.SIGTERM, timeout)
}

// Kill kills node id with SIGKILL and waits until it is gone.
func (c *Cluster) Kill(id int) error { return c.signal(id, syscall.SIGKILL, time.Minute) }

func (c *Cluster) signal(id int, sig syscall.Signal, timeout time.Duration) error {
	n := c.nodes[id-1]
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	var err error
	select {
	case <-exited:
	case <-time.After(timeout):
		_ = cmd.Process.Kill()
		<-exited
		err = fmt.Errorf("kafka node %d did not stop within %v of %v; killed", id, timeout, sig)
	}
	n.mu.Lock()
	n.cmd, n.exited = nil, nil
	n.mu.Unlock()
	c.cfg.Log("kafka node %d stopped with %v", id, sig)
	return err
}

// Restart starts node id again (after Stop or Kill) on its ports and log
// directory; it does not wait for it to rejoin (WaitReady does).
func (c *Cluster) Restart(id int) error { return c.startNode(c.nodes[id-1]) }

// Running reports whether node id is running.
func (c *Cluster) Running(id int) bool {
	n := c.nodes[id-1]
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// Close stops every node with SIGTERM, all at once (a node stopping alone
// would wait for the others to take its leaderships), and kills those still
// running after closeGrace. That is not an error: a node's controlled
// shutdown needs the controller quorum, and when the whole cluster stops,
// the last node can be left waiting for a quorum that has already gone.
// Kafka's own answer is the same dirty shutdown (KAFKA-13907); its logs
// recover on the next start.
func (c *Cluster) Close() error {
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Stop(i+1, closeGrace); err != nil {
				c.cfg.Log("%v (its controlled shutdown waits for a controller quorum that stopped with it)", err)
			}
		}()
	}
	wg.Wait()
	return nil
}

// closeGrace is how long Close waits for a node's controlled shutdown.
const closeGrace = 20 * time.Second

// ClientConfig returns the configuration of orderstream's clients of the
// cluster: replication as the cluster's size allows.
func (c *Cluster) ClientConfig(clientID string) kafkaconf.Config {
	return kafkaconf.Config{Brokers: c.Bootstrap(), Partitions: 3, Replication: c.cfg.Nodes, ClientID: clientID}
}

// WaitReady waits until every running node answers metadata listing every
// running node, and the controller quorum has a leader.
func (c *Cluster) WaitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	var last error
	for {
		if last = c.ready(ctx); last == nil {
			return nil
		}
		for _, n := range c.nodes {
			n.mu.Lock()
			exited := n.exited
			n.mu.Unlock()
			if exited == nil {
				continue
			}
			select {
			case <-exited:
				return fmt.Errorf("kafka node %d exited while starting; see %s", n.id, c.LogFile(n.id))
			default:
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kafka cluster not ready: %v (logs in %s)", last, c.cfg.DataDir)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *Cluster) ready(ctx context.Context) error {
	var want []int32
	var seeds []string
	for _, n := range c.nodes {
		if c.Running(n.id) {
			want = append(want, int32(n.id))
			seeds = append(seeds, n.client)
		}
	}
	for _, seed := range seeds {
		cl, err := kgo.NewClient(kgo.SeedBrokers(seed), kgo.ClientID("kafkacluster"), kgo.DisableClientMetrics())
		if err != nil {
			return err
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		md, err := kadm.NewClient(cl).BrokerMetadata(rctx)
		cancel()
		cl.Close()
		if err != nil {
			return fmt.Errorf("%s: %v", seed, err)
		}
		got := map[int32]bool{}
		for _, b := range md.Brokers {
			got[b.NodeID] = true
		}
		for _, id := range want {
			if !got[id] {
				return fmt.Errorf("%s lists brokers %v, not yet %d", seed, md.Brokers.NodeIDs(), id)
			}
		}
		if md.Controller < 0 {
			return fmt.Errorf("%s knows no controller yet", seed)
		}
	}
	return nil
}
