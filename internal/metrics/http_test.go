package metrics

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestInstrument(t *testing.T) {
	const route = "GET /x/{id}"
	tests := []struct {
		name    string
		method  string
		handler http.HandlerFunc
		want    map[string]string
	}{
		{
			name:    "implicit 200",
			method:  http.MethodGet,
			handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) },
			want:    map[string]string{"method": "GET", "route": route, "code": "200"},
		},
		{
			name:    "nothing written",
			method:  http.MethodHead,
			handler: func(w http.ResponseWriter, r *http.Request) {},
			want:    map[string]string{"method": "HEAD", "route": route, "code": "200"},
		},
		{
			name:    "explicit code",
			method:  http.MethodPost,
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotFound) },
			want:    map[string]string{"method": "POST", "route": route, "code": "404"},
		},
		{
			name:   "first code wins",
			method: http.MethodGet,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				w.WriteHeader(http.StatusOK)
			},
			want: map[string]string{"method": "GET", "route": route, "code": "503"},
		},
		{
			name:    "unknown method is bounded",
			method:  "BREW",
			handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusMethodNotAllowed) },
			want:    map[string]string{"method": "other", "route": route, "code": "405"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := New()
			h := m.Instrument(route, tt.handler)
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(tt.method, "/x/123", nil))

			got := histogramCounts(t, m, "orderstream_http_request_duration_seconds")
			if len(got) != 1 {
				t.Fatalf("series %v, want one", got)
			}
			for labels, n := range got {
				if labels != labelKey(tt.want) || n != 1 {
					t.Errorf("got %s = %d, want %s = 1", labels, n, labelKey(tt.want))
				}
			}
		})
	}
}

func TestInstrumentCountsPanicsAs500(t *testing.T) {
	m := New()
	h := m.Instrument("GET /boom", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want the handler's panic re-raised", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/boom", nil))
	}()
	want := labelKey(map[string]string{"method": "GET", "route": "GET /boom", "code": "500"})
	if got := histogramCounts(t, m, "orderstream_http_request_duration_seconds"); got[want] != 1 {
		t.Errorf("got %v, want %s = 1", got, want)
	}
}

func TestInstrumentKeepsFlusher(t *testing.T) {
	m := New()
	h := m.Instrument("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			t.Fatal("writer is not an http.Flusher")
		}
		f.Flush()
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/stream", nil))
	if !rec.Flushed {
		t.Error("the flush did not reach the underlying writer")
	}
}

func TestInstrumentKeepsResponseController(t *testing.T) {
	m := New()
	var unwrapped bool
	h := m.Instrument("GET /stream", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, unwrapped = w.(interface{ Unwrap() http.ResponseWriter })
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/stream", nil))
	if !unwrapped {
		t.Error("writer does not unwrap for http.ResponseController")
	}
}
