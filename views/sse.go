package views

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/orderstream/orderstream/internal/httpjson"
)

// Timing of the event stream.
const (
	// HeartbeatInterval is how often an idle stream gets a comment line,
	// so proxies keep it open and a gone client is noticed.
	HeartbeatInterval = 15 * time.Second
	// EventWriteTimeout bounds each write to a client.
	EventWriteTimeout = 10 * time.Second
	// RetryMillis is the reconnection delay the stream asks browsers for.
	RetryMillis = 2000
)

// parseFilter parses ?user_id=&restaurant_id=; other parameters are
// ignored.
func parseFilter(rawQuery string) (Filter, error) {
	var f Filter
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return f, fmt.Errorf("malformed query string: %w", err)
	}
	for name, dst := range map[string]*string{"user_id": &f.UserID, "restaurant_id": &f.RestaurantID} {
		v, ok := values[name]
		if !ok {
			continue
		}
		if len(v) != 1 {
			return f, fmt.Errorf("%s given %d times, want once", name, len(v))
		}
		if err := checkID(v[0]); err != nil {
			return f, fmt.Errorf("%s: %w", name, err)
		}
		*dst = v[0]
	}
	return f, nil
}

// events streams the hub's events as Server-Sent Events until the client
// goes, falls too far behind, or the hub stops.
func (a *api) events(w http.ResponseWriter, r *http.Request) {
	f, err := parseFilter(r.URL.RawQuery)
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	sub, err := a.hub.Subscribe(f)
	if err != nil {
		w.Header().Set("Retry-After", "1")
		httpjson.WriteError(w, http.StatusServiceUnavailable, "event stream: %v", err)
		return
	}
	defer sub.Close()
	// The stream starts once the hub reads from where the topics ended
	// (it reads only while someone listens), or after ReadyWait with the
	// broker unreachable: the events come once it is back.
	wait := time.NewTimer(ReadyWait)
	select {
	case <-sub.Ready():
	case <-wait.C:
	case <-r.Context().Done():
		wait.Stop()
		return
	}
	wait.Stop()

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(format string, args ...any) error {
		// The server has no WriteTimeout: each write gets its own.
		_ = rc.SetWriteDeadline(time.Now().Add(EventWriteTimeout))
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return err
		}
		return rc.Flush()
	}
	if err := send("retry: %d\n: connected\n\n", RetryMillis); err != nil {
		return
	}
	heartbeat := time.NewTicker(HeartbeatInterval)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			if err := send("event: %s\ndata: %s\n\n", e.Type, e.Data); err != nil {
				a.streamEnded(err)
				return
			}
		case <-heartbeat.C:
			if err := send(": heartbeat\n\n"); err != nil {
				a.streamEnded(err)
				return
			}
		}
	}
}

// streamEnded logs why a stream ended, unless the client just left.
func (a *api) streamEnded(err error) {
	if !errors.Is(err, io.ErrClosedPipe) {
		a.logger.Debug("event stream ended", "err", err)
	}
}
