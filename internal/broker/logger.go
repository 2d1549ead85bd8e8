package broker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/twmb/franz-go/pkg/kfake"
)

// slogLogger adapts slog to kfake's logger. kfake logs every request it
// cannot handle and every group membership change at its info level, which
// is routine for a broker, so that goes out at debug: at the default log
// level only kfake's warnings and errors show. One warning goes out at
// debug too: kfake's note that ending a transaction took over 5 ms, which
// it does now and then on a busy machine (a few times a minute in a demo
// on two cores), with nothing wrong and nothing for anyone to do.
//
// kfake reports a failure to save its state on Close only through its
// logger, so errs, when recording, also keeps every error.
type slogLogger struct {
	l    *slog.Logger
	errs *errorRecorder
}

func (s slogLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	if level == kfake.LogLevelError {
		s.errs.record(fmt.Errorf(format, args...))
	}
	lvl, ok := slogLevel(level)
	if level == kfake.LogLevelWarn && strings.HasPrefix(format, slowEndTxn) {
		lvl = slog.LevelDebug
	}
	if !ok || !s.l.Enabled(context.Background(), lvl) {
		return
	}
	s.l.Log(context.Background(), lvl, fmt.Sprintf(format, args...))
}

// slowEndTxn begins kfake's warning that an EndTxn took over 5 ms.
const slowEndTxn = "txn: EndTxn slow"

// errorRecorder collects the errors logged between start and stop.
type errorRecorder struct {
	mu        sync.Mutex
	recording bool
	errs      []error
}

func (r *errorRecorder) start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recording, r.errs = true, nil
}

func (r *errorRecorder) record(err error) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recording {
		r.errs = append(r.errs, err)
	}
}

// stop returns the errors recorded since start, joined.
func (r *errorRecorder) stop() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recording = false
	return errors.Join(r.errs...)
}

// slogLevel maps a kfake level to slog's; ok is false for LogLevelNone.
func slogLevel(level kfake.LogLevel) (lvl slog.Level, ok bool) {
	switch level {
	case kfake.LogLevelError:
		return slog.LevelError, true
	case kfake.LogLevelWarn:
		return slog.LevelWarn, true
	case kfake.LogLevelInfo:
		return slog.LevelDebug, true
	case kfake.LogLevelDebug:
		return slog.LevelDebug - 4, true
	default:
		return 0, false
	}
}
