// Package dashboard serves orderstream's web dashboard: a single-page app
// of plain ES modules, a stylesheet and an icon, embedded in the binary so
// that it works where no other host can be reached. It reads the JSON API
// and the event stream of the same server; nothing here knows the views.
//
// Wiring: Index at GET /{$}, Assets under AssetPath.
//
//	mux.Handle("GET /{$}", dashboard.Index())
//	mux.Handle("GET "+dashboard.AssetPath, dashboard.Assets())
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// AssetPath is where Assets must be mounted: index.html loads its files
// from there.
const AssetPath = "/dashboard/"

// static is the app. index.html is served by Index; the other files by
// Assets, at AssetPath + their path under static/.
//
//go:embed static
var static embed.FS

// ContentSecurityPolicy is sent with every file: the page may load and
// connect to its own origin only, so a reference to another host fails
// in the browser as it would on a closed network, not just in production.
const ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"

// contentTypes are set explicitly: the system's MIME table varies by host.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".svg":  "image/svg+xml",
}

// file is an embedded file ready to serve.
type file struct {
	name  string
	ctype string
	etag  string
	data  []byte
}

// files holds every embedded file by its path under static/; they are
// read once, as embed.FS never changes.
var files = load()

func load() map[string]*file {
	out := map[string]*file{}
	err := fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := static.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		name := strings.TrimPrefix(p, "static/")
		out[name] = &file{
			name:  name,
			ctype: contentTypes[path.Ext(p)],
			etag:  `"` + hex.EncodeToString(sum[:8]) + `"`,
			data:  data,
		}
		return nil
	})
	if err != nil {
		// Reading an embed.FS cannot fail: unreachable.
		panic(err)
	}
	return out
}

// Index returns the handler of the app's page, whatever the request path:
// mount it at the route the dashboard should answer on.
func Index() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		serve(w, r, files["index.html"])
	})
}

// Assets returns the handler of the app's scripts, stylesheet and icon, at
// AssetPath + name. Unknown names, directories and index.html itself are
// 404s.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, AssetPath)
		f := files[name]
		if !ok || f == nil || f.ctype == "" || name == "index.html" {
			http.NotFound(w, r)
			return
		}
		serve(w, r, f)
	})
}

// serve writes f. The paths carry no version, so browsers revalidate each
// time (no-cache) and get a 304 while the ETag, a hash of the content,
// still matches: a new binary is picked up on the next load.
func serve(w http.ResponseWriter, r *http.Request, f *file) {
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", f.etag)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(f.data))
}
