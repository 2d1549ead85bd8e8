package views

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/processors/user"
	"github.com/orderstream/orderstream/processors/window"
)

var (
	t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	t1 = time.Date(2025, 3, 1, 12, 30, 0, 500_000_000, time.UTC)
)

// restaurantStats is a table value with every field set, including the
// bookkeeping the API must not show.
func restaurantStats(id string, orders, revenue int64) *restaurant.Stats {
	return &restaurant.Stats{
		RestaurantID:  id,
		Orders:        orders,
		RevenueCents:  revenue,
		Items:         orders * 2,
		AvgOrderCents: revenue / orders,
		FirstOrderAt:  t0,
		LastOrderAt:   t1,
		TopItems:      []restaurant.ItemCount{{SKU: "pizza", Qty: orders * 2}},
		ItemQty:       map[string]int64{"pizza": orders * 2},
		First:         exactly.Pos{Partition: 1, Offset: 7},
		Applied:       exactly.Applied{1: 9},
		PerMinute: window.Counts{
			Buckets:    []window.Bucket{{Start: t0, Count: 1}, {Start: t1.Truncate(time.Minute), Count: orders - 1}},
			StreamTime: t1,
		},
		Accepted:        orders - 1,
		Rejected:        1,
		Cancelled:       1,
		Ready:           1,
		Delivered:       1,
		Open:            1,
		PrepMsTotal:     90_000,
		DeliveryMsTotal: 600_001,
		AvgPrepMs:       90_000,
		AvgDeliveryMs:   600_001,
		OpenOrders:      []string{"o-9"},
		StatusApplied:   exactly.Applied{0: 4},
	}
}

// series is the orders_per_minute of the last hour at t1 with n orders at
// t0 and m at t1's minute.
func series(n, m int64) string {
	return mustJSON(window.Series([]window.Bucket{{Start: t0, Count: n}, {Start: t1.Truncate(time.Minute), Count: m}}, t1))
}

func TestGetRestaurant(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 4, 10000))
	tt.SetTableValue(restaurant.Table, "empty", &restaurant.Stats{RestaurantID: "empty"})
	tt.SetTableValue(catalog.Table, "r1", &catalog.Restaurant{ID: "r1", Name: "Trattoria Roma", Cuisine: "italian"})
	h := newTestHandler(t, HandlerConfig{Views: set, Now: func() time.Time { return t1 }})

	tests := []struct {
		name     string
		target   string
		wantCode int
		wantBody string
	}{
		{
			name:     "found",
			target:   "/api/restaurants/r1",
			wantCode: http.StatusOK,
			wantBody: `{"restaurant_id":"r1","name":"Trattoria Roma","cuisine":"italian","orders":4,"revenue_cents":10000,"items":8,"avg_order_cents":2500,` +
				`"first_order_at":"2025-03-01T12:00:00Z","last_order_at":"2025-03-01T12:30:00.5Z","top_items":[{"sku":"pizza","qty":8}],` +
				`"accepted":3,"rejected":1,"cancelled":1,"delivered":1,"open":1,"avg_prep_ms":90000,"avg_delivery_ms":600001,` +
				`"orders_per_minute":` + series(1, 3) + `}`,
		},
		{
			name:     "no top items is an empty list",
			target:   "/api/restaurants/empty",
			wantCode: http.StatusOK,
			wantBody: `{"restaurant_id":"empty","name":"","cuisine":"","orders":0,"revenue_cents":0,"items":0,"avg_order_cents":0,` +
				`"first_order_at":"0001-01-01T00:00:00Z","last_order_at":"0001-01-01T00:00:00Z","top_items":[],` +
				`"accepted":0,"rejected":0,"cancelled":0,"delivered":0,"open":0,"avg_prep_ms":0,"avg_delivery_ms":0,` +
				`"orders_per_minute":` + series(0, 0) + `}`,
		},
		{
			name:     "unknown",
			target:   "/api/restaurants/r2",
			wantCode: http.StatusNotFound,
			wantBody: `{"error":"restaurant \"r2\" not found"}`,
		},
		{
			name:     "escaped slash is part of the id",
			target:   "/api/restaurants/a%2Fb",
			wantCode: http.StatusNotFound,
			wantBody: `{"error":"restaurant \"a/b\" not found"}`,
		},
		{
			name:     "too long",
			target:   "/api/restaurants/" + strings.Repeat("x", 129),
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"restaurant id: id longer than 128 bytes"}`,
		},
		{
			name:     "not UTF-8",
			target:   "/api/restaurants/%FF%FE",
			wantCode: http.StatusBadRequest,
			wantBody: `{"error":"restaurant id: id is not valid UTF-8"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, h, http.MethodGet, tc.target)
			checkJSON(t, got, tc.wantCode, tc.wantBody)
		})
	}
}

func TestListRestaurants(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	// b and c tie on revenue, a and c on orders.
	tt.SetTableValue(restaurant.Table, "a", restaurantStats("a", 5, 1000))
	tt.SetTableValue(restaurant.Table, "b", restaurantStats("b", 2, 3000))
	tt.SetTableValue(restaurant.Table, "c", restaurantStats("c", 5, 3000))
	tt.SetTableValue(restaurant.Table, "d", restaurantStats("d", 1, 500))
	h := newTestHandler(t, HandlerConfig{Views: set})

	tests := []struct {
		query    string
		wantIDs  []string
		wantCode int
		wantErr  string
	}{
		{query: "", wantIDs: []string{"c", "b", "a", "d"}},
		{query: "?sort=revenue", wantIDs: []string{"c", "b", "a", "d"}},
		{query: "?sort=orders", wantIDs: []string{"c", "a", "b", "d"}},
		{query: "?sort=orders&limit=2", wantIDs: []string{"c", "a"}},
		{query: "?limit=1", wantIDs: []string{"c"}},
		{query: "?limit=1000", wantIDs: []string{"c", "b", "a", "d"}},
		{query: "?other=1", wantIDs: []string{"c", "b", "a", "d"}},
		{query: "?sort=name", wantCode: 400, wantErr: `sort \"name\": want revenue or orders`},
		{query: "?sort=", wantCode: 400, wantErr: `sort \"\": want revenue or orders`},
		{query: "?sort=orders&sort=revenue", wantCode: 400, wantErr: `sort given 2 times, want once`},
		{query: "?limit=0", wantCode: 400, wantErr: `limit \"0\": want an integer from 1 to 1000`},
		{query: "?limit=1001", wantCode: 400, wantErr: `limit \"1001\": want an integer from 1 to 1000`},
		{query: "?limit=-1", wantCode: 400, wantErr: `limit \"-1\": want an integer from 1 to 1000`},
		{query: "?limit=ten", wantCode: 400, wantErr: `limit \"ten\": want an integer from 1 to 1000`},
		{query: "?limit=99999999999999999999", wantCode: 400, wantErr: `limit \"99999999999999999999\": want an integer from 1 to 1000`},
		{query: "?limit=%zz", wantCode: 400, wantErr: `malformed query string: invalid URL escape \"%zz\"`},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			got := do(t, h, http.MethodGet, "/api/restaurants"+tc.query)
			if tc.wantCode != 0 {
				checkJSON(t, got, tc.wantCode, `{"error":"`+tc.wantErr+`"}`)
				return
			}
			var parts []string
			for _, id := range tc.wantIDs {
				parts = append(parts, restaurantJSON(id))
			}
			checkJSON(t, got, http.StatusOK, `{"restaurants":[`+strings.Join(parts, ",")+`]}`)
		})
	}
}

func TestListRestaurantsEmpty(t *testing.T) {
	set, _ := newTestSet(t)
	runSet(t, set)
	h := newTestHandler(t, HandlerConfig{Views: set})
	checkJSON(t, do(t, h, http.MethodGet, "/api/restaurants"), http.StatusOK, `{"restaurants":[]}`)
}

// restaurantJSON is the API form of restaurantStats(id, ...) for the ids
// of TestListRestaurants.
func restaurantJSON(id string) string {
	s := map[string]*restaurant.Stats{
		"a": restaurantStats("a", 5, 1000),
		"b": restaurantStats("b", 2, 3000),
		"c": restaurantStats("c", 5, 3000),
		"d": restaurantStats("d", 1, 500),
	}[id]
	return mustJSON(newRestaurantResponse(s))
}

func TestGetUser(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(user.Table, "u1", &user.Stats{
		UserID:              "u1",
		Orders:              3,
		SpentCents:          4500,
		FavouriteRestaurant: "r2",
		LastOrderAt:         t1,
		Restaurants:         map[string]int64{"r1": 1, "r2": 2},
		First:               exactly.Pos{Partition: 0, Offset: 1},
		Applied:             exactly.Applied{0: 5},
	})
	h := newTestHandler(t, HandlerConfig{Views: set})

	checkJSON(t, do(t, h, http.MethodGet, "/api/users/u1"), http.StatusOK,
		`{"user_id":"u1","orders":3,"spent_cents":4500,"favourite_restaurant":"r2","last_order_at":"2025-03-01T12:30:00.5Z"}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/users/u2"), http.StatusNotFound, `{"error":"user \"u2\" not found"}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/users/"+strings.Repeat("u", 200)), http.StatusBadRequest,
		`{"error":"user id: id longer than 128 bytes"}`)
}

func TestStats(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	h := newTestHandler(t, HandlerConfig{Views: set, Now: func() time.Time { return t1 }})

	checkJSON(t, do(t, h, http.MethodGet, "/api/stats"), http.StatusOK,
		`{"orders":0,"revenue_cents":0,"items":0,"restaurants":0,"users":0,"top_restaurants":[],`+
			`"accepted":0,"rejected":0,"cancelled":0,"delivered":0,"open":0,"orders_per_minute":`+series(0, 0)+`}`)

	tt.SetTableValue(global.Table, streams.ShardKey(restaurant.Group, 0), &global.Shard{
		Orders: 3, RevenueCents: 6000, Items: 7, Restaurants: 2,
		Top: []streams.Ranked{
			{RestaurantID: "r1", RevenueCents: 5000, Orders: 2},
			{RestaurantID: "r2", RevenueCents: 1000, Orders: 1},
		},
		Applied:   exactly.Applied{0: 3},
		PerMinute: window.Counts{Buckets: []window.Bucket{{Start: t0, Count: 2}, {Start: t1.Truncate(time.Minute), Count: 1}}, StreamTime: t1},
	})
	tt.SetTableValue(global.Table, streams.ShardKey(restaurant.Group, 1), &global.Shard{
		Orders: 1, RevenueCents: 2000, Items: 1, Restaurants: 1,
		Top:       []streams.Ranked{{RestaurantID: "r3", RevenueCents: 2000, Orders: 1}},
		PerMinute: window.Counts{Buckets: []window.Bucket{{Start: t1.Truncate(time.Minute), Count: 1}}, StreamTime: t1},
	})
	tt.SetTableValue(global.Table, streams.ShardKey(user.Group, 0), &global.Shard{Users: 3})
	tt.SetTableValue(catalog.Table, "r1", &catalog.Restaurant{ID: "r1", Name: "Trattoria Roma", Cuisine: "italian"})
	tt.SetTableValue(global.Table, streams.ShardKey(restaurant.Group, 2), &global.Shard{
		Accepted: 3, Rejected: 1, Cancelled: 1, Delivered: 1, Open: 1,
	})
	checkJSON(t, do(t, h, http.MethodGet, "/api/stats"), http.StatusOK,
		`{"orders":4,"revenue_cents":8000,"items":8,"restaurants":3,"users":3,"top_restaurants":[`+
			`{"restaurant_id":"r1","name":"Trattoria Roma","cuisine":"italian","revenue_cents":5000,"orders":2},`+
			`{"restaurant_id":"r3","name":"","cuisine":"","revenue_cents":2000,"orders":1},`+
			`{"restaurant_id":"r2","name":"","cuisine":"","revenue_cents":1000,"orders":1}],`+
			`"accepted":3,"rejected":1,"cancelled":1,"delivered":1,"open":1,"orders_per_minute":`+series(2, 2)+`}`)
}

func TestProbes(t *testing.T) {
	set, _ := newTestSet(t)
	h := newTestHandler(t, HandlerConfig{Views: set})

	checkJSON(t, do(t, h, http.MethodGet, "/healthz"), http.StatusOK, `{"status":"ok"}`)
	checkJSON(t, do(t, h, http.MethodGet, "/readyz"), http.StatusServiceUnavailable,
		`{"status":"not_ready","not_ready":["view/restaurant-table","view/user-table","view/global-table","view/lifecycle-table","view/inbox-table","view/restaurants"],"components":[{"name":"view/restaurant-table","state":"recovering","restarts":0},{"name":"view/user-table","state":"recovering","restarts":0},{"name":"view/global-table","state":"recovering","restarts":0},{"name":"view/lifecycle-table","state":"recovering","restarts":0},{"name":"view/inbox-table","state":"recovering","restarts":0},{"name":"view/restaurants","state":"recovering","restarts":0}]}`)
	// Reads before recovery are unavailable, not errors.
	got := do(t, h, http.MethodGet, "/api/restaurants/r1")
	checkJSON(t, got, http.StatusServiceUnavailable,
		`{"error":"get \"r1\": view restaurant-table still recovering: view unavailable"}`)
	if got.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}

	stop := runSet(t, set)
	checkJSON(t, do(t, h, http.MethodGet, "/readyz"), http.StatusOK,
		`{"status":"ready","components":[{"name":"view/restaurant-table","state":"running","restarts":0},{"name":"view/user-table","state":"running","restarts":0},{"name":"view/global-table","state":"running","restarts":0},{"name":"view/lifecycle-table","state":"running","restarts":0},{"name":"view/inbox-table","state":"running","restarts":0},{"name":"view/restaurants","state":"running","restarts":0}]}`)

	if err := stop(); err != nil {
		t.Fatal(err)
	}
	checkJSON(t, do(t, h, http.MethodGet, "/readyz"), http.StatusServiceUnavailable,
		`{"status":"not_ready","not_ready":["view/restaurant-table","view/user-table","view/global-table","view/lifecycle-table","view/inbox-table","view/restaurants"],"components":[{"name":"view/restaurant-table","state":"recovering","restarts":0},{"name":"view/user-table","state":"recovering","restarts":0},{"name":"view/global-table","state":"recovering","restarts":0},{"name":"view/lifecycle-table","state":"recovering","restarts":0},{"name":"view/inbox-table","state":"recovering","restarts":0},{"name":"view/restaurants","state":"recovering","restarts":0}]}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/stats"), http.StatusServiceUnavailable,
		`{"error":"global summary: iterate global-table: view global-table stopped: view unavailable"}`)
	checkJSON(t, do(t, h, http.MethodGet, "/healthz"), http.StatusOK, `{"status":"ok"}`)
}

// TestGetRestaurantRendersChanges holds the rendered-body cache to what
// the body is made of: the statistics, the catalog and the minute.
func TestGetRestaurantRendersChanges(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	now := t1
	h := newTestHandler(t, HandlerConfig{Views: set, Now: func() time.Time { return now }})
	orders := func() string {
		t.Helper()
		var got struct {
			Name            string         `json:"name"`
			Orders          int64          `json:"orders"`
			OrdersPerMinute []window.Point `json:"orders_per_minute"`
		}
		if err := json.Unmarshal([]byte(do(t, h, http.MethodGet, "/api/restaurants/r1").body), &got); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %d %s", got.Name, got.Orders, got.OrdersPerMinute[0].Minute.Format(time.TimeOnly))
	}
	tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 4, 10000))
	steps := []struct {
		change func()
		want   string
	}{
		{func() {}, " 4 11:31:00"},
		{func() {}, " 4 11:31:00"},
		{func() { tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 5, 10000)) }, " 5 11:31:00"},
		{func() { tt.SetTableValue(catalog.Table, "r1", &catalog.Restaurant{ID: "r1", Name: "Roma"}) }, "Roma 5 11:31:00"},
		{func() { now = now.Add(time.Minute) }, "Roma 5 11:32:00"},
	}
	for i, s := range steps {
		s.change()
		if got := orders(); got != s.want {
			t.Errorf("step %d: got %q, want %q", i, got, s.want)
		}
	}
}
