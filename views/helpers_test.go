package views

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/internal/kafkaconf"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newTestSet returns a set of views fed by goka's tester, not yet running.
func newTestSet(t testing.TB) (*Set, *tester.Tester) {
	t.Helper()
	tt := tester.New(t)
	set, err := newSet(kafkaconf.Config{Brokers: []string{"tester:9092"}}, "", tt.StorageBuilder(), discardLogger(), goka.WithViewTester(tt))
	if err != nil {
		t.Fatal(err)
	}
	return set, tt
}

// runSet runs set until the test ends (or stop is called) and waits for
// it to recover. stop returns what Run returned.
func runSet(t testing.TB, set *Set) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- set.Run(ctx) }()
	var (
		stopped bool
		err     error
	)
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			err = <-done
		}
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("run views: %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !set.Recovered() {
		if time.Now().After(deadline) {
			t.Fatalf("views not recovered: %v", set.NotReady())
		}
		time.Sleep(time.Millisecond)
	}
	return stop
}

// response is what a request got.
type response struct {
	code   int
	header http.Header
	body   string
}

func do(t testing.TB, h http.Handler, method, target string) response {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: rec.Code, header: rec.Header(), body: string(body)}
}

func newTestHandler(t testing.TB, cfg HandlerConfig) *Handler {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = discardLogger()
	}
	h, err := NewHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// checkJSON asserts a JSON response with exactly wantBody.
func checkJSON(t *testing.T, got response, wantCode int, wantBody string) {
	t.Helper()
	if got.code != wantCode {
		t.Errorf("status %d, want %d (body %s)", got.code, wantCode, got.body)
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if got.body != wantBody+"\n" {
		t.Errorf("body\n%s\nwant\n%s", got.body, wantBody)
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}
