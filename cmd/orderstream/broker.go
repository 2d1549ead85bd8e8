package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

func init() {
	register("broker", "run the embedded Kafka-protocol broker", setupBroker)
}

type brokerConfig struct {
	listen          string
	dataDir         string
	compactInterval time.Duration
	users           saslUsers
	tlsCert         string
	tlsKey          string
}

func setupBroker(fs *flag.FlagSet) func(context.Context, *env) error {
	c := &brokerConfig{}
	fs.StringVar(&c.listen, "listen", "127.0.0.1:9092", "host:port to listen on and advertise to clients (port 0 picks a free port)")
	fs.StringVar(&c.dataDir, "data-dir", "", "directory keeping topics, records and committed offsets across restarts (empty = in memory)")
	fs.DurationVar(&c.compactInterval, "compact-interval", broker.DefaultCompactInterval, "how often table (compacted) topics are cleaned")
	fs.Var(&c.users, "sasl-user", "`user:password` that clients must log in as, with any of "+strings.Join(kafkaconf.Mechanisms, ", ")+"; repeat the flag or separate users with commas (so passwords cannot contain commas). "+
		"Prefer the environment variable ORDERSTREAM_SASL_USER, since a flag shows in the process list. No user = no SASL")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM certificate to serve TLS with (with --tls-key); it must be valid for the --listen host. Empty = plain text")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM key of --tls-cert")
	return func(ctx context.Context, e *env) error { return runBroker(ctx, e, c) }
}

func runBroker(ctx context.Context, e *env, c *brokerConfig) error {
	logger := e.logger.With("component", "broker")
	cfg := broker.Config{
		Listen:          c.listen,
		DataDir:         c.dataDir,
		CompactInterval: c.compactInterval,
		Logger:          logger,
		SASL:            c.users,
	}
	// Zero is a valid Config field (the default) but not a useful flag.
	if c.compactInterval <= 0 {
		return fmt.Errorf("--compact-interval %v: want a positive duration", c.compactInterval)
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return errors.New("--tls-cert and --tls-key: give both or neither")
	}
	if c.tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
		if err != nil {
			return fmt.Errorf("--tls-cert %s, --tls-key %s: %w", c.tlsCert, c.tlsKey, err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	b, err := broker.Start(cfg)
	if err != nil {
		return err
	}
	data := c.dataDir
	if data == "" {
		data = "(memory: nothing survives a restart)"
	}
	logger.Info("broker listening", "addr", b.Addr(), "data_dir", data, "compact_interval", c.compactInterval,
		"tls", cfg.TLS != nil, "sasl_users", c.users.String())
	err = b.Run(ctx)
	logger.Info("broker stopped")
	return err
}

// saslUsers is the --sasl-user flag: every user:password it is given
// becomes a broker user for each SASL mechanism, so clients may pick any.
type saslUsers []broker.User

// String lists the user names, never the passwords: flag prints it.
func (u *saslUsers) String() string {
	var names []string
	for _, user := range *u {
		if user.Mechanism == kafkaconf.Mechanisms[0] {
			names = append(names, user.User)
		}
	}
	return strings.Join(names, ",")
}

// Set adds the users of a comma separated user:password list. Errors name
// the entry by position: quoting it could print a password.
func (u *saslUsers) Set(s string) error {
	for i, entry := range strings.Split(s, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		name, password, ok := strings.Cut(entry, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || password == "" {
			return fmt.Errorf("entry %d: want user:password", i+1)
		}
		for _, m := range kafkaconf.Mechanisms {
			*u = append(*u, broker.User{Mechanism: m, User: name, Password: password})
		}
	}
	return nil
}
