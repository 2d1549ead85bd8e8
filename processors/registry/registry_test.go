package registry_test

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/registry"
)

func newOrder(id, restaurant, user string) order.Order {
	return order.Order{
		OrderID:      id,
		RestaurantID: restaurant,
		UserID:       user,
		Items:        []order.Item{{SKU: "pizza", Qty: 2, PriceCents: 1250}, {SKU: "cola", Qty: 1, PriceCents: 300}},
		TotalCents:   2800,
		PlacedAt:     time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC),
	}
}

func pos(partition int32, offset int64) exactly.Pos {
	return exactly.Pos{Partition: partition, Offset: offset}
}

// duplicates is a fake Hooks.Duplicate.
type duplicates struct {
	mu  sync.Mutex
	ids []string
}

func (d *duplicates) record(id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids = append(d.ids, id)
}

func (d *duplicates) got() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}

type emitted struct {
	Key    string
	Placed *registry.Placed
}

func drain(t *testing.T, q *tester.QueueTracker) []emitted {
	t.Helper()
	var out []emitted
	for {
		key, value, ok := q.Next()
		if !ok {
			return out
		}
		out = append(out, emitted{key, value.(*registry.Placed)})
	}
}

func TestRegister(t *testing.T) {
	o1 := newOrder("o-1", "r-1", "u-1")
	o1Again := newOrder("o-1", "r-2", "u-2") // a client retry that changed its mind
	o2 := newOrder("o-2", "r-1", "u-2")
	entry1 := &registry.Entry{
		OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2800,
		PlacedAt: o1.PlacedAt, Source: pos(4, 17), At: pos(0, 0), Digest: o1.Digest(),
	}
	o1Items := o1
	o1Items.Items = append([]order.Item(nil), o1.Items...)
	o1Items.Items[0].SKU = "other"
	o1Retry := o1
	o1Retry.PlacedAt = o1.PlacedAt.Add(time.Second) // the intake stamps a retry anew
	type step struct {
		name       string
		orderID    string
		placement  ingest.Placement
		byRest     []emitted // on placed-by-restaurant
		byUser     []emitted // on placed-by-user
		duplicates []string
		conflicts  []string
		entry      *registry.Entry // registry-table[orderID] afterwards
	}
	steps := []step{
		{
			name: "new order", orderID: "o-1",
			placement: ingest.Placement{Order: o1, Source: pos(4, 17)},
			byRest:    []emitted{{"r-1", &registry.Placed{Order: o1, Seq: pos(0, 0)}}},
			byUser:    []emitted{{"u-1", &registry.Placed{Order: o1, Seq: pos(0, 0)}}},
			entry:     entry1,
		},
		{
			name: "another new order", orderID: "o-2",
			placement: ingest.Placement{Order: o2, Source: pos(4, 18)},
			byRest:    []emitted{{"r-1", &registry.Placed{Order: o2, Seq: pos(0, 1)}}},
			byUser:    []emitted{{"u-2", &registry.Placed{Order: o2, Seq: pos(0, 1)}}},
			entry: &registry.Entry{
				OrderID: "o-2", RestaurantID: "r-1", UserID: "u-2", TotalCents: 2800,
				PlacedAt: o2.PlacedAt, Source: pos(4, 18), At: pos(0, 1), Digest: o2.Digest(),
			},
		},
		{
			name: "duplicate from another record", orderID: "o-1",
			placement:  ingest.Placement{Order: o1Again, Source: pos(1, 3)},
			duplicates: []string{"o-1"},
			conflicts:  []string{`o-1: restaurant_id "r-2", first "r-1", user_id "u-2", first "u-1"`},
			entry:      entry1,
		},
		{
			name: "same record repeated by ingest", orderID: "o-1",
			placement: ingest.Placement{Order: o1, Source: pos(4, 17)},
			entry:     entry1,
		},
		{
			name: "duplicate with the same content", orderID: "o-1",
			placement:  ingest.Placement{Order: o1, Source: pos(4, 99)},
			duplicates: []string{"o-1"},
			entry:      entry1,
		},
		{
			name: "retry with a new placed_at", orderID: "o-1",
			placement:  ingest.Placement{Order: o1Retry, Source: pos(4, 100)},
			duplicates: []string{"o-1"},
			entry:      entry1,
		},
		{
			name: "other items, same total", orderID: "o-1",
			placement:  ingest.Placement{Order: o1Items, Source: pos(4, 101)},
			duplicates: []string{"o-1"},
			conflicts:  []string{"o-1: other items"},
			entry:      entry1,
		},
	}

	tt := tester.New(t)
	dups, conflicts := new(duplicates), new(duplicates)
	testutil.StartProcessor(t, tt, registry.Define(registry.Hooks{
		Duplicate: dups.record,
		Conflict:  func(id, detail string) { conflicts.record(id + ": " + detail) },
	}))
	byRest := tt.NewQueueTracker(string(registry.ByRestaurant))
	byUser := tt.NewQueueTracker(string(registry.ByUser))
	requests := tt.NewQueueTracker(string(lifecycle.Requests))
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			before, beforeConflicts := len(dups.got()), len(conflicts.got())
			tt.Consume(string(ingest.Output), s.orderID, &s.placement)
			if got := drain(t, byRest); !reflect.DeepEqual(got, s.byRest) {
				t.Errorf("placed-by-restaurant = %+v, want %+v", got, s.byRest)
			}
			if got := drain(t, byUser); !reflect.DeepEqual(got, s.byUser) {
				t.Errorf("placed-by-user = %+v, want %+v", got, s.byUser)
			}
			var wantRequests []lifecycle.Request
			for _, e := range s.byRest {
				wantRequests = append(wantRequests, *registry.PlacedRequest(&e.Placed.Order))
			}
			if got := testutil.Drain[lifecycle.Request](t, requests, s.orderID); !reflect.DeepEqual(got, wantRequests) {
				t.Errorf("status-requests = %+v, want %+v", got, wantRequests)
			}
			if got := dups.got()[before:]; !slices.Equal(got, s.duplicates) {
				t.Errorf("Duplicate hook calls = %v, want %v", got, s.duplicates)
			}
			if got := conflicts.got()[beforeConflicts:]; !slices.Equal(got, s.conflicts) {
				t.Errorf("Conflict hook calls = %q, want %q", got, s.conflicts)
			}
			if got := tt.TableValue(registry.Table, s.orderID); !reflect.DeepEqual(got, s.entry) {
				t.Errorf("registry-table[%s] = %+v, want %+v", s.orderID, got, s.entry)
			}
		})
	}
}

// TestRegisterRedelivery replays a message the registry applied before a
// crash: the table already holds the entry written at this very position.
// Its writes are repeated, with the same Seq, and it is no duplicate.
func TestRegisterRedelivery(t *testing.T) {
	tt := tester.New(t)
	dups, conflicts := new(duplicates), new(duplicates)
	testutil.StartProcessor(t, tt, registry.Define(registry.Hooks{
		Duplicate: dups.record,
		Conflict:  func(id, detail string) { conflicts.record(id + ": " + detail) },
	}))
	byRest := tt.NewQueueTracker(string(registry.ByRestaurant))
	byUser := tt.NewQueueTracker(string(registry.ByUser))

	o := newOrder("o-7", "r-3", "u-3")
	tt.Consume(string(ingest.Output), "o-0", &ingest.Placement{Order: newOrder("o-0", "r-0", "u-0"), Source: pos(0, 0)})
	drain(t, byRest)
	drain(t, byUser)

	next := tt.NewQueueTracker(string(ingest.Output)).Hwm() // where the replay lands
	stored := &registry.Entry{
		OrderID: "o-7", RestaurantID: "r-3", UserID: "u-3", TotalCents: 2800,
		PlacedAt: o.PlacedAt, Source: pos(2, 40), At: pos(0, next),
	}
	tt.SetTableValue(registry.Table, "o-7", stored)
	tt.Consume(string(ingest.Output), "o-7", &ingest.Placement{Order: o, Source: pos(2, 40)})

	want := &registry.Placed{Order: o, Seq: pos(0, next)}
	if got := drain(t, byRest); !reflect.DeepEqual(got, []emitted{{"r-3", want}}) {
		t.Errorf("placed-by-restaurant = %+v, want %+v", got, want)
	}
	if got := drain(t, byUser); !reflect.DeepEqual(got, []emitted{{"u-3", want}}) {
		t.Errorf("placed-by-user = %+v, want %+v", got, want)
	}
	if got := dups.got(); len(got) != 0 {
		t.Errorf("Duplicate hook calls = %v, want none", got)
	}
	if got := tt.TableValue(registry.Table, "o-7"); !reflect.DeepEqual(got, stored) {
		t.Errorf("registry-table[o-7] = %+v, want %+v", got, stored)
	}
}

func TestRegisterNilHooks(t *testing.T) {
	tt := tester.New(t)
	testutil.StartProcessor(t, tt, registry.Define(registry.Hooks{}))
	byUser := tt.NewQueueTracker(string(registry.ByUser))
	p := &ingest.Placement{Order: newOrder("o-1", "r", "u"), Source: pos(0, 0)}
	tt.Consume(string(ingest.Output), "o-1", p)
	p.Source = pos(0, 1)
	tt.Consume(string(ingest.Output), "o-1", p) // a duplicate, with no hook to call
	if got := drain(t, byUser); len(got) != 1 {
		t.Errorf("placed-by-user has %d messages, want 1", len(got))
	}
}

func TestPlacedRequest(t *testing.T) {
	o := newOrder("o-1", "r-1", "u-1")
	want := &lifecycle.Request{
		OrderID: "o-1", Status: order.StatusPlaced, At: o.PlacedAt,
		RestaurantID: "r-1", UserID: "u-1", TotalCents: 2800,
	}
	if got := registry.PlacedRequest(&o); !reflect.DeepEqual(got, want) {
		t.Errorf("PlacedRequest() = %+v, want %+v", got, want)
	}
}

func TestJudge(t *testing.T) {
	entry := &registry.Entry{OrderID: "o-1", Source: pos(1, 10), At: pos(2, 20)}
	tests := []struct {
		name   string
		entry  *registry.Entry
		source exactly.Pos
		at     exactly.Pos
		want   registry.Verdict
	}{
		{"first sighting", nil, pos(1, 10), pos(2, 20), registry.New},
		{"first sighting at zero", nil, pos(0, 0), pos(0, 0), registry.New},
		{"same registry position", entry, pos(1, 10), pos(2, 20), registry.Redelivery},
		{"position decides before source", entry, pos(9, 9), pos(2, 20), registry.Redelivery},
		{"same source, later position", entry, pos(1, 10), pos(2, 21), registry.Repeat},
		{"same source, other partition", entry, pos(1, 10), pos(3, 20), registry.Repeat},
		{"other source offset", entry, pos(1, 11), pos(2, 21), registry.Duplicate},
		{"other source partition", entry, pos(0, 10), pos(2, 21), registry.Duplicate},
		{"zero entry positions", &registry.Entry{}, pos(0, 1), pos(0, 1), registry.Duplicate},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &ingest.Placement{Order: newOrder("o-1", "r", "u"), Source: tc.source}
			if got := registry.Judge(tc.entry, p, tc.at); got != tc.want {
				t.Errorf("Judge() = %d, want %d", got, tc.want)
			}
		})
	}
}
