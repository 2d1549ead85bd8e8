package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// Instrument wraps h so that every request is observed in HTTPDuration
// under route, which must be the pattern h is registered under and never
// the request path: the label set stays bounded whatever clients send.
// Methods outside the standard ones are counted as "other" for the same
// reason.
//
// The ResponseWriter h sees still unwraps to the original, so
// http.ResponseController (flushes, per-request deadlines) keeps working.
func (m *Metrics) Instrument(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			code := rec.status()
			p := recover()
			if p != nil {
				// net/http drops the connection: count it as the
				// server error it is, then let it do so.
				code = http.StatusInternalServerError
			}
			m.HTTPDuration.WithLabelValues(methodLabel(r.Method), route, strconv.Itoa(code)).
				Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// methodLabel maps a request method to a bounded label value.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// statusRecorder remembers the status code a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Flush lets streaming handlers that assert http.Flusher work through the
// recorder.
func (s *statusRecorder) Flush() {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}

// Unwrap exposes the original writer to http.ResponseController.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// status is the code the client got: 200 when the handler wrote nothing.
func (s *statusRecorder) status() int {
	if s.code == 0 {
		return http.StatusOK
	}
	return s.code
}
