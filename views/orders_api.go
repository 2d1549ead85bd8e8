package views

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// Limits of POST /api/orders/{id}/cancel.
const (
	// MaxCancelBody bounds the optional body {"reason": "..."}.
	MaxCancelBody = 4 << 10
	// MaxReasonLen bounds the reason, in bytes.
	MaxReasonLen = 500
	// CancelTimeout bounds the wait for Kafka to take the request.
	CancelTimeout = 10 * time.Second
)

// CancelRequested is the answer to a cancellation that was sent: the
// lifecycle has the final word, since the kitchen may mark the order
// ready first.
const CancelRequested = "requested"

// Requester sends status requests to the lifecycle;
// emitters.Requests is one.
type Requester interface {
	Request(ctx context.Context, r *streams.Request) error
}

// HistoryEntry is one step of an order as the API shows it.
type HistoryEntry struct {
	Status order.Status `json:"status"`
	At     time.Time    `json:"at"`
	Reason string       `json:"reason"`
}

// OrderResponse is the body of GET /api/orders/{id}: the order and its
// history, oldest first.
type OrderResponse struct {
	OrderID      string         `json:"order_id"`
	RestaurantID string         `json:"restaurant_id"`
	UserID       string         `json:"user_id"`
	Status       order.Status   `json:"status"`
	TotalCents   int64          `json:"total_cents"`
	History      []HistoryEntry `json:"history"`
}

// CancelResponse is the body of a 202 to POST /api/orders/{id}/cancel.
type CancelResponse struct {
	OrderID string `json:"order_id"`
	Cancel  string `json:"cancel"`
}

// NotificationResponse is one notification as the API shows it.
type NotificationResponse struct {
	OrderID string       `json:"order_id"`
	Status  order.Status `json:"status"`
	Message string       `json:"message"`
	At      time.Time    `json:"at"`
}

// NotificationsResponse is the body of GET /api/users/{id}/notifications:
// the latest notifications, newest first.
type NotificationsResponse struct {
	UserID        string                 `json:"user_id"`
	Notifications []NotificationResponse `json:"notifications"`
}

func newOrderResponse(o *lifecycle.Order) OrderResponse {
	h := make([]HistoryEntry, len(o.History))
	for i, e := range o.History {
		h[i] = HistoryEntry{Status: e.Status, At: ms(e.At), Reason: e.Reason}
	}
	return OrderResponse{
		OrderID:      o.OrderID,
		RestaurantID: o.RestaurantID,
		UserID:       o.UserID,
		Status:       o.Status,
		TotalCents:   o.TotalCents,
		History:      h,
	}
}

func newNotificationsResponse(in *inbox.Inbox) NotificationsResponse {
	ns := make([]NotificationResponse, len(in.Notifications))
	for i, n := range in.Notifications {
		ns[i] = NotificationResponse{OrderID: n.OrderID, Status: n.Status, Message: n.Message, At: ms(n.At)}
	}
	return NotificationsResponse{UserID: in.UserID, Notifications: ns}
}

func (a *api) order(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "order id: %v", err)
		return
	}
	o, err := a.views.Orders().Get(id)
	if err != nil {
		a.fail(w, r, err, "order %q not found", id)
		return
	}
	httpjson.WriteJSON(w, http.StatusOK, newOrderResponse(o))
}

func (a *api) notifications(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "user id: %v", err)
		return
	}
	in, err := a.views.Inboxes().Get(id)
	if err != nil {
		a.fail(w, r, err, "no notifications for user %q", id)
		return
	}
	httpjson.WriteJSON(w, http.StatusOK, newNotificationsResponse(in))
}

// cancel asks the lifecycle to cancel an order the audit view shows as
// still cancellable. A 202 says the request was sent; whether it wins
// over the kitchen is for the lifecycle to decide, and GET
// /api/orders/{id} tells.
func (a *api) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := checkID(id); err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "order id: %v", err)
		return
	}
	reason, err := cancelReason(http.MaxBytesReader(w, r.Body, MaxCancelBody))
	if err != nil {
		httpjson.WriteError(w, http.StatusBadRequest, "%v", err)
		return
	}
	o, err := a.views.Orders().Get(id)
	if err != nil {
		a.fail(w, r, err, "order %q not found", id)
		return
	}
	switch {
	case o.Status == order.StatusCancelled:
		httpjson.WriteError(w, http.StatusConflict, "order %q is already cancelled", id)
		return
	case !o.Status.Cancellable():
		httpjson.WriteError(w, http.StatusConflict, "order %q is already %s and can no longer be cancelled", id, o.Status)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), CancelTimeout)
	defer cancel()
	req := &streams.Request{OrderID: id, Status: order.StatusCancelled, At: a.now().UTC(), Reason: reason}
	if err := a.requests.Request(ctx, req); err != nil {
		a.logger.Warn("cancel not sent", "order_id", id, "err", err)
		w.Header().Set("Retry-After", "1")
		httpjson.WriteError(w, http.StatusServiceUnavailable, "cancel of order %q not sent: the request log is unavailable; retry", id)
		return
	}
	httpjson.WriteJSON(w, http.StatusAccepted, CancelResponse{OrderID: id, Cancel: CancelRequested})
}

// cancelReason reads the optional body {"reason": "..."}.
func cancelReason(body io.Reader) (string, error) {
	data, err := io.ReadAll(body)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return "", errors.New("request body too large")
		}
		return "", err
	}
	if len(data) == 0 {
		return "", nil
	}
	var b struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return "", errors.New(`body: want {"reason": "..."} or nothing`)
	}
	if len(b.Reason) > MaxReasonLen || !utf8.ValidString(b.Reason) {
		return "", errors.New("reason: want at most 500 bytes of UTF-8")
	}
	return b.Reason, nil
}
