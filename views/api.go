package views

import (
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/supervise"
	"github.com/orderstream/orderstream/processors/global"
	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/user"
	"github.com/orderstream/orderstream/processors/window"
)

// TopItem is a menu item in a restaurant's ranking.
type TopItem struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

// RestaurantResponse is a restaurant as the API shows it: the statistics
// without the bookkeeping the processor needs (applied positions, the full
// item counts, the open order ids), with its name and cuisine from the
// catalog (empty when the catalog lacks it). OrdersPerMinute, the placed
// orders of the last 60 minutes by minute, oldest first, is on the
// restaurant's own page only, not in lists.
type RestaurantResponse struct {
	RestaurantID    string         `json:"restaurant_id"`
	Name            string         `json:"name"`
	Cuisine         string         `json:"cuisine"`
	Orders          int64          `json:"orders"`
	RevenueCents    int64          `json:"revenue_cents"`
	Items           int64          `json:"items"`
	AvgOrderCents   int64          `json:"avg_order_cents"`
	FirstOrderAt    time.Time      `json:"first_order_at"`
	LastOrderAt     time.Time      `json:"last_order_at"`
	TopItems        []TopItem      `json:"top_items"`
	Accepted        int64          `json:"accepted"`
	Rejected        int64          `json:"rejected"`
	Cancelled       int64          `json:"cancelled"`
	Delivered       int64          `json:"delivered"`
	Open            int64          `json:"open"`
	AvgPrepMs       int64          `json:"avg_prep_ms"`
	AvgDeliveryMs   int64          `json:"avg_delivery_ms"`
	OrdersPerMinute []window.Point `json:"orders_per_minute,omitempty"`
}

// RestaurantsResponse is the body of GET /api/restaurants.
type RestaurantsResponse struct {
	Restaurants []RestaurantResponse `json:"restaurants"`
}

// UserResponse is a user as the API shows it.
type UserResponse struct {
	UserID              string    `json:"user_id"`
	Orders              int64     `json:"orders"`
	SpentCents          int64     `json:"spent_cents"`
	FavouriteRestaurant string    `json:"favourite_restaurant"`
	LastOrderAt         time.Time `json:"last_order_at"`
}

// StatsResponse is the body of GET /api/stats: the totals of placed
// orders, the counts of what became of them, and the placed orders of the
// last 60 minutes by minute, oldest first.
type StatsResponse struct {
	Orders          int64            `json:"orders"`
	RevenueCents    int64            `json:"revenue_cents"`
	Items           int64            `json:"items"`
	Restaurants     int64            `json:"restaurants"`
	Users           int64            `json:"users"`
	TopRestaurants  []RankedResponse `json:"top_restaurants"`
	Accepted        int64            `json:"accepted"`
	Rejected        int64            `json:"rejected"`
	Cancelled       int64            `json:"cancelled"`
	Delivered       int64            `json:"delivered"`
	Open            int64            `json:"open"`
	OrdersPerMinute []window.Point   `json:"orders_per_minute"`
}

// RankedResponse is a restaurant of the ranking in /api/stats, named from
// the catalog as in the list (empty when the catalog lacks it).
type RankedResponse struct {
	RestaurantID string `json:"restaurant_id"`
	Name         string `json:"name"`
	Cuisine      string `json:"cuisine"`
	RevenueCents int64  `json:"revenue_cents"`
	Orders       int64  `json:"orders"`
}

// HealthResponse is the body of /healthz.
type HealthResponse struct {
	Status string `json:"status"`
}

func newRestaurantResponse(s *restaurant.Stats) RestaurantResponse {
	top := make([]TopItem, len(s.TopItems))
	for i, it := range s.TopItems {
		top[i] = TopItem{SKU: it.SKU, Qty: it.Qty}
	}
	return RestaurantResponse{
		RestaurantID:  s.RestaurantID,
		Orders:        s.Orders,
		RevenueCents:  s.RevenueCents,
		Items:         s.Items,
		AvgOrderCents: s.AvgOrderCents,
		FirstOrderAt:  ms(s.FirstOrderAt),
		LastOrderAt:   ms(s.LastOrderAt),
		TopItems:      top,
		Accepted:      s.Accepted,
		Rejected:      s.Rejected,
		Cancelled:     s.Cancelled,
		Delivered:     s.Delivered,
		Open:          s.Open,
		AvgPrepMs:     s.AvgPrepMs,
		AvgDeliveryMs: s.AvgDeliveryMs,
	}
}

// ms is t as every API answer shows a time: UTC, to the millisecond.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

func newStatsResponse(sum global.Summary, now time.Time) StatsResponse {
	top := make([]RankedResponse, len(sum.TopRestaurants))
	for i, r := range sum.TopRestaurants {
		top[i] = RankedResponse{RestaurantID: r.RestaurantID, RevenueCents: r.RevenueCents, Orders: r.Orders}
	}
	return StatsResponse{
		Orders:          sum.Orders,
		RevenueCents:    sum.RevenueCents,
		Items:           sum.Items,
		Restaurants:     sum.Restaurants,
		Users:           sum.Users,
		TopRestaurants:  top,
		Accepted:        sum.Accepted,
		Rejected:        sum.Rejected,
		Cancelled:       sum.Cancelled,
		Delivered:       sum.Delivered,
		Open:            sum.Open,
		OrdersPerMinute: window.Series(sum.PerMinute, now),
	}
}

func newUserResponse(s *user.Stats) UserResponse {
	return UserResponse{
		UserID:              s.UserID,
		Orders:              s.Orders,
		SpentCents:          s.SpentCents,
		FavouriteRestaurant: s.FavouriteRestaurant,
		LastOrderAt:         ms(s.LastOrderAt),
	}
}

// api serves the JSON endpoints over the views.
type api struct {
	views    *Set
	logger   *slog.Logger
	hub      *Hub
	requests Requester
	now      func() time.Time
	// bodies holds the last body of GET /api/restaurants/{id} per id, a
	// *restaurantBody.
	bodies sync.Map
}

// restaurantBody is a rendered restaurant and what it was made of: the
// view's value (shared and never changed, so the same pointer means the
// same statistics), the catalog's name and cuisine, and the minute of the
// orders_per_minute series.
type restaurantBody struct {
	stats         *restaurant.Stats
	name, cuisine string
	minute        time.Time
	body          []byte
}

// restaurantBody returns the body of resp, made from s at now, rendering it
// unless the last body of the restaurant was made of the same.
func (a *api) restaurantBody(s *restaurant.Stats, resp *RestaurantResponse, now time.Time) ([]byte, error) {
	want := restaurantBody{stats: s, name: resp.Name, cuisine: resp.Cuisine, minute: window.Start(now)}
	if last, ok := a.bodies.Load(s.RestaurantID); ok {
		if b := last.(*restaurantBody); b.stats == want.stats && b.name == want.name && b.cuisine == want.cuisine && b.minute.Equal(want.minute) {
			return b.body, nil
		}
	}
	resp.OrdersPerMinute = window.Series(s.PerMinute.Buckets, now)
	body, err := httpjson.Body(resp)
	if err != nil {
		return nil, err
	}
	want.body = body
	a.bodies.Store(s.RestaurantID, &want)
	return body, nil
}

// named adds the catalog's name and cuisine to resp. A restaurant the
// catalog lacks still counts, without a name; so does one whose name
// cannot be read now.
func (a *api) named(resp *RestaurantResponse) {
	resp.Name, resp.Cuisine = a.name(resp.RestaurantID)
}

// name is the catalog's name and cuisine of restaurant id, empty if it
// has none or cannot be read now.
func (a *api) name(id string) (name, cuisine string) {
	c, err := a.views.Catalog().Get(id)
	switch {
	case err == nil:
		return c.Name, c.Cuisine
	case !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrUnavailable):
		a.logger.Warn("catalog read failed", "restaurant_id", id, "err", err)
	}
	return "", ""
}

func (a *api) restaurant(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "restaurant id: %v", err)
		return
	}
	s, err := a.views.Restaurants().Get(id)
	if err != nil {
		a.fail(w, r, err, "restaurant %q not found", id)
		return
	}
	resp := newRestaurantResponse(s)
	a.named(&resp)
	body, err := a.restaurantBody(s, &resp, a.now())
	if err != nil {
		httpjson.WriteUnencodable(w)
		return
	}
	httpjson.Write(w, http.StatusOK, body)
}

func (a *api) restaurants(w http.ResponseWriter, r *http.Request) {
	q, err := parseListQuery(r.URL.RawQuery)
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	list, err := a.views.Restaurants().List(q.by, q.limit)
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	resp := RestaurantsResponse{Restaurants: make([]RestaurantResponse, len(list))}
	for i, s := range list {
		resp.Restaurants[i] = newRestaurantResponse(s)
		a.named(&resp.Restaurants[i])
	}
	httpjson.WriteJSON(w, http.StatusOK, resp)
}

func (a *api) user(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "user id: %v", err)
		return
	}
	s, err := a.views.Users().Get(id)
	if err != nil {
		a.fail(w, r, err, "user %q not found", id)
		return
	}
	httpjson.WriteJSON(w, http.StatusOK, newUserResponse(s))
}

func (a *api) stats(w http.ResponseWriter, r *http.Request) {
	sum, err := a.views.Global().Summary()
	if err != nil {
		a.fail(w, r, err, "")
		return
	}
	resp := newStatsResponse(sum, a.now())
	for i := range resp.TopRestaurants {
		r := &resp.TopRestaurants[i]
		r.Name, r.Cuisine = a.name(r.RestaurantID)
	}
	httpjson.WriteJSON(w, http.StatusOK, resp)
}

func (a *api) healthz(w http.ResponseWriter, _ *http.Request) {
	httpjson.WriteJSON(w, http.StatusOK, HealthResponse{Status: "ok"})
}

// readyz answers /readyz for the views alone, when no supervisor's Board
// was given, in the Board's shape (supervise.Readiness).
func (a *api) readyz(w http.ResponseWriter, r *http.Request) {
	b := new(supervise.Board)
	for _, c := range a.views.Components() {
		b.Observe(c.Name, c.Ready)
	}
	b.ServeHTTP(w, r)
}

// fail answers a view error: 404 for a missing key (with notFound, a
// format for the message, and args), 503 while a view is unavailable, and
// 500 for what remains, which only broken storage or a table value of the
// wrong shape can cause, never a request.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error, notFound string, args ...any) {
	switch {
	case errors.Is(err, ErrNotFound) && notFound != "":
		httpjson.WriteError(w, http.StatusNotFound, notFound, args...)
	case errors.Is(err, ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		httpjson.WriteError(w, http.StatusServiceUnavailable, "%v", err)
	default:
		a.logger.Error("view read failed", "path", r.URL.Path, "err", err)
		httpjson.WriteError(w, http.StatusInternalServerError, "internal error reading the views")
	}
}
