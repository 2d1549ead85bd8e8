package intake

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/orderstream/orderstream/order"
)

// Request is the body of POST /api/orders. The server sets order_id (unless
// given), total_cents and placed_at.
//
// Decoding is strict: unknown fields are refused, so that a misspelt
// "order_id" cannot silently turn off deduplication, and qty and
// price_cents must be present, so that a forgotten price is not a free item.
type Request struct {
	OrderID      string        `json:"order_id,omitempty"`
	RestaurantID string        `json:"restaurant_id"`
	UserID       string        `json:"user_id"`
	Items        []RequestItem `json:"items"`
}

// RequestItem is one line of a Request. Qty and PriceCents are pointers only
// to tell a missing value from zero.
type RequestItem struct {
	SKU        string `json:"sku"`
	Qty        *int64 `json:"qty"`
	PriceCents *int64 `json:"price_cents"`
}

// badRequest is a body that is not one well-formed JSON order.
type badRequest struct {
	msg string
	err error
}

func (e *badRequest) Error() string {
	if e.err == nil {
		return e.msg
	}
	return e.msg + ": " + e.err.Error()
}

func (e *badRequest) Unwrap() error { return e.err }

// decodeRequest reads exactly one JSON object from body. Errors are
// *badRequest, wrapping *http.MaxBytesError when body is over its limit.
func decodeRequest(body io.Reader) (*Request, error) {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		return nil, decodeError(err)
	}
	switch err := dec.Decode(new(json.RawMessage)); {
	case err == io.EOF:
		return &req, nil
	case err == nil:
		return nil, &badRequest{msg: "request body holds more than one JSON value"}
	default:
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, decodeError(err)
		}
		return nil, &badRequest{msg: "trailing data after the JSON object"}
	}
}

// decodeError says what is wrong with a body in terms of the request.
func decodeError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.Is(err, io.EOF):
		return &badRequest{msg: "empty request body, want a JSON order"}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &badRequest{msg: "malformed JSON: unexpected end of body"}
	case errors.As(err, &syntax):
		return &badRequest{msg: fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)}
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "request body"
		}
		return &badRequest{msg: fmt.Sprintf("%s: got JSON %s, want %s", field, typeErr.Value, jsonType(typeErr.Type))}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return &badRequest{msg: strings.TrimPrefix(err.Error(), "json: ")}
	}
	return &badRequest{msg: "unreadable request body", err: err}
}

// jsonType names the JSON type a client should have sent for t.
func jsonType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Int, reflect.Int64, reflect.Uint64:
		return "integer"
	}
	return t.Kind().String()
}

// items converts the request's lines. A line without qty or price_cents is
// an order.InvalidError, like every other invalid line.
func (r *Request) items() ([]order.Item, error) {
	if len(r.Items) > order.MaxItems {
		return nil, &order.InvalidError{
			Reason: order.ReasonTooManyItems,
			Detail: fmt.Sprintf("%d items, at most %d", len(r.Items), order.MaxItems),
		}
	}
	items := make([]order.Item, len(r.Items))
	for i, it := range r.Items {
		switch {
		case it.Qty == nil:
			return nil, &order.InvalidError{Reason: order.ReasonBadQty, Detail: fmt.Sprintf("item %d has no qty", i)}
		case it.PriceCents == nil:
			return nil, &order.InvalidError{Reason: order.ReasonBadPrice, Detail: fmt.Sprintf("item %d has no price_cents", i)}
		}
		items[i] = order.Item{SKU: it.SKU, Qty: *it.Qty, PriceCents: *it.PriceCents}
	}
	if err := order.ValidateItems(items); err != nil {
		return nil, err
	}
	return items, nil
}
