package processors_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/purge"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
	"github.com/orderstream/orderstream/processors/window"
)

func TestAll(t *testing.T) {
	want := []string{"ingest", "lifecycle", "restaurant", "user", "global", "inbox"}
	if got := processors.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v (upstream first)", got, want)
	}
	for i, g := range processors.Graphs() {
		if string(g.Group()) != want[i] {
			t.Errorf("Graphs()[%d] = %s, want %s", i, g.Group(), want[i])
		}
		if err := g.Validate(); err != nil {
			t.Errorf("graph %s: %v", g.Group(), err)
		}
	}
	// Only ingest needs options: it must see null records. Nothing runs
	// beside the processors unless orders are retired.
	for _, p := range processors.All(processors.Hooks{}) {
		if n := len(p.Options); (p.Name() == "ingest") != (n > 0) {
			t.Errorf("%s has %d options", p.Name(), n)
		}
		if p.Tend != nil {
			t.Errorf("%s has a Tend without a retention", p.Name())
		}
	}
	for _, p := range processors.AllWith(processors.Config{AuditRetention: time.Hour}) {
		if (p.Name() == "lifecycle") != (p.Tend != nil) {
			t.Errorf("with a retention, %s has Tend %v", p.Name(), p.Tend != nil)
		}
	}
}

// TestHandoffs: the streams process purges are read by one group each,
// and are provisioned as purged; no other topic is.
func TestHandoffs(t *testing.T) {
	want := []purge.Stream{
		{Topic: string(streams.ByRestaurant), Readers: []string{string(restaurant.Group)}},
		{Topic: string(streams.ByUser), Readers: []string{string(user.Group)}},
		{Topic: string(streams.Deltas), Readers: []string{string(global.Group)}},
	}
	if got := processors.Handoffs(); !reflect.DeepEqual(got, want) {
		t.Errorf("Handoffs() = %v, want %v", got, want)
	}
	var purged []string
	for _, s := range processors.Topics() {
		if s.Purged {
			purged = append(purged, s.Name)
		}
	}
	if want := []string{"global-deltas", "placed-by-user", "status-by-restaurant"}; !reflect.DeepEqual(purged, want) {
		t.Errorf("topics provisioned as purged: %v, want %v", purged, want)
	}
}

func TestSelect(t *testing.T) {
	all := processors.All(processors.Hooks{})
	names := func(ps []processors.Processor) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.Name())
		}
		return out
	}
	tests := []struct {
		name    string
		only    []string
		want    []string
		wantErr string
	}{
		{"none means all", nil, []string{"ingest", "lifecycle", "restaurant", "user", "global", "inbox"}, ""},
		{"in the order asked", []string{"global", "ingest"}, []string{"global", "ingest"}, ""},
		{"spaces trimmed", []string{" user ", "\trestaurant"}, []string{"user", "restaurant"}, ""},
		{"unknown", []string{"ingest", "billing"}, nil, `unknown processor "billing" (have ingest, lifecycle, restaurant, user, global, inbox)`},
		{"empty name", []string{""}, nil, `unknown processor "" (have ingest, lifecycle, restaurant, user, global, inbox)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := processors.Select(all, tc.only)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Select() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Select() error = %v", err)
			}
			if !slices.Equal(names(got), tc.want) {
				t.Errorf("Select() = %v, want %v", names(got), tc.want)
			}
		})
	}
}

// hooks records every decision of the topology.
type hooks struct {
	mu         sync.Mutex
	invalid    map[order.Reason]int
	duplicates []string
}

func (h *hooks) Hooks() processors.Hooks {
	var hs processors.Hooks
	hs.Ingest.Invalid = func(r order.Reason, _ error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.invalid == nil {
			h.invalid = map[order.Reason]int{}
		}
		h.invalid[r]++
	}
	hs.Lifecycle.Duplicate = func(id string) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.duplicates = append(h.duplicates, id)
	}
	return hs
}

// record is one record written to "orders".
type record struct {
	key   string
	value []byte // nil: a Kafka null record
	valid bool   // what the generator meant
}

var (
	t0   = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)
	menu = []order.Item{
		{SKU: "pizza", PriceCents: 1250}, {SKU: "pasta", PriceCents: 1100}, {SKU: "salad", PriceCents: 850},
		{SKU: "soup", PriceCents: 600}, {SKU: "cola", PriceCents: 300}, {SKU: "water", PriceCents: 0},
		{SKU: "tiramisu", PriceCents: 650}, {SKU: "espresso", PriceCents: 250},
	}
)

// generate writes n records: new orders, exact producer retries, client
// retries that reuse an order id with other content, and invalid records.
func generate(rng *rand.Rand, n int) []record {
	var out []record
	var valid []record
	newOrder := func(i int) order.Order {
		o := order.Order{
			OrderID:      fmt.Sprintf("o-%04d", i),
			RestaurantID: fmt.Sprintf("r-%02d", rng.IntN(14)),
			UserID:       fmt.Sprintf("u-%02d", rng.IntN(20)),
			PlacedAt:     t0.Add(time.Duration(rng.IntN(24*60)) * time.Minute), // not in order
		}
		for range 1 + rng.IntN(4) {
			it := menu[rng.IntN(len(menu))]
			it.Qty = int64(1 + rng.IntN(3))
			o.Items = append(o.Items, it)
		}
		o.TotalCents = order.Sum(o.Items)
		return o
	}
	marshal := func(o order.Order) []byte {
		data, err := json.Marshal(o)
		if err != nil {
			panic(err)
		}
		return data
	}
	for i := range n {
		switch k := rng.IntN(10); {
		case k < 6 || len(valid) == 0: // a new order
			o := newOrder(i)
			r := record{key: o.RestaurantID, value: marshal(o), valid: true}
			out, valid = append(out, r), append(valid, r)
		case k == 6: // a producer retry: the very same record
			out = append(out, valid[rng.IntN(len(valid))])
		case k == 7: // a client retry with an order id seen before
			var prev order.Order
			if err := json.Unmarshal(valid[rng.IntN(len(valid))].value, &prev); err != nil {
				panic(err)
			}
			o := newOrder(i)
			o.OrderID = prev.OrderID
			out = append(out, record{key: o.RestaurantID, value: marshal(o), valid: true})
		default: // invalid
			o := newOrder(i)
			var value []byte
			switch rng.IntN(6) {
			case 0:
				value = []byte(`{"order_id":`)
			case 1:
				value = nil
			case 2:
				o.TotalCents++
				value = marshal(o)
			case 3:
				o.Items[0].Qty = 0
				o.TotalCents = order.Sum(o.Items)
				value = marshal(o)
			case 4:
				o.UserID = ""
				value = marshal(o)
			case 5:
				o.PlacedAt = time.Time{}
				value = marshal(o)
			}
			out = append(out, record{key: o.RestaurantID, value: value})
		}
	}
	return out
}

// expected recomputes every table directly from the records.
type expected struct {
	restaurants map[string]*restaurant.Stats
	users       map[string]*user.Stats
	summary     global.Summary
	invalid     int
	duplicates  []string
	// statuses is where each order ends without kitchen or courier: each
	// restaurant accepts up to its capacity, then rejects.
	statuses map[string]order.Status
	// notified counts the notifications of each user.
	notified map[string]int
}

func recompute(t *testing.T, records []record) expected {
	t.Helper()
	e := expected{
		restaurants: map[string]*restaurant.Stats{}, users: map[string]*user.Stats{},
		statuses: map[string]order.Status{}, notified: map[string]int{},
	}
	var minutes window.Counts // of the one global shard of placed orders
	seen := map[string]bool{}
	var accepted int64 // offset on status-requests
	var all []streams.Ranked
	for _, r := range records {
		o, err := order.Parse(r.value)
		if (err == nil) != r.valid {
			t.Fatalf("generator meant valid=%v, Parse says %v for %s", r.valid, err, r.value)
		}
		if err != nil {
			e.invalid++
			continue
		}
		seq := exactly.Pos{Partition: 0, Offset: accepted}
		accepted++
		if seen[o.OrderID] {
			e.duplicates = append(e.duplicates, o.OrderID)
			continue
		}
		seen[o.OrderID] = true

		rs := e.restaurants[o.RestaurantID]
		if rs == nil {
			rs = &restaurant.Stats{RestaurantID: o.RestaurantID, First: seq, FirstOrderAt: o.PlacedAt, LastOrderAt: o.PlacedAt, ItemQty: map[string]int64{}}
			e.restaurants[o.RestaurantID] = rs
			e.summary.Restaurants++
		}
		rs.Orders++
		rs.RevenueCents += o.TotalCents
		rs.AvgOrderCents = rs.RevenueCents / rs.Orders
		for _, it := range o.Items {
			rs.Items += it.Qty
			rs.ItemQty[it.SKU] += it.Qty
		}
		if o.PlacedAt.Before(rs.FirstOrderAt) {
			rs.FirstOrderAt = o.PlacedAt
		}
		if o.PlacedAt.After(rs.LastOrderAt) {
			rs.LastOrderAt = o.PlacedAt
		}
		rs.Applied = exactly.Applied{0: seq.Offset}
		rs.PerMinute.Add(o.PlacedAt, 1)
		minutes.Add(o.PlacedAt, 1)
		if len(rs.OpenOrders) < restaurant.DefaultCapacity {
			rs.OpenOrders = append(rs.OpenOrders, o.OrderID)
			rs.Accepted++
			e.summary.Accepted++
			e.summary.Open++
			e.statuses[o.OrderID] = order.StatusAccepted
		} else {
			rs.Rejected++
			e.summary.Rejected++
			e.statuses[o.OrderID] = order.StatusRejected
		}
		rs.Open = int64(len(rs.OpenOrders))
		e.notified[o.UserID] = min(e.notified[o.UserID]+2, inbox.Size)

		us := e.users[o.UserID]
		if us == nil {
			us = &user.Stats{UserID: o.UserID, First: seq, Restaurants: map[string]int64{}}
			e.users[o.UserID] = us
			e.summary.Users++
		}
		us.Orders++
		us.SpentCents += o.TotalCents
		us.Restaurants[o.RestaurantID]++
		if o.PlacedAt.After(us.LastOrderAt) {
			us.LastOrderAt = o.PlacedAt
		}
		us.Applied = exactly.Applied{0: seq.Offset}

		e.summary.Orders++
		e.summary.RevenueCents += o.TotalCents
		e.summary.Items += o.Quantity()
	}
	e.summary.PerMinute = minutes.Buckets
	for _, rs := range e.restaurants {
		sort.Strings(rs.OpenOrders)
		var top []restaurant.ItemCount
		for sku, q := range rs.ItemQty {
			top = append(top, restaurant.ItemCount{SKU: sku, Qty: q})
		}
		sort.Slice(top, func(i, j int) bool {
			return top[i].Qty > top[j].Qty || (top[i].Qty == top[j].Qty && top[i].SKU < top[j].SKU)
		})
		rs.TopItems = top[:min(len(top), restaurant.TopItems)]
		all = append(all, streams.Ranked{RestaurantID: rs.RestaurantID, RevenueCents: rs.RevenueCents, Orders: rs.Orders})
	}
	for _, us := range e.users {
		var ids []string
		for id := range us.Restaurants {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if us.Restaurants[id] > us.Restaurants[us.FavouriteRestaurant] {
				us.FavouriteRestaurant = id
			}
		}
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := all[i], all[j]
		if a.RevenueCents != b.RevenueCents {
			return a.RevenueCents > b.RevenueCents
		}
		if a.Orders != b.Orders {
			return a.Orders > b.Orders
		}
		return a.RestaurantID < b.RestaurantID
	})
	e.summary.TopRestaurants = all[:min(len(all), global.TopN)]
	return e
}

// TestTopology runs every processor in one tester: every record goes
// through ingest, the lifecycle and back and forth with the restaurant,
// user, global and inbox within one Consume.
func TestTopology(t *testing.T) {
	const n = 400
	records := generate(rand.New(rand.NewPCG(1, 2)), n)
	want := recompute(t, records)
	if len(want.duplicates) == 0 || want.invalid == 0 || len(want.restaurants) <= global.TopN {
		t.Fatalf("generator too tame: %d duplicates, %d invalid, %d restaurants", len(want.duplicates), want.invalid, len(want.restaurants))
	}

	tt := tester.New(t)
	h := new(hooks)
	for _, p := range processors.All(h.Hooks()) {
		testutil.StartProcessor(t, tt, p.Graph.GroupGraph, p.Options...)
	}

	dlq := tt.NewQueueTracker(string(ingest.DLQ))
	for _, r := range records {
		if r.value == nil {
			tt.Consume(string(order.Stream), r.key, nil)
		} else {
			tt.Consume(string(order.Stream), r.key, r.value)
		}
	}

	// Restaurant and user tables, key by key. Where the orders and the
	// lifecycle's updates were in its input depends on how the tester
	// interleaves ingest's placed requests with the restaurant's answers:
	// the positions (First, Applied, StatusApplied) are only required to
	// be set.
	got := map[string]*restaurant.Stats{}
	for _, k := range tt.GetTableKeys(restaurant.Table) {
		rs := *tt.TableValue(restaurant.Table, k).(*restaurant.Stats)
		if len(rs.StatusApplied) != 1 || len(rs.Applied) != 1 {
			t.Errorf("restaurant-table[%s]: Applied %v, StatusApplied %v, want one partition", k, rs.Applied, rs.StatusApplied)
		}
		rs.First, rs.Applied, rs.StatusApplied = exactly.Pos{}, nil, nil
		got[k] = &rs
	}
	for _, rs := range want.restaurants {
		rs.First, rs.Applied = exactly.Pos{}, nil
	}
	if !reflect.DeepEqual(got, want.restaurants) {
		for k, w := range want.restaurants {
			if !reflect.DeepEqual(got[k], w) {
				t.Errorf("restaurant-table[%s] =\n%+v\nwant\n%+v", k, got[k], w)
			}
		}
		t.Errorf("restaurant-table: %d restaurants, want %d", len(got), len(want.restaurants))
	}
	gotUsers := map[string]*user.Stats{}
	for _, k := range tt.GetTableKeys(user.Table) {
		us := *tt.TableValue(user.Table, k).(*user.Stats)
		if len(us.Applied) != 1 {
			t.Errorf("user-table[%s]: Applied %v, want one partition", k, us.Applied)
		}
		us.First, us.Applied = exactly.Pos{}, nil
		gotUsers[k] = &us
	}
	for _, us := range want.users {
		us.First, us.Applied = exactly.Pos{}, nil
	}
	if !reflect.DeepEqual(gotUsers, want.users) {
		for k, w := range want.users {
			if !reflect.DeepEqual(gotUsers[k], w) {
				t.Errorf("user-table[%s] =\n%+v\nwant\n%+v", k, gotUsers[k], w)
			}
		}
		t.Errorf("user-table: %d users, want %d", len(gotUsers), len(want.users))
	}

	// The lifecycle table: every order where its restaurant left it.
	orders := tt.GetTableKeys(lifecycle.Table)
	if len(orders) != len(want.statuses) {
		t.Errorf("lifecycle-table has %d orders, want %d", len(orders), len(want.statuses))
	}
	for id, s := range want.statuses {
		o, _ := tt.TableValue(lifecycle.Table, id).(*lifecycle.Order)
		if o == nil || o.Status != s || len(o.History) != 2 {
			t.Errorf("lifecycle-table[%s] = %+v, want %s after placed", id, o, s)
		}
	}
	// The inboxes: a notification per change.
	for u, n := range want.notified {
		in, _ := tt.TableValue(inbox.Table, u).(*inbox.Inbox)
		if in == nil || len(in.Notifications) != n {
			t.Errorf("inbox-table[%s] = %+v, want %d notifications", u, in, n)
		}
	}

	// The global table: one shard per upstream partition, summed.
	keys := tt.GetTableKeys(global.Table)
	slices.Sort(keys)
	if want := []string{"restaurant/0", "user/0"}; !slices.Equal(keys, want) {
		t.Errorf("global-table keys = %v, want %v", keys, want)
	}
	var shards []*global.Shard
	for _, k := range keys {
		shards = append(shards, tt.TableValue(global.Table, k).(*global.Shard))
	}
	if got := global.Summarize(shards); !reflect.DeepEqual(got, want.summary) {
		t.Errorf("Summarize(global-table) =\n%+v\nwant\n%+v", got, want.summary)
	}

	// Every refusal is accounted for.
	var dead int
	for _, _, ok := dlq.Next(); ok; _, _, ok = dlq.Next() {
		dead++
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var invalid int
	for _, c := range h.invalid {
		invalid += c
	}
	if dead != want.invalid || invalid != want.invalid {
		t.Errorf("%d dead letters, %d Invalid hook calls, want %d", dead, invalid, want.invalid)
	}
	if !slices.Equal(h.duplicates, want.duplicates) {
		t.Errorf("Duplicate hook calls = %v, want %v", h.duplicates, want.duplicates)
	}
	t.Logf("%d records: %d invalid, %d duplicates, %d orders, %d restaurants, %d users",
		len(records), want.invalid, len(want.duplicates), want.summary.Orders, want.summary.Restaurants, want.summary.Users)
}
