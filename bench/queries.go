package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Query tools.
const (
	ToolGo  = "go client"
	ToolWrk = "wrk"
)

// queryWarmUp opens the connections and warms the caches before the
// clock starts.
const queryWarmUp = 500 * time.Millisecond

// route is one endpoint under load; url returns the i-th request's URL.
type route struct {
	name string
	url  func(i int) string
	// paths are the request paths wrk rotates through.
	paths []string
}

// runQueries serves tables that hold f's orders (what the processors
// would have left) through the views and the HTTP API, and loads GET
// /api/restaurants/{id} and GET /api/stats with QueryConnections
// keep-alive connections for cfg.Duration each: with the bench's own Go
// client and, when cfg.Wrk is set, with wrk. No processor runs: this is
// the read path alone.
func runQueries(ctx context.Context, cfg Config, f *fixture, w io.Writer) (_ []Query, err error) {
	c, err := startCluster(ctx, cfg, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, c.Close()) }()
	records, err := f.tableRecords()
	if err != nil {
		return nil, err
	}
	if err := c.produce(ctx, records); err != nil {
		return nil, err
	}
	sys, err := startSystem(ctx, cfg, c.kafka, false, "")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, sys.stop()) }()

	ids := f.restaurantIDs()
	restaurantPaths := make([]string, len(ids))
	for i, id := range ids {
		restaurantPaths[i] = "/api/restaurants/" + id
	}
	routes := []route{
		{name: "GET /api/restaurants/{id}", paths: restaurantPaths,
			url: func(i int) string { return sys.base + restaurantPaths[i%len(restaurantPaths)] }},
		{name: "GET /api/stats", paths: []string{"/api/stats"},
			url: func(int) string { return sys.base + "/api/stats" }},
	}
	var out []Query
	for _, r := range routes {
		var q Query
		labelled(ctx, "loadgen", func(ctx context.Context) {
			stop, perr := startProfile(profilePath(cfg, 0, "queries-"+r.name))
			if perr != nil {
				err = perr
				return
			}
			q, err = loadGo(ctx, r, QueryConnections, cfg.Duration)
			err = errors.Join(err, stop())
		})
		if err != nil {
			return out, fmt.Errorf("%s: %w", r.name, err)
		}
		out = append(out, q)
		fmt.Fprintf(w, "  %s (%s): %s req/s, p99 %s\n", q.Route, q.Tool, si(q.RPS()), ms(q.P99))
		if cfg.Wrk != "" {
			q, err := loadWrk(ctx, cfg.Wrk, sys.base, r, QueryConnections, cfg.Duration)
			if err != nil {
				fmt.Fprintf(w, "  %s (wrk) failed: %v\n", r.name, err)
				continue
			}
			out = append(out, q)
			fmt.Fprintf(w, "  %s (%s): %s req/s, p99 %s\n", q.Route, q.Tool, si(q.RPS()), ms(q.P99))
		}
	}
	return out, nil
}

// loadGo sends requests to r from conns goroutines, each on its own
// keep-alive connection, one request at a time, for d (after a warm-up),
// and records every latency.
func loadGo(ctx context.Context, r route, conns int, d time.Duration) (Query, error) {
	client := httpClient(conns)
	defer client.CloseIdleConnections()
	if _, _, err := hammer(ctx, client, r, conns, min(queryWarmUp, d)); err != nil {
		return Query{}, err
	}
	start := time.Now()
	lat, errs, err := hammer(ctx, client, r, conns, d)
	elapsed := time.Since(start)
	if err != nil {
		return Query{}, err
	}
	return Query{
		Route: r.name, Tool: ToolGo, Connections: conns, Duration: elapsed,
		Requests: int64(len(lat)) + errs, Errors: errs,
		P50: percentile(lat, 0.5), P99: percentile(lat, 0.99), Max: percentile(lat, 1),
	}, nil
}

// hammer runs the load for d and returns the latencies of the successful
// requests and the number of failed ones. A transport error stops it: the
// server is gone.
func hammer(ctx context.Context, client *http.Client, r route, conns int, d time.Duration) ([]time.Duration, int64, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		all    []time.Duration
		failed atomic.Int64
		first  error
		seq    atomic.Int64
	)
	for range conns {
		wg.Go(func() {
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				i := int(seq.Add(1))
				t := time.Now()
				resp, err := client.Get(r.url(i))
				if err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						first = cmp(first, err)
						mu.Unlock()
						cancel()
					}
					break
				}
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, failed.Load(), first
}
