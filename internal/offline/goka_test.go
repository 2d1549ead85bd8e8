package offline

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/mux"
	"github.com/lovoo/goka/web/index"
	"github.com/lovoo/goka/web/monitor"
	"github.com/lovoo/goka/web/query"
)

const testPrefix = "/assets/vendor"

// gokaUI serves goka's monitor, query and index pages the way the serve
// command does, each gorilla/mux router under the standard mux, through
// Rewrite, with Assets mounted at testPrefix.
func gokaUI(t *testing.T) *httptest.Server {
	t.Helper()
	monitorR, queryR, indexR := mux.NewRouter(), mux.NewRouter(), mux.NewRouter()
	mon := monitor.NewServer("/monitor", monitorR)
	q := query.NewServer("/query", queryR)
	err := q.AttachSource("restaurants", func(key string) (any, error) {
		if key == "missing" {
			return nil, errors.New("no such key")
		}
		return map[string]int{"orders": 3}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	idx := index.NewServer("", indexR)
	idx.AddComponent(mon, "Monitor")
	idx.AddComponent(q, "Query")

	m := http.NewServeMux()
	m.Handle(testPrefix+"/", http.StripPrefix(testPrefix, Assets()))
	m.Handle("/monitor/", Rewrite(testPrefix, monitorR))
	m.Handle("/query/", Rewrite(testPrefix, queryR))
	m.Handle("/{$}", Rewrite(testPrefix, indexR))
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// TestGokaPagesOffline renders goka's pages through Rewrite and checks that
// they load nothing from outside, and that what they load locally is
// served, with the right type and the vendored bytes.
func TestGokaPagesOffline(t *testing.T) {
	srv := gokaUI(t)
	wantLocal := map[string]bool{}
	for _, file := range cdnFiles {
		if file != "" {
			wantLocal[testPrefix+"/"+file] = true
		}
	}
	for _, page := range []string{"/monitor/", "/query/", "/query/restaurants", "/query/restaurants/r1", "/query/restaurants/missing", "/"} {
		t.Run(page, func(t *testing.T) {
			resp, body := get(t, srv.URL+page)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if resp.ContentLength != int64(len(body)) {
				t.Errorf("Content-Length = %d, body has %d bytes", resp.ContentLength, len(body))
			}
			for cdn := range cdnFiles {
				if bytes.Contains(body, []byte(cdn)) {
					t.Errorf("page still names %s", cdn)
				}
			}
			local := map[string]bool{}
			for _, l := range links(string(body)) {
				switch {
				case isExternal(l.url):
					t.Errorf("page loads %s", l.url)
				case strings.HasPrefix(l.url, testPrefix+"/"):
					local[l.url] = true
					if l.integrity != "" {
						file := strings.TrimPrefix(l.url, testPrefix+"/")
						if got := sri(t, l.integrity, vendoredFile(t, file)); got != l.integrity {
							t.Errorf("%s: integrity %s, file has %s", l.url, l.integrity, got)
						}
					}
				}
			}
			for u := range wantLocal {
				if !local[u] {
					t.Errorf("page does not load %s", u)
				}
			}
			for u := range local {
				if !wantLocal[u] {
					t.Errorf("page loads %s, not in cdnFiles", u)
				}
			}
		})
	}
	for u := range wantLocal {
		resp, body := get(t, srv.URL+u)
		want := vendoredFile(t, strings.TrimPrefix(u, testPrefix+"/"))
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, want) {
			t.Errorf("GET %s: %d, %d bytes; want 200, %d bytes", u, resp.StatusCode, len(body), len(want))
		}
		if got, want := resp.Header.Get("Content-Type"), contentTypes[path.Ext(u)]; got != want {
			t.Errorf("GET %s: Content-Type %q, want %q", u, got, want)
		}
		if got, want := resp.Header.Get("Content-Length"), strconv.Itoa(len(want)); got != want {
			t.Errorf("GET %s: Content-Length %s, want %s", u, got, want)
		}
	}
}
