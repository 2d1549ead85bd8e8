package intake

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// largeBody is a body far over MaxBodyBytes, as a user would send it by
// mistake (a 5 MB file).
var largeBody = bytes.Repeat([]byte("x"), 5<<20)

const want413 = `{"error":"request body larger than 65536 bytes"}` + "\n"

// newServer serves the intake over TCP, as the server does.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(newTestHandler(&fakeSink{}))
	t.Cleanup(srv.Close)
	return srv
}

// tool returns the path of an external client, skipping the test without
// it (failing with CI=true).
func tool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found; install it (apt-get install %s)", name, name)
		}
		t.Skipf("%s not found; install it to run this test", name)
	}
	return path
}

// TestTooLargeGoClient: Go's client reads the 413 of a large body whether
// it declares its length and waits for 100 Continue, declares it and
// sends at once, or sends it chunked.
func TestTooLargeGoClient(t *testing.T) {
	srv := newServer(t)
	tests := []struct {
		name    string
		expect  bool
		chunked bool
	}{
		{"declared length, Expect: 100-continue", true, false},
		{"declared length, no Expect", false, false},
		{"chunked, Expect: 100-continue", true, true},
		{"chunked", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(largeBody)
			if tt.chunked {
				body = io.MultiReader(body) // hides the length
			}
			req, err := http.NewRequest(http.MethodPost, srv.URL+Path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.expect {
				req.Header.Set("Expect", "100-continue")
			}
			client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			defer resp.Body.Close()
			got, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read answer: %v", err)
			}
			if resp.StatusCode != http.StatusRequestEntityTooLarge || string(got) != want413 {
				t.Errorf("got %d %s, want 413 %s", resp.StatusCode, got, want413)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestTooLargeCurl: curl sends Expect: 100-continue with a large file and
// must get the 413, never "connection reset by peer".
func TestTooLargeCurl(t *testing.T) {
	curl := tool(t, "curl")
	srv := newServer(t)
	file := filepath.Join(t.TempDir(), "5MB.json")
	if err := os.WriteFile(file, largeBody, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, extra := range [][]string{nil, {"-H", "Transfer-Encoding: chunked"}, {"-H", "Expect:"}} {
		t.Run(strings.Join(extra, " "), func(t *testing.T) {
			args := append([]string{"-sS", "-v", "-w", "\n%{http_code}", "-H", "Content-Type: application/json",
				"--data-binary", "@" + file}, extra...)
			cmd := exec.Command(curl, append(args, srv.URL+Path)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("curl: %v\n%s", err, stderr.String())
			}
			if got, want := string(out), want413+"\n413"; got != want {
				t.Errorf("curl printed %q, want %q\n%s", got, want, stderr.String())
			}
			if extra == nil && !strings.Contains(stderr.String(), "Expect: 100-continue") {
				t.Errorf("curl did not send Expect: 100-continue; the test no longer tests it:\n%s", stderr.String())
			}
		})
	}
}

// TestTooLargePython: Python's http.client sends the whole body before it
// reads the answer, with a declared length or chunked.
func TestTooLargePython(t *testing.T) {
	python := tool(t, "python3")
	srv := newServer(t)
	const script = `
import http.client, json, sys
host, chunked = sys.argv[1], sys.argv[2] == "chunked"
body = b"x" * (5 << 20)
c = http.client.HTTPConnection(host, timeout=30)
if chunked:
    c.request("POST", "/api/orders", body=iter([body[i:i+65536] for i in range(0, len(body), 65536)]),
              headers={"Content-Type": "application/json"}, encode_chunked=True)
else:
    c.request("POST", "/api/orders", body=body, headers={"Content-Type": "application/json"})
r = c.getresponse()
print(r.status, json.dumps(json.loads(r.read())))
`
	for _, mode := range []string{"length", "chunked"} {
		t.Run(mode, func(t *testing.T) {
			out, err := exec.Command(python, "-c", script, strings.TrimPrefix(srv.URL, "http://"), mode).CombinedOutput()
			if err != nil {
				t.Fatalf("python: %v\n%s", err, out)
			}
			var e ErrorResponse
			_ = json.Unmarshal([]byte(want413), &e)
			if got, want := strings.TrimSpace(string(out)), `413 {"error": "`+e.Error+`"}`; got != want {
				t.Errorf("python printed %q, want %q", got, want)
			}
		})
	}
}
