package kafkaconf

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/lovoo/goka"
)

// gokaLogger adapts slog to goka's logger. goka logs routine progress
// (partition states, recovery) and its errors alike through Printf: the
// progress goes out at debug level, what reads as an error at warn level
// (gokaLevel), so that the cause of a restart is in the log.
type gokaLogger struct{ l *slog.Logger }

// Logger adapts l for goka.
func Logger(l *slog.Logger) goka.Logger { return gokaLogger{l: l} }

func (g gokaLogger) Printf(format string, args ...any) { g.log(fmt.Sprintf(format, args...)) }
func (g gokaLogger) Print(args ...any)                 { g.log(fmt.Sprint(args...)) }
func (g gokaLogger) Println(args ...any)               { g.log(fmt.Sprint(args...)) }

func (g gokaLogger) log(msg string) { g.l.Log(context.Background(), gokaLevel(msg), msg) }

// gokaWarnings are the words of goka's messages that report a fault.
var gokaWarnings = []string{"error", "fail", "retry", "timeout", "timed out", "cannot", "unable", "lost", "panic"}

// gokaLevel is the level of one of goka's messages: warn for a fault,
// debug for the rest.
func gokaLevel(msg string) slog.Level {
	lower := strings.ToLower(msg)
	for _, w := range gokaWarnings {
		if strings.Contains(lower, w) {
			return slog.LevelWarn
		}
	}
	return slog.LevelDebug
}
