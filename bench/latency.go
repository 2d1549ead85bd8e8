package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/views"
)

// Latency paths.
const (
	PathHTTP = "POST /api/orders -> GET /api/restaurants/{id}"
	PathEmit = "goka emit -> restaurant view"
)

// Tuning values of the latency scenario.
const (
	// probeInterval is how often a probe looks for its order.
	probeInterval = time.Millisecond
	// probeTimeout gives up on one probe: the system is overloaded.
	probeTimeout = 10 * time.Second
	// warmUp lets the background rate settle before probing.
	warmUp = 2 * time.Second
	// probeUser places every probe order.
	probeUser = "bench-probe-user"
)

// probe is one order placed and watched for.
type probe struct {
	http         bool
	orderID      string
	restaurant   string
	n            int64 // the restaurant's order count once it is counted
	start, shown time.Time
	// every is how often watch looks; probeInterval when zero.
	every time.Duration
}

// runLatency runs the whole system with the simulator placing cfg.Rate
// orders/s, and places probe orders one at a time for cfg.Duration,
// alternating POST /api/orders (watched through GET
// /api/restaurants/{id}) and a goka emit (watched on the view). Probe
// orders go to restaurants of their own, one per partition, so a probe's
// order count tells exactly when its order is in.
func runLatency(ctx context.Context, cfg Config, w io.Writer) (_ []Latency, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	sys, err := startSystem(ctx, cfg, c.kafka, true, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, sys.stop()) }()

	// Background: the simulator, with an emitter of its own as the emit
	// command has.
	bg, err := emitters.New(c.kafka, cfg.Logger)
	if err != nil {
		return nil, err
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	var (
		bgStats simulator.Stats
		bgErr   error
		bgDone  = make(chan struct{})
	)
	labelled(ctx, "simulator", func(context.Context) {
		go func() {
			defer close(bgDone)
			bgStats, bgErr = simulator.Run(bgCtx, simulator.Config{
				Rate: cfg.Rate, Restaurants: cfg.Restaurants, Users: cfg.SimUsers, Seed: cfg.Seed,
			}, bg, nil)
		}()
	})
	stopBackground := func() error {
		stopBG()
		<-bgDone
		return errors.Join(bgErr, bg.Close())
	}
	defer func() {
		if bgCtx.Err() == nil {
			err = errors.Join(err, stopBackground())
		}
	}()

	select {
	case <-time.After(min(warmUp, cfg.Duration)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	stopProfile, err := startProfile(profilePath(cfg, 0, "latency"))
	if err != nil {
		return nil, err
	}
	var probes []*probe
	start, cpu := time.Now(), cpuTime()
	labelled(ctx, "probes", func(ctx context.Context) {
		probes, err = runProbes(ctx, cfg, sys)
	})
	busy := float64(cpuTime()-cpu) / float64(time.Since(start))
	err = errors.Join(err, stopProfile(), stopBackground())
	if err != nil {
		return nil, err
	}

	achieved := bgStats.Rate()
	hops, err := hopTimes(ctx, c, probes)
	if err != nil {
		fmt.Fprintf(w, "  hop breakdown unavailable: %v\n", err)
	}
	var out []Latency
	for _, viaHTTP := range []bool{true, false} {
		l := Latency{Path: PathEmit, Background: cfg.Rate, Achieved: achieved, Cores: busy}
		if viaHTTP {
			l.Path = PathHTTP
		}
		for _, p := range probes {
			if p.http == viaHTTP {
				l.Samples = append(l.Samples, p.shown.Sub(p.start))
			}
		}
		l.Hops = hops[viaHTTP]
		out = append(out, l)
		fmt.Fprintf(w, "  %s: %d probes, p50 %s p99 %s max %s\n", l.Path, len(l.Samples), ms(l.P(0.5)), ms(l.P(0.99)), ms(l.P(1)))
	}
	return out, nil
}

// runProbes places probes one after the other for cfg.Duration, and at
// least one of each kind however slow they are.
func runProbes(ctx context.Context, cfg Config, sys *system) ([]*probe, error) {
	httpIDs := probeRestaurants("bench-probe-http", cfg.Partitions)
	emitIDs := probeRestaurants("bench-probe-emit", cfg.Partitions)
	counts := map[string]int64{}
	client := httpClient(1)
	defer client.CloseIdleConnections()

	var probes []*probe
	deadline := time.Now().Add(cfg.Duration)
	for i := 0; i < 2 || time.Now().Before(deadline); i++ {
		p := &probe{http: i%2 == 0}
		ids := emitIDs
		if p.http {
			ids = httpIDs
		}
		p.restaurant = ids[(i/2)%len(ids)]
		counts[p.restaurant]++
		p.n = counts[p.restaurant]
		var err error
		if p.http {
			err = probeHTTP(ctx, client, sys.base, p)
		} else {
			p.orderID = "bench-probe-" + strconv.Itoa(i)
			err = probeEmit(ctx, sys, p)
		}
		if err != nil {
			return probes, fmt.Errorf("probe %d: %w", i, err)
		}
		probes = append(probes, p)
	}
	return probes, nil
}

// probeRestaurants returns one restaurant id per partition.
func probeRestaurants(prefix string, partitions int) []string {
	ids := make([]string, partitions)
	found := 0
	for k := 0; found < partitions; k++ {
		id := prefix + "-" + strconv.Itoa(k)
		if p := partitionOf(id, partitions); ids[p] == "" {
			ids[p] = id
			found++
		}
	}
	return ids
}

// probeItems is what every probe orders.
var probeItems = []order.Item{{SKU: "bench-probe", Qty: 1, PriceCents: 100}}

func probeHTTP(ctx context.Context, client *http.Client, base string, p *probe) error {
	body, err := json.Marshal(map[string]any{"restaurant_id": p.restaurant, "user_id": probeUser, "items": probeItems})
	if err != nil {
		return err
	}
	p.start = time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+intake.Path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("post order: %w", err)
	}
	var placed intake.Response
	err = json.NewDecoder(resp.Body).Decode(&placed)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || err != nil {
		return fmt.Errorf("post order: status %s (%v)", resp.Status, err)
	}
	p.orderID = placed.OrderID
	url := base + "/api/restaurants/" + p.restaurant
	return watch(ctx, p, func() (int64, error) {
		resp, err := client.Get(url)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode == http.StatusNotFound {
			_, err := io.Copy(io.Discard, resp.Body)
			return 0, err
		}
		var r views.RestaurantResponse
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("get restaurant: status %s (%v)", resp.Status, err)
		}
		return r.Orders, nil
	})
}

func probeEmit(ctx context.Context, sys *system, p *probe) error {
	p.start = time.Now()
	o := &order.Order{
		OrderID: p.orderID, RestaurantID: p.restaurant, UserID: probeUser,
		Items: probeItems, TotalCents: order.Sum(probeItems), PlacedAt: p.start.UTC().Truncate(time.Millisecond),
	}
	if err := sys.intake.Emit(ctx, o); err != nil {
		return err
	}
	return watch(ctx, p, func() (int64, error) {
		s, err := sys.views.Restaurants().Get(p.restaurant)
		if errors.Is(err, views.ErrNotFound) {
			return 0, nil
		}
		if err != nil {
			return 0, err
		}
		return s.Orders, nil
	})
}

// watch calls orders every p.every (probeInterval) until it reaches p.n,
// and notes when.
func watch(ctx context.Context, p *probe, orders func() (int64, error)) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	every := probeInterval
	if p.every > 0 {
		every = p.every
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		n, err := orders()
		if err != nil {
			return err
		}
		if n >= p.n {
			p.shown = time.Now()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("order %s not shown: %w", p.orderID, ctx.Err())
		case <-tick.C:
		}
	}
}
