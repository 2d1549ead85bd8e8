package offline_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/orderstream/orderstream/internal/offline"
)

// The assets go under one prefix, stripped before Assets sees the path,
// and every handler rendering goka's pages is wrapped by Rewrite with the
// same prefix.
func Example() {
	goka := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<!DOCTYPE html><head><script src="https://d3js.org/d3.v4.min.js"></script></head>`)
	})

	mux := http.NewServeMux()
	mux.Handle("/assets/vendor/", http.StripPrefix("/assets/vendor", offline.Assets()))
	mux.Handle("/monitor/", offline.Rewrite("/assets/vendor", goka))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/monitor/", nil))
	page := rec.Body.String()
	fmt.Println(page)

	src := strings.Split(page, `"`)[1]
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", src, nil))
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	// Output:
	// <!DOCTYPE html><head><script src="/assets/vendor/d3@4.13.0/build/d3.min.js"></script></head>
	// 200 text/javascript; charset=utf-8
}
