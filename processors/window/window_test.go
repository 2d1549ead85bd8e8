package window_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/orderstream/orderstream/processors/window"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// m is t0 plus minutes and seconds.
func m(min, sec int) time.Time {
	return t0.Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second)
}

func b(min int, n int64) window.Bucket { return window.Bucket{Start: m(min, 0), Count: n} }

func TestAdd(t *testing.T) {
	type event struct {
		at      time.Time
		counted bool
	}
	tests := []struct {
		name   string
		events []event
		want   window.Counts
	}{
		{
			name:   "one event",
			events: []event{{m(0, 30), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(0, 1)}, StreamTime: m(0, 30)},
		},
		{
			name:   "same window, then the next",
			events: []event{{m(0, 1), true}, {m(0, 59), true}, {m(1, 0), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(0, 2), b(1, 1)}, StreamTime: m(1, 0)},
		},
		{
			name: "late within the grace period: counted in its window",
			// Window 0 ends at 1:00 and closes at 3:00.
			events: []event{{m(2, 59), true}, {m(0, 10), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(0, 1), b(2, 1)}, StreamTime: m(2, 59)},
		},
		{
			name:   "late after the grace period: not counted",
			events: []event{{m(3, 0), true}, {m(0, 59), false}},
			want:   window.Counts{Buckets: []window.Bucket{b(3, 1)}, StreamTime: m(3, 0), Late: 1},
		},
		{
			name:   "out of order within a window's life, inserted in place",
			events: []event{{m(2, 0), true}, {m(0, 0), true}, {m(1, 0), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(0, 1), b(1, 1), b(2, 1)}, StreamTime: m(2, 0)},
		},
		{
			name:   "windows older than the last 60 are dropped",
			events: []event{{m(0, 0), true}, {m(59, 0), true}, {m(60, 0), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(59, 1), b(60, 1)}, StreamTime: m(60, 0)},
		},
		{
			name:   "a jump ahead leaves nothing behind",
			events: []event{{m(0, 0), true}, {m(500, 0), true}, {m(10, 0), false}},
			want:   window.Counts{Buckets: []window.Bucket{b(500, 1)}, StreamTime: m(500, 0), Late: 1},
		},
		{
			name:   "times in other zones are stored in UTC",
			events: []event{{m(0, 0).In(time.FixedZone("x", 3600)), true}},
			want:   window.Counts{Buckets: []window.Bucket{b(0, 1)}, StreamTime: m(0, 0)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c window.Counts
			for i, e := range tc.events {
				if got := c.Add(e.at, 1); got != e.counted {
					t.Errorf("event %d at %v: counted %v, want %v", i, e.at, got, e.counted)
				}
			}
			if !reflect.DeepEqual(c, tc.want) {
				t.Errorf("counts =\n%+v\nwant\n%+v", c, tc.want)
			}
		})
	}
}

func TestMerge(t *testing.T) {
	got := window.Merge([]window.Bucket{b(1, 2), b(3, 1)}, nil, []window.Bucket{b(0, 5), b(3, 4)})
	want := []window.Bucket{b(0, 5), b(1, 2), b(3, 5)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Merge() = %v, want %v", got, want)
	}
	if got := window.Merge(nil, []window.Bucket{}); got != nil {
		t.Errorf("Merge() of nothing = %#v, want nil", got)
	}
}

func TestSeries(t *testing.T) {
	now := m(100, 42)
	s := window.Series([]window.Bucket{b(30, 9), b(41, 1), b(70, 2), b(100, 3), b(101, 7)}, now)
	if len(s) != window.Keep {
		t.Fatalf("%d points, want %d", len(s), window.Keep)
	}
	if s[0].Minute != m(41, 0) || s[window.Keep-1].Minute != m(100, 0) {
		t.Errorf("series from %v to %v, want %v to %v", s[0].Minute, s[window.Keep-1].Minute, m(41, 0), m(100, 0))
	}
	got := map[time.Time]int64{}
	for _, p := range s {
		if p.Orders != 0 {
			got[p.Minute] = p.Orders
		}
	}
	want := map[time.Time]int64{m(41, 0): 1, m(70, 0): 2, m(100, 0): 3}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("non-zero points = %v, want %v", got, want)
	}
}
