package delivery

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/orderstream/orderstream/internal/supervise"
)

// WatchConfig is the configuration of a watcher.
type WatchConfig struct {
	URL string
	// Keys are the routing key patterns to subscribe to ("#" = all).
	Keys   []string
	Out    io.Writer
	Logger *slog.Logger
}

// Watched is the line a watcher writes per notification.
type Watched struct {
	RoutingKey   string          `json:"routing_key"`
	MessageID    string          `json:"message_id"`
	Notification json.RawMessage `json:"notification"`
}

// Watch prints the notifications published to Exchange under c.Keys
// until ctx ends: publish/subscribe, with a queue of its own that
// RabbitMQ names, that only this connection reads (exclusive) and that
// is deleted when it closes. What is published while no watcher is
// connected, it does not see; after a reconnect it watches on.
func Watch(ctx context.Context, c WatchConfig) error {
	if len(c.Keys) == 0 {
		return errors.New("watch: no routing key pattern")
	}
	logger := c.Logger.With("component", "watch")
	if err := supervised(ctx, supervise.Options{}, logger, "watch", func(ctx context.Context) error { return watchSession(ctx, c, logger) }); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	return nil
}

func watchSession(ctx context.Context, c WatchConfig, logger *slog.Logger) error {
	conn, err := dial(c.URL)
	if err != nil {
		return fmt.Errorf("connect to RabbitMQ: %w", err)
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("open channel: %w", err)
	}
	if err := DeclareExchange(ch); err != nil {
		return err
	}
	q, err := ch.QueueDeclare("", false, true, true, false, nil)
	if err != nil {
		return fmt.Errorf("declare queue: %w", err)
	}
	for _, k := range c.Keys {
		if err := ch.QueueBind(q.Name, k, Exchange, false, nil); err != nil {
			return fmt.Errorf("bind %q: %w", k, err)
		}
	}
	msgs, err := ch.Consume(q.Name, "", true, true, false, false, nil)
	if err != nil {
		return fmt.Errorf("consume: %w", err)
	}
	logger.Info("watching", "exchange", Exchange, "keys", c.Keys, "queue", q.Name)
	enc := json.NewEncoder(c.Out)
	for {
		select {
		case <-ctx.Done():
			return nil
		case d, ok := <-msgs:
			if !ok {
				return errors.New("deliveries ended: connection lost")
			}
			body := json.RawMessage(d.Body)
			if !json.Valid(d.Body) {
				body, _ = json.Marshal(string(d.Body))
			}
			if err := enc.Encode(Watched{RoutingKey: d.RoutingKey, MessageID: d.MessageId, Notification: body}); err != nil {
				return permanent(fmt.Errorf("write: %w", err))
			}
		}
	}
}
