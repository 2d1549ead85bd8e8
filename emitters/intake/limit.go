package intake

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/orderstream/orderstream/internal/httpjson"
)

// Bounds of the answer to a body over MaxBodyBytes.
const (
	// MaxDiscardBytes bounds what is read, and thrown away, of a body
	// over the limit before the 413 is written. A client that sends its
	// whole body before it reads the answer (Python's http.client, a
	// chunked upload) would otherwise find the connection reset, its
	// unread bytes making the server's close an RST, and never see the
	// 413. Past this bound the connection is closed after the answer.
	MaxDiscardBytes = 16 << 20
	// DiscardTimeout bounds the time spent discarding.
	DiscardTimeout = 10 * time.Second
)

// readBody reads the body of r, at most MaxBodyBytes of it. A body over
// the limit is answered 413 here, and ok is false; so is a body that
// cannot be read.
func readBody(w http.ResponseWriter, r *http.Request) (body []byte, ok bool) {
	if r.ContentLength > MaxBodyBytes {
		tooLarge(w, r, true)
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var over *http.MaxBytesError
	switch {
	case errors.As(err, &over):
		tooLarge(w, r, false)
		return nil, false
	case err != nil:
		httpjson.WriteError(w, http.StatusBadRequest, "unreadable request body: %v", err)
		return nil, false
	}
	return body, true
}

// tooLarge answers 413 to a body over MaxBodyBytes so that the client
// reads the answer. declared says the client declared its length
// (Content-Length) and nothing was read yet: a client that waits for
// "100 Continue" (Expect: 100-continue, curl's default for large bodies)
// is then answered at once and sends nothing; one that sends anyway has
// its body discarded, up to MaxDiscardBytes, before the answer, as is a
// body that turned out too large while it was read. The connection is
// closed after the answer.
func tooLarge(w http.ResponseWriter, r *http.Request, declared bool) {
	waits := declared && strings.EqualFold(r.Header.Get("Expect"), "100-continue")
	if !waits {
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(DiscardTimeout))
		_, _ = io.CopyN(io.Discard, r.Body, MaxDiscardBytes)
		_ = rc.SetReadDeadline(time.Time{})
	}
	w.Header().Set("Connection", "close")
	httpjson.WriteError(w, http.StatusRequestEntityTooLarge, "request body larger than %d bytes", MaxBodyBytes)
}
