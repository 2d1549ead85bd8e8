package kafkaconf

import (
	"context"
	"sync"

	"github.com/IBM/sarama"
)

// orderedGroup makes a consumer group commit offsets in order. goka marks a
// message consumed as soon as that message's own writes are acknowledged;
// writes to different partitions are acknowledged out of order, so message
// N+1 can be marked while N's writes are still in flight, and sarama
// commits the highest mark. A crash then skips N for good. orderedGroup
// holds each mark back until every message delivered before it is marked
// too, so the committed offset never passes an unfinished message.
type orderedGroup struct{ sarama.ConsumerGroup }

func (g orderedGroup) Consume(ctx context.Context, topics []string, h sarama.ConsumerGroupHandler) error {
	return g.ConsumerGroup.Consume(ctx, topics, &orderedHandler{inner: h})
}

// orderedHandler serves one session: Consume is called once per session.
type orderedHandler struct {
	inner   sarama.ConsumerGroupHandler
	session *orderedSession
}

func (h *orderedHandler) Setup(s sarama.ConsumerGroupSession) error {
	h.session = &orderedSession{ConsumerGroupSession: s, claims: map[claimKey]*inFlight{}}
	return h.inner.Setup(h.session)
}

func (h *orderedHandler) Cleanup(sarama.ConsumerGroupSession) error {
	return h.inner.Cleanup(h.session)
}

func (h *orderedHandler) ConsumeClaim(_ sarama.ConsumerGroupSession, claim sarama.ConsumerGroupClaim) error {
	flight := h.session.track(claim.Topic(), claim.Partition())
	out := make(chan *sarama.ConsumerMessage, cap(claim.Messages()))
	go forward(h.session.Context(), claim.Messages(), out, flight, &h.session.mu)
	return h.inner.ConsumeClaim(h.session, orderedClaim{ConsumerGroupClaim: claim, out: out})
}

// forward passes messages on, recording each as in flight first.
func forward(ctx context.Context, in <-chan *sarama.ConsumerMessage, out chan<- *sarama.ConsumerMessage, f *inFlight, mu *sync.Mutex) {
	defer close(out)
	for msg := range in {
		mu.Lock()
		f.deliver(msg.Offset)
		mu.Unlock()
		select {
		case out <- msg:
		case <-ctx.Done():
			return
		}
	}
}

type orderedClaim struct {
	sarama.ConsumerGroupClaim
	out chan *sarama.ConsumerMessage
}

func (c orderedClaim) Messages() <-chan *sarama.ConsumerMessage { return c.out }

type claimKey struct {
	topic     string
	partition int32
}

type orderedSession struct {
	sarama.ConsumerGroupSession
	mu     sync.Mutex
	claims map[claimKey]*inFlight
}

func (s *orderedSession) track(topic string, partition int32) *inFlight {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &inFlight{done: map[int64]bool{}}
	s.claims[claimKey{topic, partition}] = f
	return f
}

// MarkOffset takes next, the offset after a finished message, and commits
// only as far as every earlier delivered message has finished.
func (s *orderedSession) MarkOffset(topic string, partition int32, next int64, metadata string) {
	s.mu.Lock()
	f, ok := s.claims[claimKey{topic, partition}]
	commit, advanced := next, true
	if ok {
		commit, advanced = f.finish(next - 1)
	}
	s.mu.Unlock()
	if advanced {
		s.ConsumerGroupSession.MarkOffset(topic, partition, commit, metadata)
	}
}

func (s *orderedSession) MarkMessage(msg *sarama.ConsumerMessage, metadata string) {
	s.MarkOffset(msg.Topic, msg.Partition, msg.Offset+1, metadata)
}

// inFlight is one partition's delivered, not yet committable messages.
type inFlight struct {
	pending []int64 // delivered offsets, in order
	done    map[int64]bool
}

func (f *inFlight) deliver(offset int64) { f.pending = append(f.pending, offset) }

// finish records offset as finished and returns the offset to commit: the
// one after the longest finished prefix of pending, if it grew.
func (f *inFlight) finish(offset int64) (commit int64, advanced bool) {
	f.done[offset] = true
	for len(f.pending) > 0 && f.done[f.pending[0]] {
		commit, advanced = f.pending[0]+1, true
		delete(f.done, f.pending[0])
		f.pending = f.pending[1:]
	}
	return commit, advanced
}
