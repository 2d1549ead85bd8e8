package httpjson

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestListener sends requests net/http refuses before any handler runs,
// over TCP, and reads JSON answers; a handler's own plain-text answer is
// left alone.
func TestListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "handler's own 404", http.StatusNotFound)
	}), MaxHeaderBytes: 1 << 10}
	go func() { _ = srv.Serve(Listener(ln)) }()
	defer srv.Close()

	tests := []struct {
		name, request string
		wantStatus    int
		wantJSON      bool
	}{
		{"bad escape in the path", "GET /api/restaurants/%zz HTTP/1.1\r\nHost: x\r\n\r\n", 400, true},
		{"malformed header", "GET /api/stats HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n", 400, true},
		{"headers too large", "GET /api/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 8<<10) + "\r\n\r\n", 431, true},
		{"handler's plain text", "GET /dashboard/ HTTP/1.1\r\nHost: x\r\n\r\n", 404, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.request); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
			}
			var e errorBody
			isJSON := resp.Header.Get("Content-Type") == "application/json" && json.Unmarshal(body, &e) == nil && e.Error != ""
			if isJSON != tt.wantJSON {
				t.Errorf("JSON %v, want %v: %s %q", isJSON, tt.wantJSON, resp.Header.Get("Content-Type"), body)
			}
			t.Logf("%d %s", resp.StatusCode, body)
		})
	}
}
