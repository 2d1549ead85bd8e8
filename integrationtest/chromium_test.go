package integrationtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumNames are the browser binaries looked for on PATH, after
// $ORDERSTREAM_CHROMIUM; Debian's package installs /usr/bin/chromium.
var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome", "headless-shell"}

// findChromium returns the browser to drive. Without one the test is
// skipped, except in CI (CI=true), where .ci/run installs Chromium and a
// missing browser must fail rather than pass unseen.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ORDERSTREAM_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("no Chromium found (looked for $ORDERSTREAM_CHROMIUM and %s on PATH); install it with: apt-get install -y chromium",
		strings.Join(chromiumNames, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browser is one headless Chromium tab that may reach loopback only: every
// other host name resolves to nothing, and every request it makes is
// recorded so a test can prove none left the machine. Its methods fail t;
// a subtest takes its own with with.
type browser struct {
	t   *testing.T
	ctx context.Context
	log *pageLog
}

// pageLog is what the tab did, recorded from its events.
type pageLog struct {
	mu       sync.Mutex
	requests []string                     // URLs of every request, in order
	urls     map[network.RequestID]string // the URL of each request
	failed   []string                     // requests that failed, other than cancelled ones
	errors   []string                     // uncaught exceptions and console errors
	ignore   []*regexp.Regexp             // failures and errors a test caused on purpose
}

// with returns the browser failing t instead, for a subtest.
func (b *browser) with(t *testing.T) *browser { return &browser{t: t, ctx: b.ctx, log: b.log} }

// newBrowser starts Chromium (found by findChromium) with a fresh profile
// and a window of width × height, and stops it when the test ends.
func newBrowser(t *testing.T, width, height int) *browser {
	t.Helper()
	path := findChromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
		chromedp.NoSandbox, // CI runs as root
		chromedp.DisableGPU,
		// On a closed network Chromium's own connections (updates,
		// QUIC probes, sync) are refused and slow it down; off.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		// Only loopback resolves: a page that loads anything from
		// another host fails here as it would offline.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, log: &pageLog{urls: map[network.RequestID]string{}}}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Listen(ctx, b.log.record); err != nil {
		t.Fatalf("listen to the browser: %v", err)
	}
	// The first action starts the browser and opens the tab.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return b
}

// record is called by chromedp for every event of the tab, in order.
func (b *pageLog) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		b.requests = append(b.requests, ev.Request.URL)
		b.urls[ev.RequestID] = ev.Request.URL
	case *network.EventLoadingFailed:
		if !ev.Canceled {
			b.failed = append(b.failed, fmt.Sprintf("%s %s failed: %s %s", ev.Type, b.urls[ev.RequestID], ev.ErrorText, ev.BlockedReason))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text = d.Exception.Description
		}
		b.errors = append(b.errors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, text))
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
			}
			b.errors = append(b.errors, "console.error: "+strings.Join(parts, " "))
		}
	}
}

// do runs actions, failing the test on an error.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// waitJS polls the JavaScript expression, which returns {ok, last}, until
// ok, at most waitTimeout, and fails the test with the last observation.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	type state struct {
		OK   bool   `json:"ok"`
		Last string `json:"last"`
	}
	deadline := time.Now().Add(waitTimeout)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
		st, err := chromedp.Run(ctx, chromedp.Evaluate[state](expr))
		cancel()
		if err == nil && st.OK {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out after %v waiting for %s; last observed: %s (error %v)", waitTimeout, what, st.Last, err)
		}
		time.Sleep(pollInterval)
	}
}

// screenshot saves the page as it shows now as a PNG artifact.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifactsDir(b.t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// artifactsDir is where a test leaves its screenshots: under
// $ORDERSTREAM_ARTIFACTS, in a directory named after the test, or in a
// temporary directory removed when the test ends.
func artifactsDir(t *testing.T) string {
	t.Helper()
	base := os.Getenv("ORDERSTREAM_ARTIFACTS")
	if base == "" {
		return t.TempDir()
	}
	dir := filepath.Join(base, strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ignoreErrors makes checkClean accept page errors matching re: those a
// test causes on purpose, such as the failed requests of a server restart.
func (b *browser) ignoreErrors(re string) {
	b.log.mu.Lock()
	defer b.log.mu.Unlock()
	b.log.ignore = append(b.log.ignore, regexp.MustCompile(re))
}

// checkClean fails the test if the page made a request to anything but
// loopback, had a request fail, or threw or logged an error.
func (b *browser) checkClean() {
	b.t.Helper()
	l := b.log
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.requests) == 0 {
		b.t.Error("the browser recorded no request at all")
	}
	for _, r := range l.requests {
		if !isLoopback(r) {
			b.t.Errorf("request left loopback: %s", r)
		}
	}
	for _, f := range append(l.failed, l.errors...) {
		if !l.ignored(f) {
			b.t.Errorf("page error: %s", f)
		}
	}
	b.t.Logf("the page made %d requests, all to loopback", len(l.requests))
}

func (l *pageLog) ignored(s string) bool {
	for _, re := range l.ignore {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// isLoopback reports whether a request URL stays on this machine: http(s)
// to a loopback address, or a URL that makes no request (data:, about:).
func isLoopback(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	switch u.Scheme {
	case "data", "about", "blob":
		return true
	case "http", "https", "ws", "wss":
		h := u.Hostname()
		return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
	}
	return false
}
