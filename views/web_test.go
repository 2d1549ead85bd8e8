package views

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/lovoo/goka"
	"github.com/lovoo/goka/tester"

	"github.com/orderstream/orderstream/processors/restaurant"
	"github.com/orderstream/orderstream/processors/user"
)

// newTestProcessor builds (without running) a processor on a tester of its
// own, for the monitor to show.
func newTestProcessor(t *testing.T, gg *goka.GroupGraph) *goka.Processor {
	t.Helper()
	p, err := goka.NewProcessor(nil, gg, goka.WithTester(tester.New(t)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// links finds the site-local links of a page: hrefs and the data URLs its
// scripts fetch (html/template escapes / as \/ in scripts).
var links = regexp.MustCompile(`(?:href="|d3\.json\(")((?:/|\\/)[^"#]*)"`)

// TestWebUILinks crawls goka's pages from / and checks every local link
// answers 200, so the pages work under the prefixes they are mounted at.
func TestWebUILinks(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 4, 10000))
	h := newTestHandler(t, HandlerConfig{Views: set})
	h.AttachProcessor(newTestProcessor(t, restaurant.Define(restaurant.Config{}).GroupGraph))
	h.AttachProcessor(newTestProcessor(t, user.Define().GroupGraph))

	seen := map[string]bool{}
	queue := []string{"/"}
	for len(queue) > 0 {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		got := do(t, h, http.MethodGet, path)
		if got.code != http.StatusOK {
			t.Errorf("GET %s: %d %s", path, got.code, got.body)
			continue
		}
		for _, m := range links.FindAllStringSubmatch(got.body, -1) {
			queue = append(queue, strings.ReplaceAll(m[1], `\/`, "/"))
		}
	}
	for _, want := range []string{
		"/monitor/", "/query/",
		"/monitor/processor/0", "/monitor/processor/1",
		"/monitor/view/0", "/monitor/view/1", "/monitor/view/2",
		"/monitor/data/processor/0", "/monitor/data/view/2",
		"/query/restaurant-table", "/query/user-table", "/query/global-table",
	} {
		if !seen[want] {
			t.Errorf("no page links to %s (crawled %v)", want, keys(seen))
		}
	}
}

func TestWebUIPages(t *testing.T) {
	set, tt := newTestSet(t)
	runSet(t, set)
	tt.SetTableValue(restaurant.Table, "r1", restaurantStats("r1", 4, 10000))
	h := newTestHandler(t, HandlerConfig{Views: set})
	h.AttachProcessor(newTestProcessor(t, restaurant.Define(restaurant.Config{}).GroupGraph))

	tests := []struct {
		target   string
		wantCode int
		contains []string
	}{
		{"/", 200, []string{`href="/monitor/"`, `href="/query/"`}},
		{"/monitor/", 200, []string{"restaurant-table", "user-table", "global-table", `href="/monitor/processor/0"`, "INPUT: status-by-restaurant"}},
		{"/monitor/view/2", 200, []string{"global-table"}},
		{"/monitor/data/view/0", 200, []string{`"Partitions":{"0":`}},
		{"/monitor/data/processor/0", 200, []string{`"Group":`}},
		{"/query/", 200, []string{`href="/query/global-table"`}},
		{"/query/restaurant-table/r1", 200, []string{"&#34;revenue_cents&#34;: 10000"}},
		{"/query/restaurant-table/nobody", 200, []string{"Key &#39;nobody&#39; not found!"}},
		{"/query/restaurant-table/" + strings.Repeat("k", 1000), 200, []string{"not found"}},
		// goka indexes processors with > len instead of >= len: N must 404,
		// not panic.
		{"/monitor/processor/1", 404, []string{`{"error":"no such page /monitor/processor/1"}`}},
		{"/monitor/view/6", 404, nil},
		{"/monitor/data/processor/1", 404, nil},
		{"/monitor/data/view/6", 404, nil},
		{"/monitor/data/view/-1", 404, nil},
		{"/monitor/data/table/0", 404, nil},
		{"/monitor/processor/x", 404, nil},
		{"/monitor/nothing", 404, []string{`{"error":"no such page /monitor/nothing"}`}},
		{"/monitor/processor/0/more", 404, []string{`{"error":"no such page /monitor/processor/0/more"}`}},
		{"/query/nothing/at/all", 200, []string{"Source &#39;nothing&#39; not found!"}},
	}
	for _, tc := range tests {
		t.Run(tc.target, func(t *testing.T) {
			got := do(t, h, http.MethodGet, tc.target)
			if got.code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", got.code, tc.wantCode, got.body)
			}
			for _, want := range tc.contains {
				if !strings.Contains(got.body, want) {
					t.Errorf("page lacks %q:\n%s", want, got.body)
				}
			}
		})
	}
}

// TestAttachWhileServing attaches processors while the monitor is read;
// the race detector checks the guard.
func TestAttachWhileServing(t *testing.T) {
	set, _ := newTestSet(t)
	runSet(t, set)
	h := newTestHandler(t, HandlerConfig{Views: set})
	procs := []*goka.Processor{
		newTestProcessor(t, restaurant.Define(restaurant.Config{}).GroupGraph),
		newTestProcessor(t, user.Define().GroupGraph),
	}

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				for _, path := range []string{"/", "/monitor/", "/monitor/processor/1", "/monitor/data/processor/0", "/query/", "/query/user-table/u1"} {
					if got := do(t, h, http.MethodGet, path); got.code >= 500 {
						t.Errorf("GET %s (%d): %d", path, i, got.code)
					}
				}
			}
		}()
	}
	for _, p := range procs {
		h.AttachProcessor(p)
	}
	wg.Wait()

	got := do(t, h, http.MethodGet, "/monitor/data/processor/1")
	var stats goka.ProcessorStats
	if err := json.Unmarshal([]byte(got.body), &stats); got.code != 200 || err != nil {
		t.Errorf("processor stats: %d %v", got.code, err)
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
