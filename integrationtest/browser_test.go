package integrationtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/processors/kitchen"
)

// The browser tests drive the dashboard and goka's monitor in headless
// Chromium against the whole system, with every host but loopback made
// unresolvable. See chromium_test.go for how the browser is run.

// browserSystem starts a broker and the system for a browser test; the
// browser is looked for first, so a machine without one skips at once.
func browserSystem(t *testing.T) *system {
	t.Helper()
	skipShort(t)
	findChromium(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	sys.start()
	t.Logf("system ready after %v", sys.waitReady())
	return sys
}

// placed is an order the test placed through POST /api/orders.
type placed struct {
	ID, Restaurant, User string
	TotalCents           int64
}

// placeOrder places one item of priceCents, qty times, and returns the
// order as the intake accepted it.
func placeOrder(t *testing.T, base, restaurant, user string, qty int, priceCents int64) placed {
	t.Helper()
	body := fmt.Sprintf(`{"restaurant_id":%q,"user_id":%q,"items":[{"sku":"dish","qty":%d,"price_cents":%d}]}`,
		restaurant, user, qty, priceCents)
	code, _, resp, err := post(base+"/api/orders", body, nil)
	if err != nil || code != http.StatusAccepted {
		t.Fatalf("place order: %d %s %v", code, resp, err)
	}
	var r struct {
		OrderID    string `json:"order_id"`
		TotalCents int64  `json:"total_cents"`
	}
	if err := json.Unmarshal([]byte(resp), &r); err != nil {
		t.Fatal(err)
	}
	return placed{ID: r.OrderID, Restaurant: restaurant, User: user, TotalCents: r.TotalCents}
}

// fetchJSON decodes the body of a 200 answer to GET url into v, ignoring
// fields v lacks; otherwise it describes what came back, for polling.
func fetchJSON(t *testing.T, url string, v any) error {
	t.Helper()
	code, body := get(t, url)
	if code != http.StatusOK {
		return fmt.Errorf("GET %s: %d %s", url, code, strings.TrimSpace(body))
	}
	return json.Unmarshal([]byte(body), v)
}

// apiJSON decodes GET base+path into a generic value, failing the test on
// anything but a 200.
func apiJSON[T any](t *testing.T, url string) T {
	t.Helper()
	var v T
	code, body := get(t, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, code, body)
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return v
}

// moneyText is how the dashboard shows integer cents: €1,234.56.
func moneyText(cents int64) string {
	whole := strconv.FormatInt(cents/100, 10)
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	return fmt.Sprintf("€%s.%02d", whole, cents%100)
}

func TestMoneyText(t *testing.T) {
	for cents, want := range map[int64]string{0: "€0.00", 5: "€0.05", 12345: "€123.45", 123456789: "€1,234,567.89", 100000: "€1,000.00"} {
		if got := moneyText(cents); got != want {
			t.Errorf("moneyText(%d) = %q, want %q", cents, got, want)
		}
	}
}

// jsString quotes s for a JavaScript expression.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestMonitorOffline loads goka's monitor and query UI with every other
// host unresolvable and checks they draw their tables from their data
// requests, with nothing requested beyond loopback.
func TestMonitorOffline(t *testing.T) {
	sys := browserSystem(t)
	for i := range 6 {
		placeOrder(t, sys.base, fmt.Sprintf("r-%04d", i%2+1), fmt.Sprintf("u-%05d", i+1), 1, 450)
	}
	waitFor(t, sys, "the orders to be counted", func() (string, bool) {
		st := apiJSON[struct{ Orders int }](t, sys.base+"/api/stats")
		return fmt.Sprintf("%d orders", st.Orders), st.Orders == 6
	})

	br := newBrowser(t, 1280, 900)
	// Bootstrap's stylesheet sets the font; jQuery, lodash and d3 are
	// globals: every vendored file loaded and ran.
	const assetsLoaded = `({ok: typeof jQuery === 'function' && typeof _ === 'function' && typeof d3 === 'object' &&
		getComputedStyle(document.body).fontFamily.includes('Helvetica Neue'),
		last: [typeof jQuery, typeof _, typeof d3, getComputedStyle(document.body).fontFamily].join(' ')})`

	br.do("open the monitor", chromedp.Navigate(sys.base+"/monitor/"))
	br.waitJS("the monitor's scripts and styles", assetsLoaded)
	listed := eval[[]string](br, `[...new Set([...document.querySelectorAll('h4 a[href^="/monitor/processor/"]')].map(a => a.textContent.trim()))]`)
	for _, want := range []string{"lifecycle", "restaurant", "user", "global"} {
		if !slices.Contains(listed, want) {
			t.Errorf("the monitor lists processors %q, not %s", listed, want)
		}
	}

	// The restaurant processor's page draws its tables from
	// /monitor/data/processor/N with d3.
	idx := eval[int](br, `[...document.querySelectorAll('a[href^="/monitor/processor/"]')].findIndex(a => a.textContent.trim() === 'restaurant')`)
	if idx < 0 {
		t.Fatal("no restaurant processor on the monitor")
	}
	href := eval[string](br, fmt.Sprintf(`document.querySelectorAll('a[href^="/monitor/processor/"]')[%d].getAttribute('href')`, idx))
	br.do("open the restaurant processor", chromedp.Navigate(sys.base+href))
	br.waitJS("the processor's statistics drawn", `({
		ok: document.querySelectorAll('#tableStatistics tr.partitionbox').length === 3 &&
			document.querySelectorAll('#inputStatistics tr.partitionbox').length >= 1 &&
			document.querySelectorAll('#outputStatistics tr.partitionbox').length >= 1,
		last: ['#tableStatistics', '#inputStatistics', '#outputStatistics'].map(s => s + ' ' + document.querySelectorAll(s + ' tr').length).join(', ')})`)
	br.waitJS("the processor's scripts and styles", assetsLoaded)
	br.screenshot("monitor-processor")

	br.do("open a view", chromedp.Navigate(sys.base+"/monitor/view/0"))
	br.waitJS("the view's partitions drawn", `({ok: document.querySelectorAll('tr.partitionbox').length === 3,
		last: document.querySelectorAll('tr').length + ' rows'})`)

	br.do("open the query UI", chromedp.Navigate(sys.base+"/query/restaurant-table/r-0001"))
	br.waitJS("the query UI's answer", `({ok: document.body.innerText.includes('"revenue_cents": 1350') && typeof jQuery === 'function',
		last: document.body.innerText.slice(0, 300)})`)

	br.do("open goka's index", chromedp.Navigate(sys.base+"/goka/"))
	br.waitJS("goka's index", `({ok: !!document.querySelector('a[href="/monitor/"]') && !!document.querySelector('a[href="/query/"]'),
		last: document.body.innerText.slice(0, 200)})`)
	br.checkClean()
}

// TestDashboard drives the dashboard: its numbers against the API's, the
// leaderboard's sorting, a phone-sized screen, an order placed appearing
// in the live feed and its page's timeline, the user and restaurant pages,
// the search box, and a server restart under an open page. It runs what
// demo runs for the order lifecycle, with a quick simulated kitchen; the
// browser reaches the server through a relay, so the server can come back
// on another port at the same address.
func TestDashboard(t *testing.T) {
	skipShort(t)
	findChromium(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	dataDir := t.TempDir()
	opts := lifecycleOptions{capacity: 100, kitchen: &kitchen.Config{
		PrepMin: 500 * time.Millisecond, PrepMax: time.Second, DeliveryMin: 500 * time.Millisecond, DeliveryMax: time.Second}}
	sys := startLifecycle(t, kc, dataDir, opts, logger)
	publishTestCatalog(t, kc,
		catalog.Restaurant{ID: "r-0001", Name: "Trattoria Roma", Cuisine: "italian"},
		catalog.Restaurant{ID: "r-0002", Name: "Sushi Go", Cuisine: "japanese"},
		catalog.Restaurant{ID: "r-0003", Name: "Taqueria Oaxaca", Cuisine: "mexican"})
	rl := newRelay(t, sys.base)
	br := newBrowser(t, 1280, 900)
	base := rl.base

	// Three restaurants whose ranks by revenue and by orders differ.
	for _, o := range []struct {
		restaurant string
		n          int
		cents      int64
	}{{"r-0001", 1, 9000}, {"r-0002", 3, 100}, {"r-0003", 2, 550}} {
		for i := range o.n {
			placeOrder(t, sys.base, o.restaurant, fmt.Sprintf("u-%05d", i+1), 1, o.cents)
		}
	}
	waitFor(t, nil, "the orders to be counted, named and delivered", func() (string, bool) {
		var st struct{ Orders, Delivered int }
		var r struct{ Name string }
		if err := errors.Join(fetchJSON(t, sys.base+"/api/stats", &st), fetchJSON(t, sys.base+"/api/restaurants/r-0003", &r)); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%d orders, %d delivered, r-0003 named %q", st.Orders, st.Delivered, r.Name),
			st.Orders == 6 && st.Delivered == 6 && r.Name != ""
	})

	t.Run("counters and leaderboard", func(t *testing.T) {
		br := br.with(t)
		stats := apiJSON[map[string]any](t, sys.base+"/api/stats")
		br.do("open the dashboard", chromedp.Navigate(base+"/"))
		br.waitJS("the counters", fmt.Sprintf(`({ok: document.querySelector('[data-kpi=orders]')?.dataset.value === '%v',
			last: document.querySelector('#counters')?.innerText})`, stats["orders"]))
		type shown struct{ Value, Text string }
		kpis := eval[map[string]shown](br, `Object.fromEntries([...document.querySelectorAll('#counters [data-kpi]')].map(k =>
			[k.dataset.kpi, {Value: k.dataset.value, Text: k.querySelector('.value').textContent}]))`)
		num := func(k string) int64 { f, _ := stats[k].(float64); return int64(f) }
		for _, c := range []struct{ kpi, field, text string }{
			{"orders", "orders", strconv.FormatInt(num("orders"), 10)},
			{"revenue", "revenue_cents", moneyText(num("revenue_cents"))},
			{"restaurants", "restaurants", strconv.FormatInt(num("restaurants"), 10)},
			{"users", "users", strconv.FormatInt(num("users"), 10)},
		} {
			want := shown{Value: strconv.FormatInt(num(c.field), 10), Text: c.text}
			if got := kpis[c.kpi]; got != want {
				t.Errorf("counter %s shows %+v, want %+v (API %s)", c.kpi, got, want, c.field)
			}
		}
		if open, ok := stats["open_orders"]; ok {
			if got, want := kpis["open"].Value, fmt.Sprint(open); got != want {
				t.Errorf("open orders shows %s, want %s", got, want)
			}
		}
		checkLeaderboard(t, br, sys.base, "revenue")
		br.do("sort by orders", chromedp.Click(chromedp.CSS(`button[data-sort=orders]`)))
		checkLeaderboard(t, br, sys.base, "orders")
		br.do("sort by revenue", chromedp.Click(chromedp.CSS(`button[data-sort=revenue]`)))
		checkLeaderboard(t, br, sys.base, "revenue")
		br.screenshot("dashboard")
	})

	t.Run("phone", func(t *testing.T) {
		br := br.with(t)
		br.do("shrink to a phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateScale(2)))
		defer br.do("back to 1280 px", chromedp.EmulateViewport(1280, 900))
		br.do("reload", chromedp.Navigate(base+"/#/"))
		br.waitJS("the counters", `({ok: !!document.querySelector('[data-kpi=orders]') && !!document.querySelector('#leaderboard tr'),
			last: document.body.innerText.slice(0, 200)})`)
		br.waitJS("no sideways scrolling", `({ok: document.documentElement.scrollWidth <= innerWidth,
			last: document.documentElement.scrollWidth + ' > ' + innerWidth})`)
		br.screenshot("dashboard-phone")
	})

	var o placed
	t.Run("live feed and order timeline", func(t *testing.T) {
		br := br.with(t)
		br.do("open the dashboard", chromedp.Navigate(base+"/#/"))
		br.waitJS("the live stream", `({ok: document.getElementById('conn').dataset.state === 'live',
			last: document.getElementById('conn').dataset.state})`)
		o = placeOrder(t, sys.base, "r-0002", "u-00042", 2, 1275)
		item := fmt.Sprintf(`#feed li[data-order=%s]`, jsString(o.ID))
		br.waitJS("the order in the live feed", fmt.Sprintf(`({ok: !!document.querySelector(%s),
			last: document.querySelector('#feed').innerText.slice(0, 300)})`, jsString(item)))
		br.do("open the order", chromedp.Click(chromedp.CSS(item+` a[href^="#/order/"]`)))
		checkTimeline(t, br, sys.base, o.ID)
		// The kitchen moves the order on; the open page follows.
		waitFor(t, nil, "the order to be delivered", func() (string, bool) {
			var got struct{ Status string }
			if err := fetchJSON(t, sys.base+"/api/orders/"+o.ID, &got); err != nil {
				return err.Error(), false
			}
			return got.Status, got.Status == "delivered"
		})
		checkTimeline(t, br, sys.base, o.ID)
		br.screenshot("order")
	})

	t.Run("user page", func(t *testing.T) {
		br := br.with(t)
		if o.ID == "" {
			t.Skip("no order placed")
		}
		br.do("search for the user", chromedp.SetValue(chromedp.CSS("#q"), o.User), chromedp.Click(chromedp.CSS("#search button")))
		br.waitJS("the user page", fmt.Sprintf(`({ok: location.hash === %s, last: location.hash})`, jsString("#/user/"+o.User)))
		user := apiJSON[struct {
			Orders     int64 `json:"orders"`
			SpentCents int64 `json:"spent_cents"`
		}](t, sys.base+"/api/users/"+o.User)
		br.waitJS("the user's counters", fmt.Sprintf(`({ok: document.querySelector('[data-kpi=orders]')?.dataset.value === '%d' &&
			document.querySelector('[data-kpi=spent] .value')?.textContent === %s,
			last: document.querySelector('#counters')?.innerText})`, user.Orders, jsString(moneyText(user.SpentCents))))
		// A second order: its notifications arrive while the page is open.
		o2 := placeOrder(t, sys.base, "r-0003", o.User, 1, 800)
		br.waitJS("the new order's notification", fmt.Sprintf(`({ok: !!document.querySelector('#inbox li[data-order=%s]'),
			last: document.querySelector('#notifications').innerText.slice(0, 300)})`, jsString(o2.ID)))
		waitFor(t, nil, "the inbox to match the API", func() (string, bool) {
			notes := apiJSON[struct {
				Notifications []json.RawMessage `json:"notifications"`
			}](t, sys.base+"/api/users/"+o.User+"/notifications")
			shown := eval[int](br, `document.querySelectorAll('#inbox li').length`)
			return fmt.Sprintf("page shows %d notifications, API has %d", shown, len(notes.Notifications)), shown == len(notes.Notifications)
		})
		br.screenshot("user")
	})

	t.Run("restaurant page", func(t *testing.T) {
		br := br.with(t)
		br.do("open a restaurant", chromedp.Navigate(base+"/#/restaurant/r-0003"))
		r := apiJSON[map[string]any](t, sys.base+"/api/restaurants/r-0003")
		br.waitJS("the restaurant's counters", fmt.Sprintf(`({ok: document.querySelector('[data-kpi=orders]')?.dataset.value === '%v' &&
			document.querySelector('[data-kpi=revenue]')?.dataset.value === '%v',
			last: document.querySelector('#counters')?.innerText})`, r["orders"], r["revenue_cents"]))
		if name, ok := r["name"].(string); ok {
			br.waitJS("the restaurant's name", fmt.Sprintf(`({ok: document.querySelector('h1').textContent === %s,
				last: document.querySelector('h1').textContent})`, jsString(name)))
		}
		br.screenshot("restaurant")
	})

	t.Run("server restart", func(t *testing.T) {
		br := br.with(t)
		br.do("open the dashboard", chromedp.Navigate(base+"/#/"))
		br.waitJS("the live stream", `({ok: document.getElementById('conn').dataset.state === 'live',
			last: document.getElementById('conn').dataset.state})`)
		// Requests fail while the server is away; the page says so.
		br.ignoreErrors(` ` + regexp.QuoteMeta(base) + `/\S* failed: net::ERR_`)
		rl.retarget("")
		sys.stop()
		br.waitJS("the page to notice", `({ok: document.getElementById('conn').dataset.state === 'offline',
			last: document.getElementById('conn').dataset.state})`)
		sys = startLifecycle(t, kc, dataDir, opts, logger)
		rl.retarget(sys.base)
		br.waitJS("the page to reconnect", `({ok: document.getElementById('conn').dataset.state === 'live',
			last: document.getElementById('conn').dataset.state})`)
		o3 := placeOrder(t, sys.base, "r-0001", "u-00007", 1, 999)
		br.waitJS("a new order in the live feed", fmt.Sprintf(`({ok: !!document.querySelector('#feed li[data-order=%s]'),
			last: document.querySelector('#feed').innerText.slice(0, 300)})`, jsString(o3.ID)))
		stats := apiJSON[struct{ Orders int64 }](t, sys.base+"/api/stats")
		br.waitJS("the counters after the restart", fmt.Sprintf(`({ok: document.querySelector('[data-kpi=orders]')?.dataset.value === '%d',
			last: document.querySelector('[data-kpi=orders]')?.dataset.value})`, stats.Orders))
	})

	br.checkClean()
}

// checkLeaderboard waits until the leaderboard shows the restaurants the
// API lists for sort, in its order, with its numbers.
func checkLeaderboard(t *testing.T, br *browser, apiBase, sort string) {
	t.Helper()
	list := apiJSON[struct {
		Restaurants []struct {
			ID      string `json:"restaurant_id"`
			Orders  int64  `json:"orders"`
			Revenue int64  `json:"revenue_cents"`
		} `json:"restaurants"`
	}](t, apiBase+"/api/restaurants?sort="+sort+"&limit=10")
	var want []string
	for _, r := range list.Restaurants {
		want = append(want, fmt.Sprintf("%s %d %s", r.ID, r.Orders, moneyText(r.Revenue)))
	}
	br.waitJS("the leaderboard by "+sort, fmt.Sprintf(`(() => {
		const rows = [...document.querySelectorAll('#leaderboard tr[data-restaurant]')].map(tr =>
			[tr.dataset.restaurant, tr.querySelector('[data-field=orders]').dataset.value, tr.querySelector('[data-field=revenue]').textContent].join(' '));
		return {ok: rows.join('|') === %s, last: rows.join('|')};
	})()`, jsString(strings.Join(want, "|"))))
}

// checkTimeline waits until the order page shows the order's history as
// the API gives it, read at the same moment.
func checkTimeline(t *testing.T, br *browser, apiBase, id string) {
	t.Helper()
	waitFor(t, nil, "the timeline to match the API", func() (string, bool) {
		o := apiJSON[struct {
			History []struct{ Status string } `json:"history"`
		}](t, apiBase+"/api/orders/"+id)
		var want []string
		for _, h := range o.History {
			want = append(want, h.Status)
		}
		shown := eval[string](br, `[...document.querySelectorAll('#timeline li[data-status]')].map(li => li.dataset.status).join(' ')`)
		return fmt.Sprintf("page shows %q, API has %q", shown, want),
			len(want) > 0 && want[0] == "placed" && shown == strings.Join(want, " ")
	})
}

// relay forwards TCP connections from a fixed loopback address to a
// target that can change, so a browser page outlives a server restart on
// another port. With no target it refuses, by closing at once.
type relay struct {
	base string
	ln   net.Listener

	mu     sync.Mutex
	target string // host:port
	conns  map[net.Conn]bool
}

func newRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{base: "http://" + ln.Addr().String(), ln: ln, conns: map[net.Conn]bool{}}
	r.retarget(target)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.serve()
	}()
	t.Cleanup(func() {
		ln.Close()
		r.retarget("")
		<-done
	})
	return r
}

// retarget sends new connections to base (http://host:port, or "" to
// refuse them) and closes the open ones.
func (r *relay) retarget(base string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = strings.TrimPrefix(base, "http://")
	for c := range r.conns {
		c.Close()
	}
	clear(r.conns)
}

func (r *relay) serve() {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.pipe(c)
		}()
	}
}

func (r *relay) pipe(c net.Conn) {
	r.mu.Lock()
	target := r.target
	r.mu.Unlock()
	if target == "" {
		c.Close()
		return
	}
	up, err := net.Dial("tcp", target)
	if err != nil {
		c.Close()
		return
	}
	r.mu.Lock()
	r.conns[c], r.conns[up] = true, true
	r.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
	c.Close()
	up.Close()
	<-done
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, up)
	r.mu.Unlock()
}
