package kitchen_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/streams"
)

var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// fixed takes exactly 10s to prepare and 20s to deliver.
var fixed = kitchen.Config{PrepMin: 10 * time.Second, PrepMax: 10 * time.Second, DeliveryMin: 20 * time.Second, DeliveryMax: 20 * time.Second}

func change(s order.Status, at int, off int64) *streams.Change {
	return &streams.Change{OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", Status: s, At: sec(at), Seq: exactly.Pos{Offset: off}}
}

func TestPlan(t *testing.T) {
	readyJob := &kitchen.Job{Next: order.StatusReady, Due: sec(11), Seq: exactly.Pos{Offset: 2}}
	tests := []struct {
		name string
		job  *kitchen.Job
		c    *streams.Change
		want *kitchen.Job
		ok   bool
	}{
		{"placed: nothing to do", nil, change(order.StatusPlaced, 0, 1), nil, false},
		{"accepted: prepare", nil, change(order.StatusAccepted, 1, 2), readyJob, true},
		{"ready: deliver", readyJob, change(order.StatusReady, 11, 3),
			&kitchen.Job{Next: order.StatusDelivered, Due: sec(31), Seq: exactly.Pos{Offset: 3}}, true},
		{"an older change is ignored", readyJob, change(order.StatusAccepted, 1, 2), nil, false},
		{"cancelled: drop the job", readyJob, change(order.StatusCancelled, 5, 4), nil, true},
		{"delivered without a job: nothing", nil, change(order.StatusDelivered, 5, 4), nil, false},
		{"a change days old is played from now", nil, change(order.StatusAccepted, -9*24*3600, 2), readyJob, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := kitchen.Plan(tc.job, tc.c, sec(1), fixed)
			if ok != tc.ok || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Plan() = %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestPlanRandomDelay(t *testing.T) {
	cfg := kitchen.Config{PrepMin: time.Second, PrepMax: 3 * time.Second}
	for range 200 {
		job, _ := kitchen.Plan(nil, change(order.StatusAccepted, 0, 1), t0, cfg)
		if d := job.Due.Sub(t0); d < time.Second || d > 3*time.Second {
			t.Fatalf("delay %v outside 1s..3s", d)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if err := kitchen.DefaultConfig.Validate(); err != nil {
		t.Errorf("DefaultConfig: %v", err)
	}
	for _, c := range []kitchen.Config{
		{PrepMin: 2, PrepMax: 1},
		{PrepMin: -1, PrepMax: 1},
		{DeliveryMin: 5, DeliveryMax: 4},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validates", c)
		}
	}
}

// TestKitchen follows an order from accepted to delivered through the
// processor, firing its jobs with visits as Run does, and a job the
// lifecycle never answers until the kitchen gives up.
func TestKitchen(t *testing.T) {
	tt := tester.New(t)
	p := testutil.StartProcessor(t, tt, kitchen.Define(fixed, func() time.Time { return sec(1) }).GroupGraph)
	requests := tt.NewQueueTracker(string(streams.Requests))
	visit := func(at int) []streams.Request {
		t.Helper()
		if err := p.VisitAll(context.Background(), kitchen.VisitFire, sec(at)); err != nil {
			t.Fatal(err)
		}
		tt.Catchup()
		return testutil.Drain[streams.Request](t, requests, "o-1")
	}
	req := func(s order.Status, at int) []streams.Request {
		return []streams.Request{{OrderID: "o-1", Status: s, At: sec(at)}}
	}

	tt.Consume(string(streams.Changes), "o-1", change(order.StatusAccepted, 1, 2))
	if got := visit(10); got != nil {
		t.Errorf("before it is due: %+v", got)
	}
	if got, want := visit(11), req(order.StatusReady, 11); !reflect.DeepEqual(got, want) {
		t.Errorf("when due: %+v, want %+v", got, want)
	}
	if got := visit(12); got != nil {
		t.Errorf("fired twice: %+v", got)
	}
	tt.Consume(string(streams.Changes), "o-1", change(order.StatusReady, 12, 3))
	if got, want := visit(32), req(order.StatusDelivered, 32); !reflect.DeepEqual(got, want) {
		t.Errorf("delivery: %+v, want %+v", got, want)
	}
	tt.Consume(string(streams.Changes), "o-1", change(order.StatusDelivered, 33, 4))
	if keys := tt.GetTableKeys(kitchen.Table); len(keys) != 0 {
		t.Errorf("jobs left after delivery: %v", keys)
	}

	// An acceptance whose ready the lifecycle refuses: asked MaxAttempts
	// times, RetryAfter apart, then dropped.
	tt.Consume(string(streams.Changes), "o-1", change(order.StatusAccepted, 1, 5))
	at := 11
	for i := range kitchen.MaxAttempts {
		if got := visit(at); len(got) != 1 {
			t.Fatalf("attempt %d at %d: %+v", i+1, at, got)
		}
		at += int(kitchen.RetryAfter / time.Second)
	}
	if got := visit(at); got != nil {
		t.Errorf("after %d attempts: %+v", kitchen.MaxAttempts, got)
	}
	if keys := tt.GetTableKeys(kitchen.Table); len(keys) != 0 {
		t.Errorf("a job given up on is kept: %v", keys)
	}
}

func TestGolden(t *testing.T) {
	testutil.GoldenCodec(t, "job", kitchen.JobCodec{}, &kitchen.Job{Next: order.StatusDelivered, Due: sec(31), Attempts: 1, Seq: exactly.Pos{Partition: 2, Offset: 9}})
}
