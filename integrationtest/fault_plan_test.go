package integrationtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// Actions of a fault plan.
const (
	faultOne         = "kill-one"       // SIGKILL one processor instance, start it again
	faultBoth        = "kill-both"      // SIGKILL both instances
	faultRebalance   = "kill-rebalance" // restart one instance, SIGKILL the other while the groups rebalance
	faultViews       = "kill-views"     // SIGKILL serve
	faultBrokerTerm  = "broker-term"    // SIGTERM the broker, start it again
	faultBrokerKill  = "broker-kill"    // SIGKILL the broker (mid-transaction: ingest writes in transactions all the time)
	faultBrokerPause = "broker-pause"   // SIGSTOP the broker, SIGCONT after down
	faultBrokerStop  = "broker-stop"    // the broker away for faultLongOutage
)

const (
	// faultClientTimeout is the longest client timeout: sarama's read
	// timeout, the rebalance timeout and its slack (kafkaconf).
	faultClientTimeout = 65 * time.Second
	// faultLongOutage is how long the broker stays away once.
	faultLongOutage = 2 * time.Minute
	// faultSmallSteps is the number of processor and view kills.
	faultSmallSteps = 10
)

// faultStep is one action of the plan, after wait.
type faultStep struct {
	wait   time.Duration
	action string
	victim int           // the processor instance, 0 or 1
	down   time.Duration // how long it stays away (or, for a rebalance, until the kill)
}

type faultSteps []faultStep

func (p faultSteps) String() string {
	var b strings.Builder
	for i, s := range p {
		fmt.Fprintf(&b, "  %2d: after %v %s victim=%d down=%v\n", i, s.wait, s.action, s.victim, s.down)
	}
	return b.String()
}

// faultPlan is the chaos of TestFaultInjection, from seed alone: the
// small faults drawn at random, the broker's four faults in between at
// fixed places.
func faultPlan(seed uint64) faultSteps {
	rng := rand.New(rand.NewPCG(seed, 1))
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo)) * time.Millisecond }
	broker := map[int]faultStep{
		2: {action: faultBrokerTerm, down: ms(0, 2000)},
		4: {action: faultBrokerPause, down: faultClientTimeout + 5*time.Second},
		6: {action: faultBrokerKill},
		8: {action: faultBrokerStop, down: faultLongOutage},
	}
	var plan faultSteps
	for i := range faultSmallSteps {
		if b, ok := broker[i]; ok {
			b.wait = ms(2000, 5000)
			plan = append(plan, b)
		}
		s := faultStep{wait: ms(2000, 5000), victim: rng.IntN(2)}
		switch r := rng.IntN(8); {
		case r == 0:
			s.action, s.down = faultViews, ms(0, 1000)
		case r == 1:
			s.action, s.down = faultBoth, ms(0, 1500)
		case r < 4:
			s.action, s.down = faultRebalance, ms(100, 1500)
		default:
			s.action, s.down = faultOne, ms(0, 1500)
		}
		plan = append(plan, s)
	}
	// Every plan kills an instance during a rebalance at least once.
	if !strings.Contains(plan.String(), " "+faultRebalance+" ") {
		last := &plan[len(plan)-1]
		last.action, last.down = faultRebalance, ms(100, 1500)
	}
	return plan
}

// TestFaultPlanReplays: the same seed gives the same plan, and every plan
// holds each of the broker's faults and a kill during a rebalance.
func TestFaultPlanReplays(t *testing.T) {
	a, b := faultPlan(7), faultPlan(7)
	if a.String() != b.String() {
		t.Errorf("seed 7 gave two plans:\n%s\n%s", a, b)
	}
	if a.String() == faultPlan(8).String() {
		t.Error("seeds 7 and 8 gave the same plan")
	}
	for seed := range uint64(20) {
		plan := faultPlan(seed)
		for _, want := range []string{faultBrokerTerm, faultBrokerPause, faultBrokerKill, faultBrokerStop, faultRebalance} {
			if !strings.Contains(plan.String(), " "+want+" ") {
				t.Errorf("plan of seed %d lacks %s:\n%s", seed, want, plan)
			}
		}
	}
}
