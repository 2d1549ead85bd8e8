// Package offline makes goka's web UI (monitor, query and index pages) work
// without internet access. goka's templates load Bootstrap, jQuery, lodash
// and d3 from public CDNs; this package embeds the same versions, vendored
// from npm by vendor.sh, serves them (Assets) and rewrites the pages to
// load them from there (Rewrite).
//
// Wiring, with the assets mounted at /assets/vendor:
//
//	mux.Handle("/assets/vendor/", http.StripPrefix("/assets/vendor", offline.Assets()))
//	mux.Handle("/monitor/", offline.Rewrite("/assets/vendor", monitorHandler))
//
// and the same Rewrite around every handler that renders goka's pages
// (/query/ and goka's index page too).
package offline

// cdnFiles is the one table of what goka's templates (v1.1.16,
// web/templates/common/head.go.html) load from outside: each URL, exactly
// as written in a src or href attribute, mapped to its vendored copy, a
// path under assets/. An empty path removes the element instead.
//
// The files are the very ones the CDNs serve: the tests check them against
// the SRI hashes in goka's templates and those the CDNs publish.
var cdnFiles = map[string]string{
	"https://maxcdn.bootstrapcdn.com/bootstrap/3.3.7/css/bootstrap.min.css":       "bootstrap@3.3.7/dist/css/bootstrap.min.css",
	"https://maxcdn.bootstrapcdn.com/bootstrap/3.3.7/css/bootstrap-theme.min.css": "bootstrap@3.3.7/dist/css/bootstrap-theme.min.css",
	"https://maxcdn.bootstrapcdn.com/bootstrap/3.3.7/js/bootstrap.min.js":         "bootstrap@3.3.7/dist/js/bootstrap.min.js",
	// Protocol-relative: offline, it would fail over http as over https.
	"//ajax.googleapis.com/ajax/libs/jquery/1.11.0/jquery.min.js":           "jquery@1.11.0/dist/cdn/jquery-1.11.0.min.js",
	"https://cdnjs.cloudflare.com/ajax/libs/lodash.js/4.17.1/lodash.min.js": "lodash@4.17.1/lodash.min.js",
	// The major-version URL; 4.13.0 is the last v4 release.
	"https://d3js.org/d3.v4.min.js": "d3@4.13.0/build/d3.min.js",
	// No template or stylesheet of goka's names these fonts, so dropping
	// the stylesheet changes nothing: text keeps Bootstrap's font stack
	// (Helvetica Neue, Helvetica, Arial, sans-serif).
	"https://fonts.googleapis.com/css?family=Open+Sans+Condensed:300|Open+Sans": "",
}
