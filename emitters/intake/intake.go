// Package intake is the user-facing order intake: the http.Handler behind
// POST /api/orders, which checks an order, stamps it and hands it to an
// emitters.Sink.
//
// Every refusal is a JSON {"error": ...}: 400 for a body that is not one
// well-formed JSON order object in UTF-8 and for an order that is invalid
// (then with "reason", an order.Reason), 405, 413 and 415 (no or another
// Content-Type) for the request around it, 409 for an order id used
// before by another order (see WithPlaced), and 503 when the order could not be written (the client should
// retry with the same order_id). No input yields a 500.
package intake

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/order"
)

// Path is the route the handler is meant to be mounted on.
const Path = "/api/orders"

// Limits and timeouts.
const (
	// MaxBodyBytes bounds a request body; 100 items fit in a fraction of it.
	MaxBodyBytes = 64 << 10
	// DefaultEmitTimeout bounds the wait for the sink, so that a client is
	// told 503 instead of waiting on a broker that is down.
	DefaultEmitTimeout = 5 * time.Second
	// retryAfter is the Retry-After of a 503, in seconds.
	retryAfter = "1"
)

// IdempotencyHeader carries a client's idempotency key when the body has no
// order_id. Orders with the same key and user_id get the same order_id, so a
// retried request is dropped downstream as a duplicate; keys are scoped by
// user_id, so two users picking the same key do not collide. A key follows
// the id rules of order.CheckID.
const IdempotencyHeader = "Idempotency-Key"

// StatusPlaced is the status of an accepted order.
const StatusPlaced = "placed"

// Response is the body of a 202: the order as it was placed.
type Response struct {
	OrderID      string    `json:"order_id"`
	RestaurantID string    `json:"restaurant_id"`
	UserID       string    `json:"user_id"`
	TotalCents   int64     `json:"total_cents"`
	PlacedAt     time.Time `json:"placed_at"`
	Status       string    `json:"status"`
}

// ErrorResponse is the body of every refusal. Reason is set on invalid orders;
// OrderID on 503s, to retry with.
type ErrorResponse struct {
	Error   string       `json:"error"`
	Reason  order.Reason `json:"reason,omitempty"`
	OrderID string       `json:"order_id,omitempty"`
}

// Option changes a handler's defaults.
type Option func(*handler)

// WithClock sets the clock placed_at is read from; nil keeps time.Now.
func WithClock(now func() time.Time) Option {
	return func(h *handler) {
		if now != nil {
			h.now = now
		}
	}
}

// WithNewID sets how order_ids are made when the client gives neither an
// order_id nor an Idempotency-Key; the default (and nil) is 128 random bits
// in hex.
func WithNewID(newID func() string) Option {
	return func(h *handler) {
		if newID != nil {
			h.newID = newID
		}
	}
}

// WithEmitTimeout replaces DefaultEmitTimeout; zero or less keeps it.
func WithEmitTimeout(d time.Duration) Option {
	return func(h *handler) {
		if d > 0 {
			h.emitTimeout = d
		}
	}
}

type handler struct {
	sink        emitters.Sink
	logger      *slog.Logger
	now         func() time.Time
	newID       func() string
	emitTimeout time.Duration
	placed      Lookup
	recent      *recent
}

// NewHandler returns the handler of POST /api/orders, which writes accepted
// orders to sink.
func NewHandler(sink emitters.Sink, logger *slog.Logger, opts ...Option) http.Handler {
	h := &handler{
		sink:        sink,
		logger:      logger.With("handler", "intake"),
		now:         time.Now,
		newID:       randomID,
		emitTimeout: DefaultEmitTimeout,
	}
	for _, opt := range opts {
		opt(h)
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method %s not allowed, use POST", r.Method)
		return
	}
	switch ct := r.Header.Get("Content-Type"); {
	case ct == "":
		httpjson.WriteError(w, http.StatusUnsupportedMediaType, "no Content-Type, want application/json")
		return
	default:
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			httpjson.WriteError(w, http.StatusUnsupportedMediaType, "content type %q, want application/json", ct)
			return
		}
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !utf8.Valid(body) {
		httpjson.WriteError(w, http.StatusBadRequest, "request body is not valid UTF-8, as JSON text must be")
		return
	}
	req, err := decodeRequest(bytes.NewReader(body))
	if err != nil {
		h.refuse(w, err)
		return
	}
	o, err := h.newOrder(req, r.Header.Get(IdempotencyHeader))
	if err != nil {
		h.refuse(w, err)
		return
	}
	if conflict := h.conflict(o); conflict != "" {
		httpjson.WriteJSON(w, http.StatusConflict, ErrorResponse{Error: conflict, OrderID: o.OrderID})
		return
	}

	ctx, cancel := context.WithTimeout(r.Context(), h.emitTimeout)
	defer cancel()
	if err := h.sink.Emit(ctx, o); err != nil {
		h.logger.Warn("order not placed", "order_id", o.OrderID, "err", err)
		w.Header().Set("Retry-After", retryAfter)
		httpjson.WriteJSON(w, http.StatusServiceUnavailable, ErrorResponse{
			Error:   "order not placed: the order log is unavailable; retry with the same order_id",
			OrderID: o.OrderID,
		})
		return
	}
	h.placedOK(o)
	httpjson.WriteJSON(w, http.StatusAccepted, Response{
		OrderID:      o.OrderID,
		RestaurantID: o.RestaurantID,
		UserID:       o.UserID,
		TotalCents:   o.TotalCents,
		PlacedAt:     o.PlacedAt,
		Status:       StatusPlaced,
	})
}

// newOrder checks req and turns it into the order to emit.
func (h *handler) newOrder(req *Request, idempotencyKey string) (*order.Order, error) {
	if err := order.ValidateIDs(req.RestaurantID, req.UserID); err != nil {
		return nil, err
	}
	items, err := req.items()
	if err != nil {
		return nil, err
	}
	id, err := h.orderID(req, idempotencyKey)
	if err != nil {
		return nil, err
	}
	o := &order.Order{
		OrderID:      id,
		RestaurantID: req.RestaurantID,
		UserID:       req.UserID,
		Items:        items,
		TotalCents:   order.Sum(items),
		PlacedAt:     h.now().UTC().Truncate(time.Millisecond),
	}
	return o, o.Validate()
}

// orderID is the client's order_id, else one derived from its idempotency
// key, else a new one.
func (h *handler) orderID(req *Request, idempotencyKey string) (string, error) {
	switch {
	case req.OrderID != "":
		return req.OrderID, nil
	case idempotencyKey != "":
		if err := order.CheckID(IdempotencyHeader, idempotencyKey); err != nil {
			return "", &badRequest{msg: strings.TrimPrefix(err.Error(), "invalid order: ")}
		}
		sum := sha256.Sum256([]byte(req.UserID + "\x00" + idempotencyKey))
		return hex.EncodeToString(sum[:16]), nil
	}
	return h.newID(), nil
}

// refuse answers a request the client got wrong.
func (h *handler) refuse(w http.ResponseWriter, err error) {
	h.logger.Debug("order refused", "err", err)
	var invalid *order.InvalidError
	switch {
	case errors.As(err, &invalid):
		httpjson.WriteJSON(w, http.StatusBadRequest, ErrorResponse{Error: invalid.Error(), Reason: invalid.Reason})
	default:
		httpjson.WriteError(w, http.StatusBadRequest, "%v", err)
	}
}

// randomID returns 128 random bits in hex.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error
	return hex.EncodeToString(b[:])
}
