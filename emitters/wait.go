package emitters

import (
	"context"
	"fmt"

	"github.com/lovoo/goka"
)

// emitWait emits value under key with em and waits until Kafka
// acknowledges it or ctx ends; the message stays queued in the latter case
// and Finish waits for it.
func emitWait(ctx context.Context, em *goka.Emitter, key string, value any) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	promise, err := em.Emit(key, value)
	if err != nil {
		return err
	}
	// Buffered: the callback must not block when nobody is waiting any more.
	acked := make(chan error, 1)
	promise.Then(func(err error) { acked <- err })
	select {
	case err := <-acked:
		return err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// finish closes em, wrapping its error with the topic.
func finish(em *goka.Emitter, topic string) error {
	if err := em.Finish(); err != nil {
		return fmt.Errorf("close emitter %s: %w", topic, err)
	}
	return nil
}
