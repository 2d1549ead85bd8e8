package views

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/orderstream/orderstream/processors/restaurant"
)

func FuzzParseListQuery(f *testing.F) {
	for _, seed := range []string{
		"", "sort=revenue", "sort=orders&limit=5", "limit=1000", "limit=1001", "limit=0",
		"limit=-1", "limit=+5", "limit=0x10", "limit=1e3", "limit=99999999999999999999",
		"sort=REVENUE", "sort=&limit=", "sort=orders&sort=orders", "limit=%zz", "%", "&&&", ";",
		"sort=revenue;limit=2", "limit=%31%30", "sort=\xff", "limit= 5",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := parseListQuery(raw)
		if err != nil {
			// What the client sent is echoed clipped.
			if msg := err.Error(); len(msg) > 200 {
				t.Errorf("%q: error of %d bytes", raw, len(msg))
			}
			return
		}
		if !q.by.Valid() {
			t.Errorf("%q: sort %q accepted", raw, q.by)
		}
		if q.limit < 1 || q.limit > MaxListLimit {
			t.Errorf("%q: limit %d accepted", raw, q.limit)
		}
	})
}

// FuzzAPI sends arbitrary paths and queries to the API: none may get a 5xx
// or anything but JSON.
func FuzzAPI(f *testing.F) {
	set, tt := newTestSet(f)
	runSet(f, set)
	tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 1, 100))
	h := newTestHandler(f, HandlerConfig{Views: set})
	for _, seed := range []string{
		"/api/restaurants/r1", "/api/restaurants/%FF", "/api/restaurants/a%2Fb", "/api/users/%00",
		"/api/restaurants?sort=orders&limit=3", "/api/restaurants?limit=%", "/api/stats?x",
		"/api/restaurants/" + strings.Repeat("%E2%82%AC", 60), "/api/users/..%2F..", "/api//x", "/readyz",
		"/api/orders/%20%20", "/api/orders/a%00b", "/api/orders/a%0Ab", "/api/orders/%5C", "/api/orders/a%FFb",
		"/api/users/" + strings.Repeat("u", 129) + "/notifications", "/api/nope", "/api/orders/x/cancel",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		if !strings.HasPrefix(target, "/api/") {
			target = "/api/" + target
		}
		req, err := http.NewRequest(http.MethodGet, "http://x"+target, nil)
		if err != nil {
			return // not a request line a client could send
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("GET %q: %d %s", target, rec.Code, rec.Body)
		}
		if rec.Code < 300 || rec.Code >= 400 { // redirects of unclean paths carry HTML
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("GET %q: Content-Type %q", target, ct)
			}
		}
	})
}
