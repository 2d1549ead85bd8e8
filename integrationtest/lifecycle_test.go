package integrationtest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/kitchen"
	"github.com/orderstream/orderstream/processors/streams"
	"github.com/orderstream/orderstream/views"
)

// statuses lists the statuses of an order's history.
func statuses(o views.OrderResponse) []string {
	var out []string
	for _, h := range o.History {
		out = append(out, string(h.Status))
	}
	return out
}

// checkHistory requires the history of o to be want, in time order.
func checkHistory(t *testing.T, o views.OrderResponse, want ...string) {
	t.Helper()
	if got := statuses(o); !slices.Equal(got, want) {
		t.Errorf("order %s: history %v, want %v", o.OrderID, got, want)
	}
	for i := 1; i < len(o.History); i++ {
		if o.History[i].At.Before(o.History[i-1].At) {
			t.Errorf("order %s: history out of time order: %+v", o.OrderID, o.History)
		}
	}
}

// TestOrderLifecycle follows orders through every state over the real
// system: the simulated kitchen and courier moving them on, a user
// cancelling, a restaurant at capacity rejecting, cancellations racing the
// kitchen, the notifications and the event stream; then every count the
// API shows must agree with the audit trail.
func TestOrderLifecycle(t *testing.T) {
	skipShort(t)
	onBrokers(t, broker.Config{DataDir: t.TempDir()}, testOrderLifecycle)
}

func testOrderLifecycle(t *testing.T, addr string) {
	logger := newLogger(t)
	kc := kafkaConfig(addr)
	k := kitchen.Config{PrepMin: 2 * time.Second, PrepMax: 2 * time.Second, DeliveryMin: 300 * time.Millisecond, DeliveryMax: 600 * time.Millisecond}
	sys := startLifecycle(t, kc, t.TempDir(), lifecycleOptions{capacity: 2, kitchen: &k}, logger)
	publishTestCatalog(t, kc,
		catalog.Restaurant{ID: "r-1", Name: "Trattoria Roma", Cuisine: "italian"},
		catalog.Restaurant{ID: "r-2", Name: "Sushi Go", Cuisine: "japanese"})
	userA := openEvents(t, sys.base, "user_id=u-a")
	nobody := openEvents(t, sys.base, "restaurant_id=r-9")

	// Delivered: placed, accepted by the restaurant, ready and delivered
	// by the simulated kitchen and courier.
	sys.placeOrder(t, "a-1", "r-1", "u-a")
	checkHistory(t, sys.waitStatus(t, "a-1", "delivered"), "placed", "accepted", "ready", "delivered")

	// Cancelled by the user before the kitchen is done; then too late.
	sys.placeOrder(t, "b-1", "r-1", "u-a")
	sys.waitStatus(t, "b-1", "accepted")
	if code, _, body, err := post(sys.base+"/api/orders/b-1/cancel", `{"reason":"changed my mind"}`, nil); err != nil ||
		code != http.StatusAccepted || body != `{"order_id":"b-1","cancel":"requested"}`+"\n" {
		t.Fatalf("cancel b-1: %d %s %v", code, body, err)
	}
	b1 := sys.waitStatus(t, "b-1", "cancelled")
	checkHistory(t, b1, "placed", "accepted", "cancelled")
	if r := b1.History[2].Reason; r != "changed my mind" {
		t.Errorf("b-1 cancelled with reason %q", r)
	}
	if code, _, body, err := post(sys.base+"/api/orders/b-1/cancel", "", nil); err != nil || code != http.StatusConflict {
		t.Errorf("second cancel of b-1: %d %s %v, want 409", code, body, err)
	}
	if code, _, body, err := post(sys.base+"/api/orders/nobody/cancel", "", nil); err != nil || code != http.StatusNotFound {
		t.Errorf("cancel of an unknown order: %d %s %v, want 404", code, body, err)
	}

	// Capacity 2: of three orders placed at once, the one that reaches the
	// restaurant third is rejected, with why. Which one that is, nothing
	// decides: the lifecycle partitions by order_id, and its partitions
	// hand their placements to the restaurant in any order.
	cs := []string{"c-1", "c-2", "c-3"}
	for _, id := range cs {
		sys.placeOrder(t, id, "r-2", "u-b")
	}
	var rejected []string
	for _, id := range cs {
		o := sys.waitStatusIn(t, id, order.StatusRejected, order.StatusDelivered)
		if o.Status == order.StatusDelivered {
			checkHistory(t, o, "placed", "accepted", "ready", "delivered")
			continue
		}
		rejected = append(rejected, id)
		checkHistory(t, o, "placed", "rejected")
		if r := o.History[1].Reason; r != "restaurant at capacity: 2 open orders" {
			t.Errorf("%s rejected with reason %q", id, r)
		}
	}
	if len(rejected) != 1 {
		t.Errorf("rejected %v of %v at capacity 2, want exactly one", rejected, cs)
	}

	// Races: the user cancels as the kitchen marks the order ready. The
	// lifecycle takes whichever comes first and drops the other.
	outcomes := map[string]int{}
	var races []string
	for i := range 6 {
		id := fmt.Sprintf("d-%d", i)
		races = append(races, id)
		sys.placeOrder(t, id, "r-3", "u-c")
		sys.waitStatus(t, id, "accepted")
		var wg sync.WaitGroup
		var cancelCode int
		var cancelErr, readyErr error
		wg.Go(func() { cancelCode, _, _, cancelErr = post(sys.base+"/api/orders/"+id+"/cancel", "", nil) })
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			readyErr = sys.requests.Request(ctx, &streams.Request{OrderID: id, Status: order.StatusReady, At: time.Now().UTC()})
		})
		wg.Wait()
		if cancelErr != nil || readyErr != nil || cancelCode != http.StatusAccepted && cancelCode != http.StatusConflict {
			t.Fatalf("race %s: cancel %d %v, ready %v", id, cancelCode, cancelErr, readyErr)
		}
		o := sys.waitStatusIn(t, id, order.StatusCancelled, order.StatusDelivered)
		if o.Status == order.StatusCancelled {
			checkHistory(t, o, "placed", "accepted", "cancelled")
		} else {
			checkHistory(t, o, "placed", "accepted", "ready", "delivered")
		}
		outcomes[string(o.Status)]++
	}
	t.Logf("cancel against ready: %v", outcomes)

	// The same race, decided: requests from one producer reach the
	// lifecycle in order, so the first one wins and the other is dropped.
	for _, tc := range []struct {
		id            string
		first, second order.Status
		want          []string
	}{
		{"e-1", order.StatusReady, order.StatusCancelled, []string{"placed", "accepted", "ready", "delivered"}},
		{"e-2", order.StatusCancelled, order.StatusReady, []string{"placed", "accepted", "cancelled"}},
	} {
		races = append(races, tc.id)
		sys.placeOrder(t, tc.id, "r-3", "u-c")
		sys.waitStatus(t, tc.id, "accepted")
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		for _, s := range []order.Status{tc.first, tc.second} {
			if err := sys.requests.Request(ctx, &streams.Request{OrderID: tc.id, Status: s, At: time.Now().UTC()}); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		checkHistory(t, sys.waitStatus(t, tc.id, tc.want[len(tc.want)-1]), tc.want...)
	}

	// Every count agrees with the audit trail, and nothing stays open.
	all := append([]string{"a-1", "b-1", "c-1", "c-2", "c-3"}, races...)
	want := map[string]*views.RestaurantResponse{}
	var total views.StatsResponse
	for _, id := range all {
		o, ok := sys.order(t, id)
		if !ok {
			t.Fatalf("order %s gone", id)
		}
		r := want[o.RestaurantID]
		if r == nil {
			r = &views.RestaurantResponse{RestaurantID: o.RestaurantID}
			want[o.RestaurantID] = r
		}
		r.Orders++
		total.Orders++
		for _, h := range o.History {
			switch h.Status {
			case order.StatusAccepted:
				r.Accepted++
				total.Accepted++
			case order.StatusRejected:
				r.Rejected++
				total.Rejected++
			case order.StatusCancelled:
				r.Cancelled++
				total.Cancelled++
			case order.StatusDelivered:
				r.Delivered++
				total.Delivered++
			}
		}
	}
	names := map[string][2]string{"r-1": {"Trattoria Roma", "italian"}, "r-2": {"Sushi Go", "japanese"}}
	waitFor(t, nil, "the restaurant statistics to agree with the audit trail", func() (string, bool) {
		var diffs []string
		for id, w := range want {
			var got views.RestaurantResponse
			if err := getJSON(t, sys.base+"/api/restaurants/"+id, &got); err != nil {
				return err.Error(), false
			}
			if got.Orders != w.Orders || got.Accepted != w.Accepted || got.Rejected != w.Rejected ||
				got.Cancelled != w.Cancelled || got.Delivered != w.Delivered || got.Open != 0 ||
				got.Name != names[id][0] || got.Cuisine != names[id][1] {
				diffs = append(diffs, fmt.Sprintf("%s: got %+v, want %+v, open 0, name %v", id, got, *w, names[id]))
			}
			var placed int64
			for _, p := range got.OrdersPerMinute {
				placed += p.Orders
			}
			if placed != w.Orders || len(got.OrdersPerMinute) != 60 {
				diffs = append(diffs, fmt.Sprintf("%s: %d orders over %d minutes, want %d over 60", id, placed, len(got.OrdersPerMinute), w.Orders))
			}
			// The kitchen takes 2s; in the races the test plays it at once.
			if id != "r-3" && (got.AvgPrepMs < 1500 || got.AvgDeliveryMs < 200) {
				diffs = append(diffs, fmt.Sprintf("%s: avg prep %dms, delivery %dms", id, got.AvgPrepMs, got.AvgDeliveryMs))
			}
		}
		return strings.Join(diffs, "; "), len(diffs) == 0
	})
	waitFor(t, nil, "the global statistics to agree with the audit trail", func() (string, bool) {
		var got views.StatsResponse
		if err := getJSON(t, sys.base+"/api/stats", &got); err != nil {
			return err.Error(), false
		}
		var placed int64
		for _, p := range got.OrdersPerMinute {
			placed += p.Orders
		}
		ok := got.Orders == total.Orders && got.Accepted == total.Accepted && got.Rejected == total.Rejected &&
			got.Cancelled == total.Cancelled && got.Delivered == total.Delivered && got.Open == 0 && placed == total.Orders
		return fmt.Sprintf("got %+v, want %+v and open 0", got, total), ok
	})

	// Notifications: one per change, newest first, in words.
	var inbox views.NotificationsResponse
	waitFor(t, nil, "u-a's notifications", func() (string, bool) {
		err := getJSON(t, sys.base+"/api/users/u-a/notifications", &inbox)
		return fmt.Sprintf("%+v %v", inbox, err), err == nil && len(inbox.Notifications) == 7
	})
	var got []string
	for _, n := range inbox.Notifications {
		got = append(got, n.OrderID+":"+string(n.Status))
	}
	if want := []string{"b-1:cancelled", "b-1:accepted", "b-1:placed", "a-1:delivered", "a-1:ready", "a-1:accepted", "a-1:placed"}; !slices.Equal(got, want) {
		t.Errorf("u-a's notifications %v, want %v", got, want)
	}
	if m := inbox.Notifications[3].Message; m != "Your order a-1 from Trattoria Roma was delivered. Enjoy!" {
		t.Errorf("delivery message %q", m)
	}

	// The event stream: u-a saw each change and notification of theirs as
	// it happened, in order; nothing of anyone else's.
	waitFor(t, nil, "u-a's events", func() (string, bool) {
		evs := userA.of("a-1")
		return fmt.Sprint(evs), len(evs) == 8 && len(userA.of("b-1")) == 6
	})
	for id, want := range map[string][]string{
		"a-1": {"placed", "accepted", "ready", "delivered"},
		"b-1": {"placed", "accepted", "cancelled"},
	} {
		for _, typ := range []string{views.EventStatus, views.EventNotification} {
			var got []string
			for _, e := range userA.of(id) {
				if s, ok := strings.CutPrefix(e, typ+":"); ok {
					got = append(got, s)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s events of %s: %v, want %v", typ, id, got, want)
			}
		}
	}
	evs, err := userA.all()
	if err != nil {
		t.Error(err)
	}
	for _, e := range evs {
		if e.Data["user_id"] != "u-a" {
			t.Errorf("u-a's stream carried %+v", e)
		}
	}
	if evs, _ := nobody.all(); len(evs) != 0 {
		t.Errorf("the stream of a restaurant without orders carried %d events", len(evs))
	}
}

// TestAuditRetention: finished orders leave the audit table once their
// retention has passed; orders in progress stay.
func TestAuditRetention(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	sys := startLifecycle(t, kc, t.TempDir(), lifecycleOptions{capacity: 5, retention: 2 * time.Second}, logger)

	sys.placeOrder(t, "open", "r-1", "u-1")
	sys.placeOrder(t, "gone", "r-1", "u-1")
	sys.waitStatus(t, "gone", "accepted")
	if code, _, body, err := post(sys.base+"/api/orders/gone/cancel", "", nil); err != nil || code != http.StatusAccepted {
		t.Fatalf("cancel: %d %s %v", code, body, err)
	}
	sys.waitStatus(t, "gone", "cancelled")
	waitFor(t, nil, "the cancelled order to retire", func() (string, bool) {
		code, body := get(t, sys.base+"/api/orders/gone")
		return fmt.Sprintf("%d %s", code, body), code == http.StatusNotFound
	})
	if o, ok := sys.order(t, "open"); !ok || o.Status != order.StatusAccepted {
		t.Errorf("the open order: %+v, %v; want it accepted and kept", o, ok)
	}
	// The restaurant's counts are not the audit table's: they stay.
	var r views.RestaurantResponse
	if err := getJSON(t, sys.base+"/api/restaurants/r-1", &r); err != nil || r.Cancelled != 1 || r.Open != 1 || r.Orders != 2 {
		t.Errorf("restaurant r-1: %+v, %v", r, err)
	}
}
