package views

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// fakeRequester records the requests it is given, or fails with err.
type fakeRequester struct {
	mu   sync.Mutex
	got  []streams.Request
	fail error
}

func (f *fakeRequester) Request(_ context.Context, r *streams.Request) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.got = append(f.got, *r)
	return nil
}

func (f *fakeRequester) requests() []streams.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]streams.Request(nil), f.got...)
}

func auditOrder(id string, steps ...order.Status) *lifecycle.Order {
	o := &lifecycle.Order{OrderID: id, RestaurantID: "r1", UserID: "u1", TotalCents: 2500, Applied: exactly.Applied{0: 9}}
	for i, s := range steps {
		e := lifecycle.Entry{Status: s, At: t0.Add(time.Duration(i) * time.Minute), Seq: exactly.Pos{Offset: int64(i)}}
		if s == order.StatusRejected {
			e.Reason = "full"
		}
		o.History = append(o.History, e)
		o.Status = s
	}
	return o
}

func postBody(t *testing.T, h http.Handler, target, body string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, strings.NewReader(body)))
	return response{code: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func TestGetOrder(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(lifecycle.Table, "o-1", auditOrder("o-1", order.StatusPlaced, order.StatusRejected))
	h := newTestHandler(t, HandlerConfig{Views: set})

	checkJSON(t, do(t, h, http.MethodGet, "/api/orders/o-1"), http.StatusOK,
		`{"order_id":"o-1","restaurant_id":"r1","user_id":"u1","status":"rejected","total_cents":2500,"history":[`+
			`{"status":"placed","at":"2025-03-01T12:00:00Z","reason":""},`+
			`{"status":"rejected","at":"2025-03-01T12:01:00Z","reason":"full"}]}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/orders/o-2"), http.StatusNotFound, `{"error":"order \"o-2\" not found"}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/orders/"+strings.Repeat("o", 129)), http.StatusBadRequest,
		`{"error":"order id: id longer than 128 bytes"}`)
	checkJSON(t, do(t, h, http.MethodDelete, "/api/orders/o-1"), http.StatusMethodNotAllowed,
		`{"error":"method DELETE not allowed on /api/orders/{id}, use GET"}`)

	// Times are shown in UTC to the millisecond, whatever the actors'
	// clocks wrote.
	precise := auditOrder("o-3", order.StatusPlaced, order.StatusAccepted)
	precise.History[0].At = time.Date(2025, 3, 1, 13, 0, 0, 123_456_789, time.FixedZone("CET", 3600))
	precise.History[1].At = t0.Add(time.Minute + 999_999)
	tt.SetTableValue(lifecycle.Table, "o-3", precise)
	checkJSON(t, do(t, h, http.MethodGet, "/api/orders/o-3"), http.StatusOK,
		`{"order_id":"o-3","restaurant_id":"r1","user_id":"u1","status":"accepted","total_cents":2500,"history":[`+
			`{"status":"placed","at":"2025-03-01T12:00:00.123Z","reason":""},`+
			`{"status":"accepted","at":"2025-03-01T12:01:00Z","reason":""}]}`)
}

func TestCancel(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(lifecycle.Table, "placed", auditOrder("placed", order.StatusPlaced))
	tt.SetTableValue(lifecycle.Table, "accepted", auditOrder("accepted", order.StatusPlaced, order.StatusAccepted))
	tt.SetTableValue(lifecycle.Table, "ready", auditOrder("ready", order.StatusPlaced, order.StatusAccepted, order.StatusReady))
	tt.SetTableValue(lifecycle.Table, "cancelled", auditOrder("cancelled", order.StatusPlaced, order.StatusCancelled))
	req := new(fakeRequester)
	h := newTestHandler(t, HandlerConfig{Views: set, Requests: req, Now: func() time.Time { return t1 }})

	tests := []struct {
		name, id, body string
		wantCode       int
		wantBody       string
		wantRequest    *streams.Request
	}{
		{"placed", "placed", "", 202, `{"order_id":"placed","cancel":"requested"}`,
			&streams.Request{OrderID: "placed", Status: order.StatusCancelled, At: t1}},
		{"accepted, with a reason", "accepted", `{"reason":"too slow"}`, 202, `{"order_id":"accepted","cancel":"requested"}`,
			&streams.Request{OrderID: "accepted", Status: order.StatusCancelled, At: t1, Reason: "too slow"}},
		{"ready", "ready", "", 409, `{"error":"order \"ready\" is already ready and can no longer be cancelled"}`, nil},
		{"cancelled", "cancelled", "", 409, `{"error":"order \"cancelled\" is already cancelled"}`, nil},
		{"unknown", "nobody", "", 404, `{"error":"order \"nobody\" not found"}`, nil},
		{"bad body", "placed", `{"reason":`, 400, `{"error":"body: want {\"reason\": \"...\"} or nothing"}`, nil},
		{"long reason", "placed", `{"reason":"` + strings.Repeat("r", 501) + `"}`, 400, `{"error":"reason: want at most 500 bytes of UTF-8"}`, nil},
		{"huge body", "placed", strings.Repeat(" ", MaxCancelBody+1), 400, `{"error":"request body too large"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(req.requests())
			checkJSON(t, postBody(t, h, "/api/orders/"+tc.id+"/cancel", tc.body), tc.wantCode, tc.wantBody)
			got := req.requests()[before:]
			if tc.wantRequest == nil && len(got) != 0 || tc.wantRequest != nil && (len(got) != 1 || got[0] != *tc.wantRequest) {
				t.Errorf("requests %+v, want %+v", got, tc.wantRequest)
			}
		})
	}

	req.fail = errors.New("broker down")
	got := postBody(t, h, "/api/orders/placed/cancel", "")
	checkJSON(t, got, http.StatusServiceUnavailable, `{"error":"cancel of order \"placed\" not sent: the request log is unavailable; retry"}`)
	if got.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}

	// Without a requester there is no such route.
	h = newTestHandler(t, HandlerConfig{Views: set})
	checkJSON(t, postBody(t, h, "/api/orders/placed/cancel", ""), http.StatusNotFound, `{"error":"no route for /api/orders/placed/cancel"}`)
}

func TestNotifications(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(inbox.Table, "u1", &inbox.Inbox{UserID: "u1", Applied: exactly.Applied{0: 3}, Notifications: []inbox.Entry{
		{OrderID: "o-2", RestaurantID: "r1", Status: order.StatusAccepted, Message: "Roma accepted your order o-2.", At: t1},
		{OrderID: "o-2", RestaurantID: "r1", Status: order.StatusPlaced, Message: "Your order o-2 at Roma was placed.", At: t0},
	}})
	h := newTestHandler(t, HandlerConfig{Views: set})

	checkJSON(t, do(t, h, http.MethodGet, "/api/users/u1/notifications"), http.StatusOK,
		`{"user_id":"u1","notifications":[`+
			`{"order_id":"o-2","status":"accepted","message":"Roma accepted your order o-2.","at":"2025-03-01T12:30:00.5Z"},`+
			`{"order_id":"o-2","status":"placed","message":"Your order o-2 at Roma was placed.","at":"2025-03-01T12:00:00Z"}]}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/users/u2/notifications"), http.StatusNotFound, `{"error":"no notifications for user \"u2\""}`)
	checkJSON(t, do(t, h, http.MethodGet, "/api/users/%FF/notifications"), http.StatusBadRequest, `{"error":"user id: id is not valid UTF-8"}`)
}
