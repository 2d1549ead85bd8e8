package delivery

import (
	"context"
	"errors"
	"log/slog"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/orderstream/orderstream/internal/supervise"
)

// ReconnectBackoff is how long a session waits before it connects again
// when its options name no backoff: quicker than a processor's, since a
// RabbitMQ node restarts in seconds.
var ReconnectBackoff = supervise.Backoff{Initial: 200 * time.Millisecond, Max: 10 * time.Second, Stable: 30 * time.Second}

// supervised runs session as the component name under opts (the
// command's supervision: its /readyz board and restart metric) until ctx
// ends, starting it again after each failure that can pass. A refused
// login or a malformed URL cannot pass: it is returned.
func supervised(ctx context.Context, opts supervise.Options, logger *slog.Logger, name string, session func(ctx context.Context) error) error {
	if opts.Logger == nil {
		opts.Logger = logger
	}
	if opts.Backoff == (supervise.Backoff{}) {
		opts.Backoff = ReconnectBackoff
	}
	return supervise.Run(ctx, opts, supervise.Component{Name: name, Run: func(ctx context.Context) error {
		err := session(ctx)
		if ae := (*amqp.Error)(nil); errors.As(err, &ae) && ae.Code == amqp.AccessRefused {
			return supervise.Permanent(supervise.ReasonAuth, err)
		}
		return err
	}})
}

// permanent marks err as one no reconnect cures.
func permanent(err error) error { return supervise.Permanent(supervise.ReasonConfig, err) }

// dial connects to url; a URL that cannot be parsed is a permanent error.
func dial(url string) (*amqp.Connection, error) {
	if _, err := amqp.ParseURI(url); err != nil {
		return nil, permanent(err)
	}
	return amqp.DialConfig(url, amqp.Config{Heartbeat: 5 * time.Second, Properties: amqp.Table{"connection_name": "orderstream"}})
}

// closed returns a channel that receives once conn closes (nil when it
// was closed by us).
func closed(conn *amqp.Connection) <-chan *amqp.Error {
	return conn.NotifyClose(make(chan *amqp.Error, 1))
}
