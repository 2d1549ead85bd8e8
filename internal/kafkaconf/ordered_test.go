package kafkaconf

import (
	"context"
	"reflect"
	"testing"

	"github.com/IBM/sarama"
)

// fakeSession records the offsets committed through it.
type fakeSession struct {
	sarama.ConsumerGroupSession
	marked []int64
}

func (f *fakeSession) MarkOffset(_ string, _ int32, offset int64, _ string) {
	f.marked = append(f.marked, offset)
}

func (f *fakeSession) Context() context.Context { return context.Background() }

func TestOrderedSessionCommitsOnlyFinishedPrefixes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		delivered []int64
		finished  []int64 // offsets goka marks, in completion order
		want      []int64 // offsets committed
	}{
		{"in order", []int64{5, 6, 7}, []int64{5, 6, 7}, []int64{6, 7, 8}},
		{"later first", []int64{5, 6, 7}, []int64{6, 7, 5}, []int64{8}},
		{"gap held back", []int64{5, 6, 7}, []int64{5, 7}, []int64{6}},
		{"compacted offsets", []int64{10, 14, 20}, []int64{20, 10, 14}, []int64{11, 21}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := &fakeSession{}
			s := &orderedSession{ConsumerGroupSession: fake, claims: map[claimKey]*inFlight{}}
			f := s.track("t", 0)
			for _, o := range tc.delivered {
				f.deliver(o)
			}
			for _, o := range tc.finished {
				s.MarkOffset("t", 0, o+1, "")
			}
			if !reflect.DeepEqual(fake.marked, tc.want) {
				t.Errorf("committed %v, want %v", fake.marked, tc.want)
			}
		})
	}
}

func TestOrderedSessionPassesUntrackedPartitions(t *testing.T) {
	fake := &fakeSession{}
	s := &orderedSession{ConsumerGroupSession: fake, claims: map[claimKey]*inFlight{}}
	s.MarkMessage(&sarama.ConsumerMessage{Topic: "t", Partition: 1, Offset: 41}, "")
	if !reflect.DeepEqual(fake.marked, []int64{42}) {
		t.Errorf("committed %v, want [42]", fake.marked)
	}
}

func TestForwardRecordsBeforeDelivering(t *testing.T) {
	in := make(chan *sarama.ConsumerMessage, 3)
	out := make(chan *sarama.ConsumerMessage, 3)
	for _, o := range []int64{1, 2, 3} {
		in <- &sarama.ConsumerMessage{Offset: o}
	}
	close(in)
	s := &orderedSession{claims: map[claimKey]*inFlight{}}
	f := s.track("t", 0)
	forward(context.Background(), in, out, f, &s.mu)
	var got []int64
	for m := range out {
		got = append(got, m.Offset)
	}
	if !reflect.DeepEqual(got, []int64{1, 2, 3}) || !reflect.DeepEqual(f.pending, []int64{1, 2, 3}) {
		t.Errorf("forwarded %v with pending %v, want [1 2 3] both", got, f.pending)
	}
}
