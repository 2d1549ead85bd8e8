package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/lovoo/goka"
)

// errAttached is Attach's error for a graph that runs in another
// processor already: define it again for another.
var errAttached = errors.New("the graph runs in another processor already")

// sessions is what a table cache or an outbox keeps while it is attached
// to a running processor: one P per partition session (goka starts a new
// one, with a new context, whenever a partition is assigned), each
// flushing in a goroutine of its own until its session ends.
type sessions[P any] struct {
	mu    sync.Mutex
	rt    *Runtime
	parts map[context.Context]P
}

// attach makes s keep sessions of the processor rt belongs to; detach,
// called once that processor stopped, forgets them.
func (s *sessions[P]) attach(rt *Runtime) (detach func(), err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt != nil {
		return nil, errAttached
	}
	s.rt, s.parts = rt, map[context.Context]P{}
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.rt, s.parts = nil, nil
	}, nil
}

// loop is how a session's P flushes: flushLoop's arguments but the session.
type loop struct {
	wake         <-chan struct{}
	interval     time.Duration
	flush, close func()
}

// get returns the P of ctx's partition session, making it with start and
// running its flush loop if it is the session's first; ok is false when s
// is not attached.
func (s *sessions[P]) get(ctx goka.Context, start func(rt *Runtime) (P, loop)) (p P, ok bool) {
	session := ctx.Context()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt == nil {
		return p, false
	}
	if p, ok := s.parts[session]; ok {
		return p, true
	}
	p, l := start(s.rt)
	s.parts[session] = p
	go func() {
		flushLoop(session, l.wake, l.interval, l.flush, l.close)
		s.mu.Lock()
		delete(s.parts, session)
		s.mu.Unlock()
	}()
	return p, true
}

// flushLoop calls flush whenever wake says there is something to flush,
// the previous flush returned and interval has passed since it started,
// until session ends; then it calls close, which flushes what is left.
func flushLoop(session context.Context, wake <-chan struct{}, interval time.Duration, flush, close func()) {
	var pause *time.Timer
	if interval > 0 {
		pause = time.NewTimer(0)
		defer pause.Stop()
	}
	for {
		select {
		case <-wake:
		case <-session.Done():
			close()
			return
		}
		if pause != nil {
			select {
			case <-pause.C:
			case <-session.Done():
				close()
				return
			}
			pause.Reset(interval)
		}
		flush()
	}
}

// pending is what a session's P holds for its next flush, bar what it
// flushes: the commits of the messages behind it, deferred (goka's
// DeferCommit) until the flush is acknowledged, and the signal that wakes
// its flush loop. Its P holds mu while it changes what it holds.
type pending struct {
	wake     chan struct{}
	flushing sync.Mutex // one flush at a time, in order
	mu       sync.Mutex
	commits  []func(error) // of the messages behind what is held
	closed   bool          // the session ended: callbacks flush themselves
}

func newPending() pending { return pending{wake: make(chan struct{}, 1)} }

// addedUnlock is called, with mu held, by a callback that added to what
// is held: it defers ctx's commit, unlocks mu and has the addition
// flushed, by the flush loop or, if the session ended while the callback
// ran (goka waits for it), at once with flush.
func (q *pending) addedUnlock(ctx goka.Context, flush func()) {
	q.commits = append(q.commits, ctx.DeferCommit())
	closed := q.closed
	q.mu.Unlock()
	if closed {
		flush()
		return
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// takeLocked returns the commits deferred so far and forgets them; mu is
// held.
func (q *pending) takeLocked() []func(error) {
	commits := q.commits
	q.commits = nil
	return commits
}

// shut flushes, with flush, what is left when the session ended, and makes
// callbacks still running flush their own additions.
func (q *pending) shut(flush func()) {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	flush()
}

// loop is how flushLoop runs the flushes of q with flush, interval apart.
func (q *pending) loop(interval time.Duration, flush func()) loop {
	return loop{wake: q.wake, interval: interval, flush: flush, close: func() { q.shut(flush) }}
}
