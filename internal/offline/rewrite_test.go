package offline

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

const (
	cdnJS   = "https://d3js.org/d3.v4.min.js"
	localJS = testPrefix + "/d3@4.13.0/build/d3.min.js"
)

// page is an HTML page loading cdnJS, padded past sniffLen by pad bytes.
func page(pad int) string {
	return "<!DOCTYPE html>\n<html><head><script src=\"" + cdnJS + "\"></script></head>" +
		"<body>" + strings.Repeat("x", pad) + "</body></html>\n"
}

func TestRewrite(t *testing.T) {
	big := page(maxHTML)
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		code     int
		header   map[string]string // expected; "" = absent
		body     string
		rewrites bool // body is the handler's with cdnJS made local
	}{
		{
			name: "sniffed HTML in small writes",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for _, s := range strings.SplitAfter(page(2000), ">") {
					io.WriteString(w, s)
				}
			},
			code:     200,
			header:   map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:     page(2000),
			rewrites: true,
		},
		{
			name: "sniffed HTML shorter than sniffLen",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, page(0))
			},
			code:     200,
			header:   map[string]string{"Content-Type": "text/html; charset=utf-8"},
			body:     page(0),
			rewrites: true,
		},
		{
			name: "status, headers kept; wrong Content-Length fixed",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Length", strconv.Itoa(len(page(10))))
				w.Header().Set("X-Request", "kept")
				w.WriteHeader(http.StatusNotFound)
				io.WriteString(w, page(10))
			},
			code:     404,
			header:   map[string]string{"Content-Type": "text/html", "X-Request": "kept"},
			body:     page(10),
			rewrites: true,
		},
		{
			name: "JSON untouched",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"src":"`+cdnJS+`"}`)
			},
			code:   200,
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"src":"` + cdnJS + `"}`,
		},
		{
			name: "sniffed text untouched",
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, "load "+cdnJS)
			},
			code:   200,
			header: map[string]string{"Content-Type": "text/plain; charset=utf-8"},
			body:   "load " + cdnJS,
		},
		{
			name: "compressed HTML untouched",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Header().Set("Content-Encoding", "x-test")
				io.WriteString(w, page(0))
			},
			code:   200,
			header: map[string]string{"Content-Encoding": "x-test"},
			body:   page(0),
		},
		{
			name: "HTML over maxHTML untouched",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				io.WriteString(w, big[:maxHTML/2])
				io.WriteString(w, big[maxHTML/2:])
			},
			code: 200,
			body: big,
		},
		{
			name: "no content",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			},
			code:   204,
			header: map[string]string{"Content-Type": ""},
		},
		{
			name:    "nothing written",
			handler: func(w http.ResponseWriter, r *http.Request) {},
			code:    200,
			header:  map[string]string{"Content-Length": "0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(Rewrite(testPrefix+"/", tt.handler))
			defer srv.Close()
			resp, body := get(t, srv.URL)
			if resp.StatusCode != tt.code {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.code)
			}
			for k, v := range tt.header {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			want := tt.body
			if tt.rewrites {
				want = strings.Replace(want, cdnJS, localJS, 1)
				if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(len(want)) {
					t.Errorf("Content-Length = %s, want %d", got, len(want))
				}
			}
			if string(body) != want {
				t.Errorf("body (%d bytes) = %.200q…, want (%d bytes) %.200q…", len(body), body, len(want), want)
			}
		})
	}
}

// TestRewriteStreams checks that what is not HTML reaches the client while
// the handler still runs, when the handler flushes.
func TestRewriteStreams(t *testing.T) {
	for _, ctype := range []string{"text/event-stream", ""} {
		t.Run("Content-Type "+ctype, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(Rewrite(testPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if ctype != "" {
					w.Header().Set("Content-Type", ctype)
				}
				io.WriteString(w, "data: 1\n\n")
				http.NewResponseController(w).Flush()
				<-release
				io.WriteString(w, "data: 2\n\n")
			})))
			defer srv.Close()
			defer close(release)
			resp, err := http.Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || line != "data: 1\n" {
				t.Fatalf("first line %q, %v; want it before the handler returns", line, err)
			}
		})
	}
}

// TestRewriteHoldsHTML checks that a flush of HTML sends nothing: the page
// goes out whole, rewritten, when the handler returns.
func TestRewriteHoldsHTML(t *testing.T) {
	rec := httptest.NewRecorder()
	h := Rewrite(testPrefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, page(0))
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush: %v", err)
		}
		if rec.Body.Len() != 0 || rec.Flushed {
			t.Errorf("flush sent %d bytes of HTML", rec.Body.Len())
		}
	}))
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if want := strings.Replace(page(0), cdnJS, localJS, 1); rec.Body.String() != want {
		t.Errorf("body = %q, want %q", rec.Body.String(), want)
	}
}
