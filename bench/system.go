package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/orderstream/orderstream/emitters"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/views"
)

// system is what `orderstream demo` runs next to its broker, in this
// process: optionally every processor, and the views with the HTTP API and
// the order intake, wired as the serve command wires them, with LevelDB
// state in a temporary directory.
type system struct {
	views *views.Set
	base  string // http://host:port
	procs *running

	dir       string
	removeDir bool
	intake    *emitters.Emitter
	cancel    context.CancelFunc
	group     *errgroup.Group
}

// startSystem starts the system on the brokers of kc and waits until the
// views (and the processors, with withProcessors) have recovered. Its
// LevelDB state goes to dir, or to a temporary directory removed on stop
// when dir is empty.
func startSystem(ctx context.Context, cfg Config, kc kafkaconf.Config, withProcessors bool, dir string) (_ *system, err error) {
	s := &system{dir: dir}
	if dir == "" {
		if s.dir, err = tempDir(cfg, "system"); err != nil {
			return nil, err
		}
		s.removeDir = true
	}
	ctx, s.cancel = context.WithCancel(ctx)
	defer func() {
		if err != nil {
			err = errors.Join(err, s.stop())
		}
	}()
	logger := cfg.Logger

	// Processors: every group, as `orderstream process` runs them.
	procs := &started{}
	if withProcessors {
		rc := runner.Config{Kafka: kc, DataDir: s.dir, Logger: logger, Started: procs.add}
		if s.procs, err = startProcessors(ctx, rc, nil); err != nil {
			return nil, err
		}
	}

	// Views, intake and HTTP, as `orderstream serve` runs them.
	if s.views, err = views.New(kc, s.dir, logger); err != nil {
		return nil, err
	}
	if s.intake, err = emitters.New(kc, logger); err != nil {
		return nil, err
	}
	h, err := views.NewHandler(views.HandlerConfig{
		Views:   s.views,
		Intake:  intake.NewHandler(s.intake, logger),
		Metrics: metrics.New(),
		Logger:  logger,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.base = "http://" + ln.Addr().String()
	srv := views.NewServer(ln.Addr().String(), h)

	g, gctx := errgroup.WithContext(ctx)
	s.group = g
	// The views outlive the server, as in serve.
	viewCtx, stopViews := context.WithCancel(context.WithoutCancel(ctx))
	labelled(ctx, "views", func(context.Context) {
		g.Go(func() error { return s.views.Run(viewCtx) })
	})
	labelled(ctx, "http", func(context.Context) {
		g.Go(func() error {
			defer stopViews()
			return views.ServeListener(gctx, srv, ln)
		})
	})

	ready := func(context.Context) (bool, error) {
		if s.procs != nil {
			if err := s.procs.err(); err != nil {
				return false, err
			}
			if !procs.recovered(s.procs.n) {
				return false, nil
			}
		}
		return s.views.Recovered(), nil
	}
	if err := waitFor(ctx, cfg.Timeout, "the system to recover", ready); err != nil {
		return nil, err
	}
	return s, nil
}

// stop shuts everything down in the serve command's order: HTTP, views,
// then the intake's emitter and the processors.
func (s *system) stop() error {
	s.cancel()
	var errs []error
	if s.group != nil {
		errs = append(errs, s.group.Wait())
	}
	if s.intake != nil {
		errs = append(errs, s.intake.Close())
	}
	if s.procs != nil {
		errs = append(errs, s.procs.stop())
	}
	if s.removeDir {
		errs = append(errs, os.RemoveAll(s.dir))
	}
	return errors.Join(errs...)
}

// httpClient is a keep-alive client for n concurrent connections.
func httpClient(n int) *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConns:        n,
			MaxIdleConnsPerHost: n,
			MaxConnsPerHost:     n,
			IdleConnTimeout:     time.Minute,
		},
	}
}
