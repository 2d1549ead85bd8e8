package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/processors/streams"
)

// WorkerConfig is the configuration of the delivery workers of one
// channel in one process.
type WorkerConfig struct {
	URL string
	// Channel is the delivery channel, a key of Channels.
	Channel string
	// Keys are the routing keys the channel's queue is bound to.
	Keys []string
	// Workers is how many competing consumers this process runs.
	Workers int
	// SendTime is how long "sending" one notification takes.
	SendTime time.Duration
	// Out receives a Delivery line per notification sent.
	Out     io.Writer
	Metrics *Metrics
	Logger  *slog.Logger
}

// Delivery is the line a worker writes for every notification it sends:
// the simulated message to the user.
type Delivery struct {
	Channel   string `json:"channel"`
	User      string `json:"user"`
	Order     string `json:"order"`
	Status    string `json:"status"`
	Message   string `json:"message"`
	MessageID string `json:"message_id"`
}

// Validate checks c.
func (c *WorkerConfig) Validate() error {
	if _, ok := Channels[c.Channel]; !ok {
		return fmt.Errorf("unknown channel %q: want email, sms or push", c.Channel)
	}
	if len(c.Keys) == 0 {
		return errors.New("no routing keys to bind")
	}
	if c.Workers < 1 {
		return fmt.Errorf("%d workers: want at least 1", c.Workers)
	}
	if c.SendTime < 0 {
		return fmt.Errorf("send time %v: want 0 or more", c.SendTime)
	}
	return nil
}

// Deliver runs c.Workers competing consumers of the queue of c.Channel
// until ctx ends, reconnecting after a lost connection. Each acknowledges
// a message only after it was sent, so a message whose worker dies is
// delivered to another; with a prefetch of one, a busy worker is given no
// more. A malformed message is dead-lettered at once, one that cannot be
// sent after MaxAttempts deliveries too.
func Deliver(ctx context.Context, c WorkerConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	logger := c.Logger.With("component", "deliver", "channel", c.Channel)
	c.Metrics.startChannel(c.Channel)
	w := &worker{cfg: c, out: &lineWriter{w: c.Out}, logger: logger}
	logger.Info("delivery workers starting", "queue", Queue(c.Channel), "keys", c.Keys, "workers", c.Workers)
	if err := supervised(ctx, supervise.Options{}, logger, "deliver/"+c.Channel, w.session); err != nil {
		return fmt.Errorf("deliver: %w", err)
	}
	return nil
}

type worker struct {
	cfg    WorkerConfig
	out    *lineWriter
	logger *slog.Logger
}

// session consumes with one connection until ctx ends or it fails.
func (w *worker) session(ctx context.Context) error {
	conn, err := dial(w.cfg.URL)
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	defer conn.Close()
	connClosed := closed(conn)
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := DeclareQueue(ch, w.cfg.Channel, w.cfg.Keys); err != nil {
		return err
	}
	ch.Close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		select {
		case <-ctx.Done():
			return nil
		case e := <-connClosed:
			return fmt.Errorf("RabbitMQ connection closed: %w", e)
		}
	})
	for i := range w.cfg.Workers {
		g.Go(func() error { return w.consume(ctx, conn, i) })
	}
	err = g.Wait()
	if ctx.Err() != nil && err == nil {
		return ctx.Err()
	}
	return err
}

// consume is one competing consumer, on a channel of its own.
func (w *worker) consume(ctx context.Context, conn *amqp.Connection, n int) error {
	// The channel is closed with the connection, which hands the
	// message in hand back to the queue. (Closing it here, while
	// RabbitMQ may be pushing the next delivery, can wait for ever.)
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := ch.Qos(Prefetch, 0, false); err != nil {
		return fmt.Errorf("set prefetch: %w", err)
	}
	deliveries, err := ch.Consume(Queue(w.cfg.Channel), fmt.Sprintf("deliver-%s-%d", w.cfg.Channel, n), false, false, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume %s: %w", Queue(w.cfg.Channel), err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-deliveries:
			if !ok {
				return errors.New("deliveries ended: channel closed")
			}
			if err := w.handle(ctx, d); err != nil {
				return err
			}
		}
	}
}

// handle sends d and settles it: ack when sent, reject (to the dead-letter
// queue) when malformed or out of attempts, requeue otherwise.
func (w *worker) handle(ctx context.Context, d amqp.Delivery) error {
	m, channel := w.cfg.Metrics, w.cfg.Channel
	attempts := deliveryCount(d) + 1
	if attempts > 1 || d.Redelivered {
		m.Redelivered.WithLabelValues(channel).Inc()
	}
	line, err := deliveryLine(channel, d)
	if err != nil {
		w.logger.Warn("malformed message dead-lettered", "message_id", d.MessageId, "routing_key", d.RoutingKey, "err", err)
		m.DeadLettered.WithLabelValues(channel, "malformed").Inc()
		return d.Reject(false)
	}
	if w.cfg.SendTime > 0 {
		t := time.NewTimer(w.cfg.SendTime)
		select {
		case <-ctx.Done():
			t.Stop()
			return d.Nack(false, true)
		case <-t.C:
		}
	}
	if err := w.out.write(line); err != nil {
		if attempts >= MaxAttempts {
			w.logger.Warn("message dead-lettered after failed attempts", "message_id", d.MessageId, "attempts", attempts, "err", err)
			m.DeadLettered.WithLabelValues(channel, "attempts").Inc()
			return d.Reject(false)
		}
		w.logger.Warn("send failed; message requeued", "message_id", d.MessageId, "attempts", attempts, "err", err)
		return d.Nack(false, true)
	}
	if err := d.Ack(false); err != nil {
		// Not acknowledged: RabbitMQ delivers it again, and its
		// message_id shows the duplicate.
		return fmt.Errorf("ack: %w", err)
	}
	m.Delivered.WithLabelValues(channel).Inc()
	return nil
}

// deliveryLine is the JSON line telling of sending d on channel, or an
// error when d is no notification.
func deliveryLine(channel string, d amqp.Delivery) ([]byte, error) {
	v, err := new(streams.NotificationCodec).Decode(d.Body)
	if err != nil {
		return nil, err
	}
	n := v.(*streams.Notification)
	if n.UserID == "" || n.OrderID == "" || n.Status == "" {
		return nil, errors.New("notification without user, order or status")
	}
	id := d.MessageId
	if id == "" {
		id = MessageID(n)
	}
	b, err := json.Marshal(Delivery{Channel: channel, User: n.UserID, Order: n.OrderID, Status: string(n.Status), Message: n.Message, MessageID: id})
	return append(b, '\n'), err
}

// deliveryCount is how often d was delivered before: the quorum queue's
// x-delivery-count header.
func deliveryCount(d amqp.Delivery) int64 {
	switch v := d.Headers["x-delivery-count"].(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int:
		return int64(v)
	case int16:
		return int64(v)
	case int8:
		return int64(v)
	}
	return 0
}

// lineWriter writes whole lines from concurrent workers.
type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) write(line []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, err := l.w.Write(line)
	return err
}
