package inbox_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/streams"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func note(id string, sec int, partition int32, off int64) *streams.Notification {
	return &streams.Notification{UserID: "u-1", OrderID: id, RestaurantID: "r-1", Status: order.StatusPlaced,
		Message: "placed " + id, At: t0.Add(time.Duration(sec) * time.Second), Seq: exactly.Pos{Partition: partition, Offset: off}}
}

func entry(id string, sec int) inbox.Entry {
	return inbox.Entry{OrderID: id, RestaurantID: "r-1", Status: order.StatusPlaced, Message: "placed " + id, At: t0.Add(time.Duration(sec) * time.Second)}
}

func TestAdd(t *testing.T) {
	tests := []struct {
		name    string
		in      []*streams.Notification
		changed []bool
		want    []inbox.Entry
		applied exactly.Applied
	}{
		{"newest first", []*streams.Notification{note("a", 1, 0, 0), note("b", 2, 0, 1), note("c", 0, 1, 0)}, []bool{true, true, true},
			[]inbox.Entry{entry("b", 2), entry("a", 1), entry("c", 0)}, exactly.Applied{0: 1, 1: 0}},
		{"the same time: the later arrival first", []*streams.Notification{note("a", 1, 0, 0), note("b", 1, 1, 0)}, []bool{true, true},
			[]inbox.Entry{entry("b", 1), entry("a", 1)}, exactly.Applied{0: 0, 1: 0}},
		{"redelivered: kept once", []*streams.Notification{note("a", 1, 0, 0), note("b", 2, 0, 1), note("a", 1, 0, 0), note("b", 2, 0, 1)},
			[]bool{true, true, false, false}, []inbox.Entry{entry("b", 2), entry("a", 1)}, exactly.Applied{0: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &inbox.Inbox{UserID: "u-1"}
			for i, n := range tc.in {
				if got := in.Add(n); got != tc.changed[i] {
					t.Errorf("Add(%d) = %v, want %v", i, got, tc.changed[i])
				}
			}
			if !reflect.DeepEqual(in.Notifications, tc.want) || !reflect.DeepEqual(in.Applied, tc.applied) {
				t.Errorf("inbox %+v, applied %v; want %+v, %v", in.Notifications, in.Applied, tc.want, tc.applied)
			}
		})
	}
}

// TestKeepsLatest: an inbox keeps the Size newest; an older one arriving
// late does not push a newer one out.
func TestKeepsLatest(t *testing.T) {
	tt := tester.New(t)
	testutil.StartProcessor(t, tt, inbox.Define().GroupGraph)
	for i := range inbox.Size + 5 {
		tt.Consume(string(streams.Notifications), "u-1", note(fmt.Sprintf("o-%02d", i), 10+i, 0, int64(i)))
	}
	tt.Consume(string(streams.Notifications), "u-1", note("old", 0, 1, 0))
	in := tt.TableValue(inbox.Table, "u-1").(*inbox.Inbox)
	if len(in.Notifications) != inbox.Size {
		t.Fatalf("%d notifications, want %d", len(in.Notifications), inbox.Size)
	}
	if first, last := in.Notifications[0], in.Notifications[inbox.Size-1]; first.OrderID != "o-54" || last.OrderID != "o-05" {
		t.Errorf("notifications from %s to %s, want o-54 to o-05", first.OrderID, last.OrderID)
	}
	if want := (exactly.Applied{0: 54, 1: 0}); !reflect.DeepEqual(in.Applied, want) {
		t.Errorf("applied %v, want %v", in.Applied, want)
	}
}

func TestGolden(t *testing.T) {
	testutil.GoldenCodec(t, "inbox", inbox.InboxCodec{}, &inbox.Inbox{
		UserID:        "u-1",
		Notifications: []inbox.Entry{entry("o-2", 5), entry("o-1", 1)},
		Applied:       exactly.Applied{0: 12, 2: 3},
	})
}
