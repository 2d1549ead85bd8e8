package offline

import (
	"bytes"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

const (
	// sniffLen is how much of a body without a Content-Type is looked at
	// to tell whether it is HTML, as net/http itself does.
	sniffLen = 512
	// maxHTML bounds the HTML held back for rewriting; a longer page is
	// passed on as it is.
	maxHTML = 4 << 20
)

// Rewrite returns a handler that serves h, with goka's CDN URLs in its
// HTML pages replaced by those of the vendored copies under prefix, the
// path Assets is mounted at (e.g. "/assets/vendor"). The integrity
// attributes stay: the copies are the files they hash.
//
// Only HTML is held back, to be rewritten when h returns; status and
// headers are kept and Content-Length set to the new length. Other
// responses, and HTML that is compressed, partial or over 4 MiB, stream
// through untouched. A response without Content-Type is sniffed, as
// net/http would, since goka's pages set none.
func Rewrite(prefix string, h http.Handler) http.Handler {
	urls := localURLs(strings.TrimSuffix(prefix, "/"))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &rewriter{w: w, urls: urls}
		h.ServeHTTP(rw, r)
		rw.finish()
	})
}

// mode is what a rewriter does with the body.
type mode int

const (
	undecided mode = iota // body buffered until it can be sniffed
	pass                  // body streams through
	hold                  // HTML buffered, to be rewritten
)

// rewriter is the http.ResponseWriter h writes to.
type rewriter struct {
	w    http.ResponseWriter
	urls map[string]string
	code int // 0 until the header is written
	mode mode
	buf  bytes.Buffer
}

func (rw *rewriter) Header() http.Header { return rw.w.Header() }

// Unwrap lets http.ResponseController reach the connection.
func (rw *rewriter) Unwrap() http.ResponseWriter { return rw.w }

func (rw *rewriter) WriteHeader(code int) {
	switch {
	case code >= 100 && code < 200 && code != http.StatusSwitchingProtocols:
		rw.w.WriteHeader(code) // informational; the real one follows
		return
	case rw.code != 0:
		if rw.mode == pass {
			rw.w.WriteHeader(code) // let net/http report the superfluous call
		}
		return
	}
	rw.code = code
	hd := rw.w.Header()
	switch {
	case !bodyAllowed(code) || code == http.StatusPartialContent,
		hd.Get("Content-Encoding") != "" && hd.Get("Content-Encoding") != "identity":
		rw.decide(false)
	case hd.Get("Content-Type") != "":
		rw.decide(isHTML(hd.Get("Content-Type")))
	}
}

func (rw *rewriter) Write(p []byte) (int, error) {
	if rw.code == 0 {
		rw.WriteHeader(http.StatusOK)
	}
	switch rw.mode {
	case pass:
		return rw.w.Write(p)
	case hold:
		if rw.buf.Len()+len(p) > maxHTML {
			rw.release()
			return rw.w.Write(p)
		}
	}
	rw.buf.Write(p)
	if rw.mode == undecided && rw.buf.Len() >= sniffLen {
		rw.sniff()
	}
	return len(p), nil
}

// FlushError makes a flush of undecided output decide it, as net/http's
// would, and flushes what passes through. Held HTML stays held.
func (rw *rewriter) FlushError() error {
	if rw.code == 0 {
		rw.WriteHeader(http.StatusOK) // a flush sends the header
	}
	if rw.mode == undecided {
		rw.sniff()
	}
	if rw.mode != pass {
		return nil
	}
	return http.NewResponseController(rw.w).Flush()
}

// Flush implements http.Flusher for handlers that assert it.
func (rw *rewriter) Flush() { _ = rw.FlushError() }

// finish sends what is still held once the handler has returned.
func (rw *rewriter) finish() {
	if rw.mode == undecided {
		if rw.code == 0 {
			return // nothing written: net/http sends its empty 200
		}
		rw.sniff()
	}
	if rw.mode != hold {
		return
	}
	page := rewriteHTML(rw.buf.Bytes(), rw.urls)
	rw.w.Header().Set("Content-Length", strconv.Itoa(len(page)))
	rw.w.WriteHeader(rw.code)
	_, _ = rw.w.Write(page) // an error means the client has gone
}

// sniff decides on what has been written, setting the Content-Type that
// net/http would detect.
func (rw *rewriter) sniff() {
	hd := rw.w.Header()
	if hd.Get("Content-Type") == "" && rw.buf.Len() > 0 {
		hd.Set("Content-Type", http.DetectContentType(rw.buf.Bytes()))
	}
	rw.decide(isHTML(hd.Get("Content-Type")))
}

// decide sets the mode; passing, it sends the header and any body so far.
func (rw *rewriter) decide(html bool) {
	if html {
		rw.mode = hold
		return
	}
	rw.release()
}

// release gives up on rewriting, sending on what has been held.
func (rw *rewriter) release() {
	rw.mode = pass
	rw.w.WriteHeader(rw.code)
	if rw.buf.Len() > 0 {
		_, _ = rw.w.Write(rw.buf.Bytes()) // an error means the client has gone
		rw.buf = bytes.Buffer{}
	}
}

func isHTML(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "text/html"
}

// bodyAllowed reports whether a response with status code has a body.
func bodyAllowed(code int) bool {
	return code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified
}
