package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/processors/streams"
)

// RelayGroup is the Kafka consumer group of the relay: every process
// running one shares the partitions of "notifications".
const RelayGroup = "notification-relay"

// Tuning values of the relay.
const (
	// RelayBatch bounds the records published before their confirms are
	// awaited and their offsets committed.
	RelayBatch = 500
	// RelaySessionTimeout is how long the group waits for a relay that
	// stopped heartbeating before it hands its partitions to the others.
	RelaySessionTimeout = 10 * time.Second
	// commitTimeout bounds committing the offsets of a confirmed batch.
	commitTimeout = 10 * time.Second
)

// RelayConfig is how the relay reaches Kafka and RabbitMQ.
type RelayConfig struct {
	Kafka   kafkaconf.Config
	URL     string
	Metrics *Metrics
	Logger  *slog.Logger
	// Supervise is the command's supervision, under which the relay runs
	// as the component "relay"; the zero value logs to Logger only.
	Supervise supervise.Options
}

// Relay publishes every record of "notifications" to Exchange until ctx
// ends: persistent, routed by RoutingKey, with MessageID as message_id.
// It commits a record's offset only once RabbitMQ confirmed it, so after
// any crash or reconnect it publishes again what was not confirmed and
// nothing is lost; a message may arrive twice, with the same message_id.
// A lost connection to either broker ends the session, and a new one
// starts after a backoff.
func Relay(ctx context.Context, cfg RelayConfig) error {
	logger := cfg.Logger.With("component", "relay")
	base, err := kgoconf.Options(cfg.Kafka)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	opts := append(base,
		kgo.ConsumerGroup(RelayGroup),
		kgo.ConsumeTopics(string(streams.Notifications)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.SessionTimeout(RelaySessionTimeout),
	)
	logger.Info("relay starting", "exchange", Exchange)
	if err := supervised(ctx, cfg.Supervise, logger, "relay", func(ctx context.Context) error { return relaySession(ctx, cfg, opts, logger) }); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	return nil
}

// relaySession relays with one AMQP connection and one Kafka client until
// ctx ends or either fails.
func relaySession(ctx context.Context, cfg RelayConfig, opts []kgo.Opt, logger *slog.Logger) error {
	conn, err := dial(cfg.URL)
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		if e := <-closed(conn); e != nil {
			cancel(fmt.Errorf("RabbitMQ connection closed: %w", e))
		}
	}()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := DeclareExchange(ch); err != nil {
		return err
	}
	if err := ch.Confirm(false); err != nil {
		return fmt.Errorf("enable publisher confirms: %w", err)
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return permanent(fmt.Errorf("create Kafka client: %w", err))
	}
	defer cl.Close()
	logger.Info("relay connected")
	for {
		fetches := cl.PollRecords(ctx, RelayBatch)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return context.Cause(ctx)
		}
		for _, fe := range fetches.Errors() {
			logger.Warn("consume", "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
		records := fetches.Records()
		if len(records) == 0 {
			continue
		}
		if err := publish(ctx, ch, records, cfg.Metrics); err != nil {
			return err
		}
		cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), commitTimeout)
		err := cl.CommitRecords(cctx, records...)
		ccancel()
		if err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
	}
}

// publish publishes records and waits until RabbitMQ confirmed them all.
func publish(ctx context.Context, ch *amqp.Channel, records []*kgo.Record, m *Metrics) error {
	pending := make([]*amqp.DeferredConfirmation, 0, len(records))
	for _, r := range records {
		key, msg := Message(r)
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, Exchange, key, false, false, msg)
		if err != nil {
			return fmt.Errorf("publish: %w", errors.Join(err, context.Cause(ctx)))
		}
		m.Published.Inc()
		pending = append(pending, dc)
	}
	for _, dc := range pending {
		ok, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("await confirm: %w", context.Cause(ctx))
		}
		if !ok {
			return errors.New("RabbitMQ refused a publication")
		}
		m.Confirmed.Inc()
	}
	return nil
}

// Message is the routing key and the message of r, a record of
// "notifications". A record that is no notification is published too,
// under the routing key "malformed.unknown" and with its position as its
// identity, so that the workers dead-letter it where it can be seen.
func Message(r *kgo.Record) (string, amqp.Publishing) {
	msg := amqp.Publishing{
		ContentType:  "application/json",
		DeliveryMode: amqp.Persistent,
		Timestamp:    r.Timestamp,
		AppId:        "orderstream",
		Type:         "notification",
		Body:         r.Value,
	}
	v, err := new(streams.NotificationCodec).Decode(r.Value)
	if err != nil {
		msg.MessageId = fmt.Sprintf("%s/%d/%d", r.Topic, r.Partition, r.Offset)
		return "malformed.unknown", msg
	}
	n := v.(*streams.Notification)
	msg.MessageId = MessageID(n)
	return RoutingKey(n), msg
}
