package offline

import (
	"bytes"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

// vendoredFile returns the embedded file at name, a path under assets/.
func vendoredFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := vendored.ReadFile("assets/" + name)
	if err != nil {
		t.Fatalf("read vendored file: %v", err)
	}
	return b
}

func TestAssets(t *testing.T) {
	const css = "/bootstrap@3.3.7/dist/css/bootstrap.min.css"
	tests := []struct {
		method, path string
		code         int
		ctype        string // "" for errors
	}{
		{"GET", css, 200, "text/css; charset=utf-8"},
		{"GET", "/jquery@1.11.0/dist/cdn/jquery-1.11.0.min.js", 200, "text/javascript; charset=utf-8"},
		{"GET", "/bootstrap@3.3.7/dist/fonts/glyphicons-halflings-regular.woff2", 200, "font/woff2"},
		{"GET", "/bootstrap@3.3.7/dist/fonts/glyphicons-halflings-regular.woff", 200, "font/woff"},
		{"GET", "/bootstrap@3.3.7/dist/fonts/glyphicons-halflings-regular.ttf", 200, "font/ttf"},
		{"GET", "/bootstrap@3.3.7/dist/fonts/glyphicons-halflings-regular.eot", 200, "application/vnd.ms-fontobject"},
		{"GET", "/bootstrap@3.3.7/dist/fonts/glyphicons-halflings-regular.svg", 200, "image/svg+xml"},
		{"GET", "/bootstrap@3.3.7/LICENSE", 200, "text/plain; charset=utf-8"},
		{"GET", "/jquery@1.11.0/MIT-LICENSE.txt", 200, "text/plain; charset=utf-8"},
		{"HEAD", css, 200, "text/css; charset=utf-8"},
		{"GET", "/", 404, ""},
		{"GET", "/bootstrap@3.3.7/dist/css/", 404, ""},
		{"GET", "/bootstrap@3.3.7/dist/css", 404, ""},
		{"GET", "/bootstrap@3.3.7/dist/css/missing.css", 404, ""},
		{"GET", "/bootstrap@3.3.7/dist/css/../css/bootstrap.min.css", 404, ""},
		{"GET", css + "/", 404, ""},
		{"GET", "/bootstrap@3.3.7/package.json", 404, ""},
		{"POST", css, 405, ""},
	}
	h := Assets()
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.code {
				t.Fatalf("status = %d, want %d", rec.Code, tt.code)
			}
			if tt.code != 200 {
				if cc := rec.Header().Get("Cache-Control"); cc != "" {
					t.Errorf("error cached: Cache-Control %q", cc)
				}
				return
			}
			hd := rec.Header()
			if got := hd.Get("Content-Type"); got != tt.ctype {
				t.Errorf("Content-Type = %q, want %q", got, tt.ctype)
			}
			if got := hd.Get("Cache-Control"); got != cacheForever {
				t.Errorf("Cache-Control = %q, want %q", got, cacheForever)
			}
			if got := hd.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
			}
			want := vendoredFile(t, strings.TrimPrefix(tt.path, "/"))
			if tt.method == "HEAD" {
				want = nil
			}
			if !bytes.Equal(rec.Body.Bytes(), want) {
				t.Errorf("body: %d bytes, want %d", rec.Body.Len(), len(want))
			}
		})
	}
}

// TestAssetsMounted checks the mount-point contract: StripPrefix with or
// without the trailing slash.
func TestAssetsMounted(t *testing.T) {
	for _, strip := range []string{"/assets/vendor", "/assets/vendor/"} {
		mux := http.NewServeMux()
		mux.Handle("/assets/vendor/", http.StripPrefix(strip, Assets()))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", "/assets/vendor/d3@4.13.0/build/d3.min.js", nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
			t.Errorf("StripPrefix(%q): %d %q", strip, rec.Code, rec.Header().Get("Content-Type"))
		}
	}
}

var cssURL = regexp.MustCompile(`url\(\s*['"]?([^'")]+)['"]?\s*\)`)

// stylesheetRefs returns the files the vendored stylesheets refer to, as
// paths under assets/, each resolved against its stylesheet's directory as
// a browser would, query and fragment dropped.
func stylesheetRefs(t *testing.T) []string {
	t.Helper()
	var refs []string
	err := fs.WalkDir(vendored, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || path.Ext(name) != ".css" {
			return err
		}
		css := vendoredFile(t, strings.TrimPrefix(name, "assets/"))
		for _, m := range cssURL.FindAllSubmatch(css, -1) {
			u := string(m[1])
			if strings.Contains(u, ":") || strings.HasPrefix(u, "/") {
				t.Errorf("%s refers to %s, outside its directory tree", name, u)
				continue
			}
			u, _, _ = strings.Cut(u, "#")
			u, _, _ = strings.Cut(u, "?")
			refs = append(refs, strings.TrimPrefix(path.Join(path.Dir(name), u), "assets/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return refs
}

// TestStylesheetFonts checks that the relative ../fonts/ URLs in
// bootstrap.min.css reach the fonts through Assets.
func TestStylesheetFonts(t *testing.T) {
	refs := stylesheetRefs(t)
	if len(refs) != 6 { // eot twice, woff2, woff, ttf, svg
		t.Errorf("stylesheets refer to %d files, want bootstrap's 6: %q", len(refs), refs)
	}
	h := Assets()
	for _, ref := range refs {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+ref, nil))
		if want := contentTypes[path.Ext(ref)]; rec.Code != 200 || rec.Header().Get("Content-Type") != want {
			t.Errorf("GET /%s: %d %q, want 200 %q", ref, rec.Code, rec.Header().Get("Content-Type"), want)
		}
	}
}

// TestOnlyNeededFiles checks that every embedded file is loaded by goka's
// pages, by a stylesheet, or is a licence.
func TestOnlyNeededFiles(t *testing.T) {
	needed := map[string]bool{}
	for _, file := range cdnFiles {
		if file != "" {
			needed[file] = true
		}
	}
	for _, ref := range stylesheetRefs(t) {
		needed[ref] = true
	}
	err := fs.WalkDir(vendored, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name = strings.TrimPrefix(name, "assets/")
		if base := path.Base(name); !needed[name] && base != "LICENSE" && base != "MIT-LICENSE.txt" {
			t.Errorf("%s is embedded but not needed", name)
		}
		delete(needed, name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for name := range needed {
		t.Errorf("%s is needed but not embedded", name)
	}
}
