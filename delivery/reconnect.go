package delivery

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Backoff of the reconnect loop.
const (
	MinBackoff = 200 * time.Millisecond
	MaxBackoff = 10 * time.Second
	// healthy is how long a session must run for the next failure to
	// start again from MinBackoff.
	healthy = 30 * time.Second
)

// errPermanent marks an error no reconnect cures.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// permanent wraps err so that retry returns it.
func permanent(err error) error { return errPermanent{err} }

// retry runs session until ctx ends, again after each failure, after a
// capped exponential backoff with full jitter. It returns nil when ctx
// ends, and the error of a session that failed permanently (a refused
// login, a malformed URL). It is the local stand-in for the system's
// supervisor.
func retry(ctx context.Context, logger *slog.Logger, session func(ctx context.Context) error) error {
	backoff := MinBackoff
	for {
		start := time.Now()
		err := session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if isPermanent(err) {
			return err
		}
		if time.Since(start) > healthy {
			backoff = MinBackoff
		}
		wait := rand.N(backoff) + time.Millisecond
		logger.Warn("session failed; reconnecting", "err", err, "backoff", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

func isPermanent(err error) bool {
	var p errPermanent
	if errors.As(err, &p) {
		return true
	}
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == amqp.AccessRefused
}

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
