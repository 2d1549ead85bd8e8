package kafkaconf

import (
	"fmt"
	"log/slog"

	"github.com/lovoo/goka"
)

// gokaLogger adapts slog to goka's logger. goka logs routine progress
// (partition states, recovery) through Printf, so it goes out at debug level.
type gokaLogger struct{ l *slog.Logger }

// Logger adapts l for goka.
func Logger(l *slog.Logger) goka.Logger { return gokaLogger{l: l} }

func (g gokaLogger) Printf(format string, args ...any) { g.l.Debug(fmt.Sprintf(format, args...)) }
func (g gokaLogger) Print(args ...any)                 { g.l.Debug(fmt.Sprint(args...)) }
func (g gokaLogger) Println(args ...any)               { g.l.Debug(fmt.Sprint(args...)) }
