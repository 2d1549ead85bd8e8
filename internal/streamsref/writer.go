package streamsref

import (
	"io"
	"sync"
)

// lockedWriter serializes writes to w: the JVM's standard output and
// error are copied by two goroutines.
type lockedWriter struct {
	mu sync.Mutex
	b  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
