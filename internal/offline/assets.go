package offline

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// vendored holds the files vendor.sh extracts from npm, at their paths in
// the package under <name>@<version>/, so bootstrap.min.css finds its
// fonts at ../fonts/ as it does in the package.
//
//go:embed assets
var vendored embed.FS

// cacheForever is the Cache-Control of every asset: a path names a
// version, so its content never changes.
const cacheForever = "public, max-age=31536000, immutable"

// contentTypes are set explicitly: Go's built-in table lacks the fonts, and
// the system's (/etc/mime.types) varies by host.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".woff":  "font/woff",
	".woff2": "font/woff2",
	".ttf":   "font/ttf",
	".eot":   "application/vnd.ms-fontobject",
	".svg":   "image/svg+xml",
	".txt":   "text/plain; charset=utf-8",
	"":       "text/plain; charset=utf-8", // LICENSE
}

// Assets returns a handler serving the vendored files at
// /<name>@<version>/<path in the npm package>, as Rewrite links them, e.g.
// /bootstrap@3.3.7/dist/css/bootstrap.min.css. Mount it under a prefix with
// http.StripPrefix; Rewrite must be given the same prefix.
//
// Files are cached for a year. Directories, unclean paths and missing
// files are 404s, other methods than GET and HEAD 405s.
func Assets() http.Handler {
	files, err := fs.Sub(vendored, "assets")
	if err != nil {
		// fs.Sub fails only on an invalid directory name, and "assets" is
		// valid: unreachable.
		panic(err)
	}
	return assetHandler{files: files, server: http.FileServerFS(files)}
}

type assetHandler struct {
	files  fs.FS
	server http.Handler
}

func (h assetHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // StripPrefix given the prefix with its trailing slash
	}
	name := strings.TrimPrefix(p, "/")
	ctype, known := contentTypes[path.Ext(name)]
	if !known || path.Clean(p) != p {
		http.NotFound(w, r)
		return
	}
	// Checked here, not left to the file server, so that only files get
	// the caching headers and no directory is listed.
	if info, err := fs.Stat(h.files, name); err != nil || !info.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Cache-Control", cacheForever)
	hd.Set("X-Content-Type-Options", "nosniff")
	h.server.ServeHTTP(w, r)
}
