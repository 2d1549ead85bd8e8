// Package broker runs an embedded, single-node Kafka-protocol broker
// (franz-go's kfake) configured the way orderstream needs it: one broker
// advertised at its listen address, no automatic topic creation, state on
// disk across restarts, and table topics compacted every few seconds rather
// than every hour.
package broker

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// DefaultCompactInterval is how often compacted topics are cleaned when
// Config.CompactInterval is zero. Kafka's default (log.cleaner.backoff.ms,
// an hour) lets a goka table topic grow with every update between runs,
// and a processor recovering its table reads all of it.
const DefaultCompactInterval = 30 * time.Second

// DefaultListen is the address Start listens on when Config.Listen is
// empty: a free port on the loopback interface, as tests want.
const DefaultListen = "127.0.0.1:0"

// Config configures the broker.
type Config struct {
	// Listen is the host:port to listen on; port 0 picks a free port. The
	// broker advertises this host in metadata, so clients must be able to
	// reach it under this name. An unspecified host (":9092", "0.0.0.0")
	// is advertised as the machine's host name, as Kafka does.
	Listen string
	// DataDir keeps the log, topic configuration and committed offsets
	// across restarts; empty keeps everything in memory.
	DataDir string
	// CompactInterval is how often compacted topics are cleaned; zero means
	// DefaultCompactInterval.
	CompactInterval time.Duration
	// Logger receives the broker's warnings and errors (its per-request
	// chatter at debug level); nil discards them.
	Logger *slog.Logger
	// SASL, when not empty, makes every client authenticate as one of
	// these users, each of whom may do everything. With a DataDir, they
	// replace the users of the previous run.
	SASL []User
	// TLS, when not nil, serves TLS only, with this configuration; its
	// certificate must be valid for the advertised host.
	TLS *tls.Config
}

// Validate reports the first thing wrong with c.
func (c Config) Validate() error {
	if c.Listen != "" {
		if _, port, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("listen address %q: %w", c.Listen, err)
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			return fmt.Errorf("listen address %q: bad port %q", c.Listen, port)
		}
	}
	// kfake counts the interval in whole milliseconds.
	if c.CompactInterval != 0 && c.CompactInterval < time.Millisecond {
		return fmt.Errorf("compact interval %v: want at least 1ms", c.CompactInterval)
	}
	if err := validateUsers(c.SASL); err != nil {
		return err
	}
	if t := c.TLS; t != nil && len(t.Certificates) == 0 && t.GetCertificate == nil && t.GetConfigForClient == nil {
		return errors.New("TLS configuration without a certificate")
	}
	return nil
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	addr    string
	dataDir string
	logger  *slog.Logger

	saveErrs    *errorRecorder
	stopCompact chan struct{}
	compactDone chan struct{}
	// self is the broker's own client, with which the reaper removes
	// group members that died unnoticed (see reaper.go).
	self        *kgo.Client
	stopReaping context.CancelFunc
	reapDone    chan struct{}
	closeOnce   sync.Once
	closeErr    error
}

// Start validates cfg, opens the listener, loads any state in cfg.DataDir
// and starts serving.
func Start(cfg Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	listen := cfg.Listen
	if listen == "" {
		listen = DefaultListen
	}
	interval := cfg.CompactInterval
	if interval == 0 {
		interval = DefaultCompactInterval
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", listen, err)
	}
	addr, err := advertiseAddr(listen, ln.Addr())
	if err != nil {
		ln.Close()
		return nil, err
	}
	// kfake listens on 127.0.0.1 only and advertises whatever its
	// listener's Addr says; hand it our listener, reporting the address
	// clients should dial.
	aln := &advertisedListener{Listener: ln, addr: addr, tls: cfg.TLS, answerAuth: len(cfg.SASL) > 0}
	pln := newPipeListener(aln)
	listenFn := func(string, string) (net.Listener, error) { return pln, nil }
	saveErrs := &errorRecorder{}

	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(listenFn),
		kfake.DefaultNumPartitions(kafkaconf.DefaultPartitions),
		kfake.WithLogger(slogLogger{l: logger, errs: saveErrs}),
		kfake.MaxVersions(advertised()),
		// kfake's own cleaner would compact without the journal
		// (journal.go): compactLoop is the only cleaner.
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": strconv.FormatInt(neverMs, 10),
		}),
	}
	// Without SyncWrites every produced batch is written to the segment
	// file (the OS page cache) before it is acknowledged, and fsynced on
	// segment roll and Close: a killed process loses nothing acknowledged,
	// a crashed machine may lose what the kernel had not flushed yet. That
	// is Kafka's default, and per-batch fsync would bound every processor
	// hop by disk latency.
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir))
		// The users are cfg.SASL, not those of a previous run.
		if err := removeUsers(cfg.DataDir); err != nil {
			ln.Close()
			return nil, err
		}
		if err := recoverCompaction(cfg.DataDir, logger); err != nil {
			ln.Close()
			return nil, fmt.Errorf("recover from an interrupted compaction in %s: %w", cfg.DataDir, err)
		}
	}
	if len(cfg.SASL) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range cfg.SASL {
			opts = append(opts, kfake.Superuser(u.Mechanism, u.User, u.Password))
		}
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("start broker on %s: %w", listen, err)
	}
	self, err := selfClient(addr, pln, cfg.SASL)
	if err != nil {
		cluster.Close()
		return nil, fmt.Errorf("start broker on %s: %w", listen, err)
	}
	reapCtx, stopReaping := context.WithCancel(context.Background())
	b := &Broker{
		cluster:     cluster,
		addr:        addr,
		dataDir:     cfg.DataDir,
		logger:      logger,
		saveErrs:    saveErrs,
		stopCompact: make(chan struct{}),
		compactDone: make(chan struct{}),
		self:        self,
		stopReaping: stopReaping,
		reapDone:    make(chan struct{}),
	}
	go b.compactLoop(interval)
	reaper := newReaper(cluster, logger)
	go func() {
		defer close(b.reapDone)
		reaper.run(reapCtx, self)
	}()
	return b, nil
}

// Addr returns the host:port the broker listens on, as advertised to
// clients in metadata.
func (b *Broker) Addr() string { return b.addr }

// Close stops serving and, with a DataDir, saves all state to disk,
// reporting what could not be saved. It is safe to call more than once.
func (b *Broker) Close() error {
	b.closeOnce.Do(func() {
		// The compaction loop talks to the cluster's run loop, which is
		// gone once the cluster is closed: stop it first.
		close(b.stopCompact)
		<-b.compactDone
		b.stopReaping()
		<-b.reapDone
		b.self.Close()
		b.saveErrs.start()
		b.cluster.Close()
		if err := b.saveErrs.stop(); err != nil {
			b.closeErr = fmt.Errorf("save broker state: %w", err)
		}
		if b.dataDir != "" {
			b.closeErr = errors.Join(b.closeErr, removeUsers(b.dataDir))
		}
	})
	return b.closeErr
}

// Run blocks until ctx is done, then closes the broker. It returns nil on
// a clean shutdown, so it fits an errgroup next to other components.
func (b *Broker) Run(ctx context.Context) error {
	<-ctx.Done()
	return b.Close()
}

// neverMs is kfake's cleaner interval: a hundred years, in milliseconds.
const neverMs = 100 * 365 * 24 * 3600 * 1000

// compactLoop compacts all compacted topics, and applies retention, every
// interval. It is the broker's only cleaner: kfake's own would compact
// without the journal, and it only starts when a topic is created, deleted
// or reconfigured, not after state is loaded from disk.
func (b *Broker) compactLoop(interval time.Duration) {
	defer close(b.compactDone)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stopCompact:
			return
		case <-t.C:
			b.compact()
		}
	}
}

// compact runs one compaction, with a DataDir inside the journal that
// makes it safe to kill the broker meanwhile (journal.go). Without a
// journal there is no compaction: a broker may be killed at any time.
func (b *Broker) compact() {
	if b.dataDir == "" {
		b.cluster.Compact()
		return
	}
	if err := writeJournal(b.dataDir); err != nil {
		b.logger.Error("compaction skipped: cannot journal it", "err", err)
		return
	}
	b.cluster.Compact()
	if err := removeJournal(b.dataDir); err != nil {
		b.logger.Error("remove the compaction journal", "err", err)
	}
}

// advertised is what the broker answers ApiVersions with: what kfake
// implements of Kafka's stable versions (its default features), less
// DescribeTopicPartitions (key 75). kfake answers that with a null list of
// eligible leader replicas, where Kafka sends an empty one, and Kafka's
// admin client (kafka-topics --describe, GetOffsetShell) fails on it with a
// NullPointerException; without the key it describes topics through
// Metadata, as it does with brokers before 3.8.
func advertised() *kversion.Versions {
	v := kversion.Stable()
	v.SetMaxKeyVersion(kmsg.DescribeTopicPartitions.Int16(), -1)
	return v
}
