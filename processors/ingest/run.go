package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/order"
)

// Tuning values.
const (
	// MaxPollRecords bounds the records of one transaction.
	MaxPollRecords = 2000
	// SessionTimeout is how long the group waits for a member that stopped
	// heartbeating (a killed instance) before it gives its partitions to
	// the others; goka's groups wait as long.
	SessionTimeout = 10 * time.Second
	// RebalanceTimeout bounds how long a rebalance waits for members to
	// rejoin: a member revokes by ending one transaction, quickly.
	RebalanceTimeout = 20 * time.Second
	// TransactionTimeout is how long the open transaction of an instance
	// that died holds back the readers of its outputs (read_committed
	// stops at the first open transaction) before the broker aborts it.
	TransactionTimeout = 10 * time.Second
	// TransactionInterval is the default least time between the starts
	// of two transactions (Config.Interval): the orders that arrive
	// meanwhile go in one. Every transaction costs the broker a produce,
	// an offset commit, an end and a marker per partition, and hands each
	// hop downstream a batch: at 1000 orders/s an unpaced loop (one
	// transaction every ~6 ms) costs a quarter more CPU per order; a
	// longer interval costs less again and holds each order back longer
	// (BENCHMARKS.md, "Ingest's transactions" and "The transaction
	// interval").
	TransactionInterval = 10 * time.Millisecond
	// RetryBackoff is the pause before a new session after one failed.
	RetryBackoff = time.Second
	// EndTimeout bounds ending a transaction, also on shutdown.
	EndTimeout = 30 * time.Second
)

// Config is how Run reaches Kafka.
type Config struct {
	Kafka kafkaconf.Config
	// InstanceID names this instance (see InstanceID): the transactional
	// id of each of its sessions starts with it.
	InstanceID string
	// Interval is the least time between the starts of two transactions;
	// TransactionInterval when zero.
	Interval time.Duration
	Hooks    Hooks
	Logger   *slog.Logger
}

// Run consumes "orders" in group Group, routes every record with Route and
// writes the results, committing the input offsets in the same
// transaction, until ctx ends. Instances share the partitions of "orders".
//
// A transaction that cannot commit (a rebalance took partitions away, a
// produce failed, the broker went away) is aborted and its records are read
// again from the committed offsets. A failed session is replaced by a new
// one after RetryBackoff; only a refused login or authorization ends Run
// with an error.
//
// Every session has a transactional id of its own, the instance id and a
// random suffix. Fencing does not need a stable id: the group's
// generation, sent with the offsets of every transaction (KIP-447), fences
// an instance that lost its partitions. And a stable id would be reused
// with its producer id after a broker crash, which the embedded broker
// (kfake) mishandles: it aborts the transaction that was open at the crash
// without writing its abort marker, and read_committed readers, which stop
// skipping a producer's batches only at such a marker, would skip every
// later transaction of that producer id. The price: the transaction of a
// killed instance holds back the readers of the partitions it wrote to
// until the broker aborts it, after TransactionTimeout.
func Run(ctx context.Context, cfg Config) error {
	if cfg.InstanceID == "" {
		return errors.New("ingest: no instance id")
	}
	logger := cfg.Logger.With("processor", string(Group))
	base, err := kgoconf.Options(cfg.Kafka)
	if err != nil {
		return fmt.Errorf("ingest: %w", err)
	}
	base = append(base,
		kgo.TransactionTimeout(TransactionTimeout),
		kgo.ConsumerGroup(string(Group)),
		kgo.ConsumeTopics(string(order.Stream)),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RequireStableFetchOffsets(),
		kgo.SessionTimeout(SessionTimeout),
		kgo.RebalanceTimeout(RebalanceTimeout),
		kgo.RecordPartitioner(kgoconf.GokaPartitioner()),
		kgo.WithLogger(kgoLogger{logger}),
	)
	interval := cfg.Interval
	if interval <= 0 {
		interval = TransactionInterval
	}
	logger.Info("processor starting", "instance", cfg.InstanceID, "transaction_interval", interval)
	for {
		txnID, err := sessionID(cfg.InstanceID)
		if err != nil {
			return err
		}
		err = session(ctx, append(base, kgo.TransactionalID(txnID)), interval, cfg.Hooks, logger.With("transactional_id", txnID))
		if ctx.Err() != nil {
			return nil
		}
		if permanent(err) {
			return fmt.Errorf("ingest: %w", err)
		}
		logger.Warn("ingest session failed; starting a new one", "err", err, "backoff", RetryBackoff)
		t := time.NewTimer(RetryBackoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// sessionID returns a new transactional id of the instance.
func sessionID(instance string) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("ingest: new transactional id: %w", err)
	}
	return instance + "-" + hex.EncodeToString(b), nil
}

// session runs one transact session, a transaction at most every
// interval, until ctx ends or it fails.
func session(ctx context.Context, opts []kgo.Opt, interval time.Duration, h Hooks, logger *slog.Logger) error {
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return fmt.Errorf("create transact session: %w", err)
	}
	// Close leaves the group, so that the others take over the
	// partitions at once; an open transaction is aborted first.
	defer sess.Close()
	var started time.Time // when the last transaction started
	for {
		// The first records of a transaction: as long as it takes.
		fetches, err := poll(ctx, sess, MaxPollRecords, logger)
		if err != nil || ctx.Err() != nil {
			return errors.Join(err, ctx.Err())
		}
		// More until the interval after the last start. Each poll
		// drains franz-go's buffered fetch, so that the next goes out at
		// once: a record waits for at most one interval, not for the
		// interval plus a fetch that was sent only when it ended.
		deadline := started.Add(interval)
		for n := fetches.NumRecords(); n > 0 && n < MaxPollRecords && time.Until(deadline) > 0; n = fetches.NumRecords() {
			pctx, cancel := context.WithDeadline(ctx, deadline)
			more, err := poll(pctx, sess, MaxPollRecords-n, logger)
			cancel()
			if err != nil || ctx.Err() != nil {
				return errors.Join(err, ctx.Err())
			}
			fetches = append(fetches, more...)
		}
		if fetches.NumRecords() == 0 {
			continue
		}
		started = time.Now()
		if err := transact(ctx, sess, fetches, h, logger); err != nil {
			return err
		}
	}
}

// poll returns up to max records, or a consume error waiting does not cure.
// A poll that ctx ends returns what it has, and no error, but for a closed
// client.
func poll(ctx context.Context, sess *kgo.GroupTransactSession, max int, logger *slog.Logger) (kgo.Fetches, error) {
	fetches := sess.PollRecords(ctx, max)
	if fetches.IsClientClosed() {
		return nil, kgo.ErrClientClosed
	}
	for _, fe := range fetches.Errors() {
		switch {
		case errors.Is(fe.Err, context.DeadlineExceeded), errors.Is(fe.Err, context.Canceled):
		case permanent(fe.Err):
			return nil, fmt.Errorf("consume %s/%d: %w", fe.Topic, fe.Partition, fe.Err)
		default:
			logger.Warn("consume", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
	}
	return fetches, nil
}

// transact routes fetches in one transaction, with their offsets.
func transact(ctx context.Context, sess *kgo.GroupTransactSession, fetches kgo.Fetches, h Hooks, logger *slog.Logger) error {
	if err := sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	promise := kgo.AbortingFirstErrPromise(sess.Client())
	var refused []Verdict
	fetches.EachRecord(func(r *kgo.Record) {
		out, v := Route(r)
		if v.Placement == nil {
			refused = append(refused, v)
		}
		sess.Produce(ctx, out, promise.Promise())
	})
	// Every record of the poll is buffered: send them now, in one
	// request, rather than after the producer's linger (franz-go's
	// default, 10 ms), which each transaction would otherwise wait out.
	// Flush fails only when ctx ends, which aborts the transaction below.
	_ = sess.Client().Flush(ctx)
	produceErr := promise.Err()
	// Ending must not depend on ctx: an abort on shutdown is what lets
	// the next owner of the partitions start without waiting for
	// TransactionTimeout.
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), EndTimeout)
	defer cancel()
	commit := produceErr == nil && ctx.Err() == nil
	committed, err := sess.End(endCtx, kgo.TransactionEndTry(commit))
	txn := Transaction{Committed: committed && err == nil, Records: fetches.NumRecords(),
		Placed: fetches.NumRecords() - len(refused), DeadLetters: len(refused)}
	h.ended(txn)
	if err != nil {
		return fmt.Errorf("end transaction: %w", errors.Join(err, produceErr))
	}
	if !committed {
		if produceErr != nil && ctx.Err() == nil {
			logger.Warn("transaction aborted; its records are read again", "records", fetches.NumRecords(), "err", produceErr)
			if permanent(produceErr) {
				return fmt.Errorf("produce: %w", produceErr)
			}
		} else {
			logger.Debug("transaction aborted by a rebalance or shutdown; its records are read again", "records", fetches.NumRecords())
		}
		return nil
	}
	for _, v := range refused {
		h.invalid(v)
	}
	return nil
}

// permanent reports errors that waiting does not cure: refused logins and
// missing permissions.
func permanent(err error) bool {
	for _, e := range []error{
		kerr.SaslAuthenticationFailed,
		kerr.TopicAuthorizationFailed,
		kerr.GroupAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed,
		kerr.ClusterAuthorizationFailed,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
