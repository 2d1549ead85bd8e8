package integrationtest

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/orderstream/orderstream/emitters/simulator"
	"github.com/orderstream/orderstream/internal/broker"
	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/views"
)

// simConfig is the simulated world of the restart tests: small enough that
// restaurants and users get many orders each, so that anything counted
// twice shows.
func simConfig(count int, rate float64, seed uint64) simulator.Config {
	return simulator.Config{Rate: rate, Count: count, Restaurants: 30, Users: 300, Seed: seed}
}

// mustSimulate places cfg.Count orders, recorded in l, and fails the test
// unless every one was acknowledged.
func mustSimulate(t *testing.T, kc kafkaconf.Config, cfg simulator.Config, l *ledger, logger *slog.Logger) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if _, err := simulate(ctx, kc, cfg, l, logger); err != nil {
		t.Fatal(err)
	}
}

// checkNoDuplicatesOrInvalid checks the counters of a run in which every
// order was valid and had an id of its own: a redelivery after a restart
// must never be taken for a duplicate.
func checkNoDuplicatesOrInvalid(t *testing.T, s *system) {
	t.Helper()
	checkDuplicates(t, s, 0)
}

// checkDuplicates checks that no order was invalid and that the lifecycle
// dropped n duplicates.
func checkDuplicates(t *testing.T, s *system, n int) {
	t.Helper()
	if msg, ok := checkCounters(t, s.base, nil, n); !ok {
		t.Errorf("counters: %s", msg)
	}
}

// sessionExpiry is how long a killed process's consumer group members
// outlive it: the session timeout, and a margin for the broker to notice.
func sessionExpiry(kc kafkaconf.Config) time.Duration {
	return kc.Sarama().Consumer.Group.Session.Timeout + 2*time.Second
}

// TestRestartResumesExactly stops the processors and views and starts them
// again on the same data directories: gracefully with orders placed while
// they are down; cancelled three times while orders keep arriving and are
// being processed; and killed with SIGKILL twice in a helper process, which
// leaves offsets uncommitted so that the next run redelivers. Every total
// stays exact: nothing lost, nothing counted twice, no redelivery taken for
// a duplicate.
func TestRestartResumesExactly(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	logCensusOnFailure(t, b.addr())
	l := newLedger()

	sys.start()
	sys.waitReady()
	mustSimulate(t, kc, simConfig(200, 2000, 1), l, logger)
	waitExact(t, sys, l.expect())

	if !t.Run("graceful stop, orders placed while down", func(t *testing.T) {
		sys.stop()
		mustSimulate(t, kc, simConfig(150, 2000, 2), l, logger)

		sys.start()
		ready := sys.waitReady()
		e := l.expect()
		waitExact(t, sys, e)
		// The views recover from their local LevelDB copies, reading only
		// what the table topics gained since; no assertion on time.
		t.Logf("restarted: views and processors ready after %v, totals of %d orders exact after %v",
			ready, e.orders, time.Since(sys.started))
		checkNoDuplicatesOrInvalid(t, sys)
	}) {
		return
	}

	if !t.Run("stops while orders are being processed", func(t *testing.T) {
		before := l.expect().orders
		const count, cycles = 1200, 3
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		simDone := make(chan error, 1)
		go func() {
			// 400 orders/s: three seconds of orders arriving all along.
			_, err := simulate(ctx, kc, simConfig(count, 400, 3), l, logger)
			simDone <- err
		}()

		// Each cycle stops the system once the processors are visibly in
		// the middle of the stream, and starts it again at once.
		counted := int64(before)
		for cycle := range cycles {
			waitFor(t, sys, "the processors to count new orders", func() (string, bool) {
				var stats views.StatsResponse
				if err := getJSON(t, sys.base+"/api/stats", &stats); err != nil {
					return err.Error(), false
				}
				return fmt.Sprintf("%d orders counted, waiting for %d", stats.Orders, counted+50), stats.Orders >= counted+50
			})
			var stats views.StatsResponse
			if err := getJSON(t, sys.base+"/api/stats", &stats); err != nil {
				t.Fatal(err)
			}
			counted = stats.Orders
			sys.stop()
			placed, _ := l.counts()
			t.Logf("stop %d: %d orders counted, %d of %d placed", cycle+1, counted-int64(before), placed-before, count)
			sys.start()
		}

		select {
		case err := <-simDone:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("simulator did not finish")
		}
		ready := sys.waitReady()
		e := l.expect()
		if e.orders != before+count {
			t.Fatalf("ledger holds %d orders, want %d", e.orders, before+count)
		}
		waitExact(t, sys, e)
		t.Logf("restarted: ready after %v, totals of %d orders exact after %v", ready, e.orders, time.Since(sys.started))
		checkNoDuplicatesOrInvalid(t, sys)
		assertStillExact(t, sys, e)
	}) {
		return
	}

	t.Run("killed while orders are being processed", func(t *testing.T) {
		// The system runs in a helper process on the same data directory
		// and is killed with SIGKILL twice while orders arrive: nothing
		// is committed, flushed or closed, so the next run redelivers
		// what the killed one had processed but not committed.
		sys.stop()
		before := l.expect().orders
		const count, kills = 1200, 2
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		simDone := make(chan error, 1)
		go func() {
			_, err := simulate(ctx, kc, simConfig(count, 400, 4), l, logger)
			simDone <- err
		}()

		counted := int64(before)
		for kill := range kills {
			child := startChild(t, b.addr(), sys.dataDir)
			waitFor(t, child, "the helper system to count new orders", func() (string, bool) {
				var stats views.StatsResponse
				if err := getJSON(t, child.base+"/api/stats", &stats); err != nil {
					return err.Error(), false
				}
				return fmt.Sprintf("%d orders counted, waiting for %d", stats.Orders, counted+50), stats.Orders >= counted+50
			})
			var stats views.StatsResponse
			if err := getJSON(t, child.base+"/api/stats", &stats); err != nil {
				t.Fatal(err)
			}
			counted = stats.Orders
			child.kill()
			placed, _ := l.counts()
			t.Logf("kill %d: %d orders counted, %d of %d placed", kill+1, counted-int64(before), placed-before, count)
			// The killed members stay in their consumer groups until their
			// sessions expire; a member joining meanwhile waits for them
			// in JoinGroup, and past sarama's read timeout its processor
			// fails with an i/o timeout. Wait the sessions out, as an
			// operator restarting a crashed process after a pause would.
			time.Sleep(sessionExpiry(kc))
		}

		select {
		case err := <-simDone:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("simulator did not finish")
		}
		// The last start, in this process, recovers from the killed one.
		sys.start()
		ready := sys.waitReady()
		e := l.expect()
		if e.orders != before+count {
			t.Fatalf("ledger holds %d orders, want %d", e.orders, before+count)
		}
		waitExact(t, sys, e)
		t.Logf("restarted after the kills: ready after %v, totals of %d orders exact after %v", ready, e.orders, time.Since(sys.started))
		checkNoDuplicatesOrInvalid(t, sys)
		assertStillExact(t, sys, e)
	})
}

// TestStopWhileStarting stops the system right after starting it, while
// the processors are still setting up, as a SIGTERM during a rollout does.
// A stop asked for is not a failure: every component must return without
// an error, and the system must then start and count exactly.
func TestStopWhileStarting(t *testing.T) {
	skipShort(t)
	logger := newLogger(t)
	b := startBroker(t, broker.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, logger)
	kc := kafkaConfig(b.addr())
	ensureTopics(t, kc)
	sys := newSystem(t, kc, t.TempDir(), logger)
	l := newLedger()
	mustSimulate(t, kc, simConfig(100, 2000, 1), l, logger)

	for _, after := range []time.Duration{0, 20 * time.Millisecond, 100 * time.Millisecond} {
		sys.start()
		time.Sleep(after)
		if err := sys.halt(); err != nil {
			t.Errorf("stopped %v after start, the system returned: %v", after, err)
		}
	}
	sys.start()
	waitExact(t, sys, l.expect())
	sys.stop()
}
