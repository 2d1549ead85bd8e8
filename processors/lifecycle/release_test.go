package lifecycle_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestRelease sweeps the table as the process command does: an order
// accepted longer ago than the timeout is asked to be cancelled, through
// status-requests, and the lifecycle then cancels it like any other
// request; other orders are left alone.
func TestRelease(t *testing.T) {
	tt := tester.New(t)
	p := testutil.StartProcessor(t, tt, lifecycle.Define(lifecycle.Hooks{}, ids).GroupGraph)
	requests := tt.NewQueueTracker(string(streams.Requests))
	for _, r := range []*streams.Request{
		placedReq("stuck"), req("stuck", order.StatusAccepted, 1, ""),
		placedReq("recent"), req("recent", order.StatusAccepted, 100, ""),
		placedReq("ready"), req("ready", order.StatusAccepted, 1, ""), req("ready", order.StatusReady, 2, ""),
		placedReq("placed"),
	} {
		tt.Consume(string(streams.Requests), r.OrderID, r)
	}
	requests.Seek(requests.Hwm())

	rel := lifecycle.Release{Now: at(61), Timeout: time.Minute}
	if err := p.VisitAll(context.Background(), lifecycle.VisitRelease, rel); err != nil {
		t.Fatalf("VisitAll: %v", err)
	}
	tt.Catchup()
	want := []streams.Request{{OrderID: "stuck", Status: order.StatusCancelled, At: at(61), Reason: "not ready within 1m0s"}}
	got := testutil.Drain[streams.Request](t, requests, "stuck")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("status-requests after the sweep = %+v, want %+v", got, want)
	}
	if k, _, ok := requests.Next(); ok {
		t.Errorf("another request, for %s", k)
	}

	// The lifecycle reads its request like any other: the order is
	// cancelled, with the reason users see.
	tt.Consume(string(streams.Requests), "stuck", &want[0])
	o, _ := tt.TableValue(lifecycle.Table, "stuck").(*lifecycle.Order)
	if o == nil || o.Status != order.StatusCancelled || o.History[len(o.History)-1].Reason != "not ready within 1m0s" {
		t.Errorf("stuck after its release = %+v", o)
	}
}

func TestStuck(t *testing.T) {
	accepted := &lifecycle.Order{OrderID: "o", Status: order.StatusAccepted,
		History: []lifecycle.Entry{{Status: order.StatusPlaced, At: t0}, {Status: order.StatusAccepted, At: at(10)}}}
	tests := []struct {
		name string
		o    *lifecycle.Order
		now  time.Time
		want bool
	}{
		{"accepted longer than the timeout", accepted, at(71), true},
		{"accepted exactly the timeout", accepted, at(70), true},
		{"accepted within the timeout", accepted, at(69), false},
		{"placed", &lifecycle.Order{Status: order.StatusPlaced, History: []lifecycle.Entry{{Status: order.StatusPlaced, At: t0}}}, at(999), false},
		{"no order", nil, at(999), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := lifecycle.Stuck(tc.o, lifecycle.Release{Now: tc.now, Timeout: time.Minute}) != nil; got != tc.want {
				t.Errorf("Stuck() = %v, want %v", got, tc.want)
			}
		})
	}
}
