// Package httpjson writes JSON HTTP responses, the one shape every handler
// of the system answers in, errors included.
package httpjson

import (
	"fmt"
	"net/http"

	// encoding/json's output (see internal/jsoncodec) at about half the
	// cost: the time.Time fields of responses are written natively.
	json "github.com/go-json-experiment/json/v1"
)

// internalError is the body sent when a response cannot be encoded.
const internalError = `{"error":"internal error: response not encodable"}` + "\n"

// errorBody is the body of every error response.
type errorBody struct {
	Error string `json:"error"`
}

// WriteJSON writes v as the JSON body of a response with the given status.
// A v that cannot be encoded is a bug; the client then gets a 500 with an
// error body rather than a truncated document. Write errors mean the client
// has gone and are ignored.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := Body(v)
	if err != nil {
		WriteUnencodable(w)
		return
	}
	Write(w, status, body)
}

// WriteUnencodable is WriteJSON's answer to a value it cannot encode.
func WriteUnencodable(w http.ResponseWriter) {
	Write(w, http.StatusInternalServerError, []byte(internalError))
}

// Body is the response body WriteJSON writes for v.
func Body(v any) ([]byte, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(body, '\n'), nil
}

// Write writes body, made by Body, as a JSON response with the given
// status.
func Write(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// WriteError writes {"error": message} with the given status, the message
// formatted as by fmt.Sprintf.
func WriteError(w http.ResponseWriter, status int, format string, args ...any) {
	WriteJSON(w, status, errorBody{Error: fmt.Sprintf(format, args...)})
}
