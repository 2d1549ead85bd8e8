package dashboard

import (
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func serveOn(h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestIndex(t *testing.T) {
	rec := serveOn(Index(), "GET", "/", nil)
	if rec.Code != 200 {
		t.Fatalf("GET /: %d", rec.Code)
	}
	hd := rec.Header()
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Cache-Control":           "no-cache",
		"Content-Security-Policy": ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := hd.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(rec.Body.String(), `<main id="view">`) {
		t.Error("index.html not served")
	}
	etag := hd.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if rec := serveOn(Index(), "GET", "/", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified {
		t.Errorf("revalidation: %d, want 304", rec.Code)
	}
	if rec := serveOn(Index(), "HEAD", "/", nil); rec.Code != 200 || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestAssets(t *testing.T) {
	tests := []struct {
		target string
		code   int
		ctype  string
	}{
		{"/dashboard/app.js", 200, "text/javascript; charset=utf-8"},
		{"/dashboard/chart.js", 200, "text/javascript; charset=utf-8"},
		{"/dashboard/app.css", 200, "text/css; charset=utf-8"},
		{"/dashboard/icon.svg", 200, "image/svg+xml"},
		{"/dashboard/index.html", 404, ""},
		{"/dashboard/", 404, ""},
		{"/dashboard/nope.js", 404, ""},
		{"/dashboard/../dashboard/app.js", 404, ""},
		{"/elsewhere/app.js", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := serveOn(Assets(), "GET", tt.target, nil)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d", rec.Code, tt.code)
			}
			if tt.code == 200 {
				if got := rec.Header().Get("Content-Type"); got != tt.ctype {
					t.Errorf("Content-Type %q, want %q", got, tt.ctype)
				}
				if got := rec.Header().Get("Content-Security-Policy"); got != ContentSecurityPolicy {
					t.Errorf("Content-Security-Policy %q", got)
				}
			}
		})
	}
}

// Every file the app loads, from index.html and from the modules' imports.
var (
	htmlRefs   = regexp.MustCompile(`(?:src|href)="(/dashboard/[^"]+)"`)
	importRefs = regexp.MustCompile(`(?m)^import .* from '\./([^']+)';$`)
	// External references: a scheme-relative or absolute URL anywhere.
	externalURL = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
)

// TestReferencesResolve checks that every file index.html and the modules
// load is embedded and served, and that every embedded file is loaded.
func TestReferencesResolve(t *testing.T) {
	loaded := map[string]bool{"index.html": true}
	for _, m := range htmlRefs.FindAllStringSubmatch(string(files["index.html"].data), -1) {
		loaded[strings.TrimPrefix(m[1], AssetPath)] = true
	}
	for name, f := range files {
		if path.Ext(name) != ".js" {
			continue
		}
		for _, m := range importRefs.FindAllStringSubmatch(string(f.data), -1) {
			loaded[m[1]] = true
		}
	}
	for name := range loaded {
		if name == "index.html" {
			continue
		}
		if rec := serveOn(Assets(), "GET", AssetPath+name, nil); rec.Code != 200 {
			t.Errorf("%s is loaded but answers %d", name, rec.Code)
		}
	}
	var names []string
	for name := range files {
		names = append(names, name)
		if !loaded[name] {
			t.Errorf("%s is embedded but nothing loads it", name)
		}
	}
	slices.Sort(names)
	t.Logf("embedded: %v", names)
}

// TestSelfContained checks that no file refers to another host: the
// dashboard must work where none can be reached. XML namespaces are names,
// not requests.
func TestSelfContained(t *testing.T) {
	for name, f := range files {
		text := strings.ReplaceAll(string(f.data), "http://www.w3.org/2000/svg", "")
		if m := externalURL.FindString(text); m != "" {
			t.Errorf("%s refers to %s", name, m)
		}
	}
}

func TestContentTypesKnown(t *testing.T) {
	for name, f := range files {
		if f.ctype == "" {
			t.Errorf("%s has no content type: add its extension to contentTypes", name)
		}
	}
}
