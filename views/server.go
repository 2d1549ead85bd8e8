package views

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/orderstream/orderstream/internal/httpjson"
)

// Server timeouts.
const (
	// ReadHeaderTimeout bounds slow clients before a handler runs.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds reading a whole request; bodies are small orders.
	ReadTimeout = 30 * time.Second
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout = 2 * time.Minute
	// ShutdownTimeout is how long Serve waits for requests in flight once
	// its context ends, before it closes the connections that remain.
	ShutdownTimeout = 10 * time.Second
)

// NewServer returns an HTTP server for h on addr.
//
// It has no WriteTimeout: a server-wide one would cut long-lived responses
// such as Server-Sent Events streams. Handlers that need a bound set their
// own with http.ResponseController.SetWriteDeadline; the API handlers only
// read local tables and write small bodies.
func NewServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		IdleTimeout:       IdleTimeout,
	}
}

// Serve listens on srv.Addr and serves until ctx ends, then shuts down
// gracefully; see ServeListener.
func Serve(ctx context.Context, srv *http.Server) error {
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", srv.Addr, err)
	}
	return ServeListener(ctx, srv, ln)
}

// ServeListener serves srv on ln until ctx ends or serving fails; the
// answers net/http gives before a handler runs are JSON too
// (httpjson.Listener). When ctx
// ends it stops accepting, waits up to ShutdownTimeout for requests in
// flight, then closes what remains. Streaming handlers should end on
// srv.RegisterOnShutdown, since Shutdown does not cancel requests.
func ServeListener(ctx context.Context, srv *http.Server, ln net.Listener) error {
	served := make(chan error, 1)
	go func() { served <- srv.Serve(httpjson.Listener(ln)) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve http %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	var errs []error
	if err := srv.Shutdown(sctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down http %s: %w", ln.Addr(), err))
		if err := srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close http %s: %w", ln.Addr(), err))
		}
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve http %s: %w", ln.Addr(), err))
	}
	return errors.Join(errs...)
}
