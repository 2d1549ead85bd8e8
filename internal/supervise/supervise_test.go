package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"
	leveldberrors "github.com/syndtr/goleveldb/leveldb/errors"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Initial: 100 * time.Millisecond, Max: time.Second}
	for _, tc := range []struct {
		attempt int
		rnd     float64
		want    time.Duration
	}{
		{1, 0, 50 * time.Millisecond},
		{1, 0.5, 75 * time.Millisecond},
		{2, 0, 100 * time.Millisecond},
		{3, 0, 200 * time.Millisecond},
		{4, 0.5, 600 * time.Millisecond},
		{5, 0, 500 * time.Millisecond}, // 1.6s capped at 1s
		{50, 0.5, 750 * time.Millisecond},
	} {
		got := b.Delay(tc.attempt, func() float64 { return tc.rnd })
		if got.Round(time.Microsecond) != tc.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", tc.attempt, tc.rnd, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		err       error
		reason    string
		permanent bool
	}{
		{nil, ReasonStopped, false},
		{errors.New("processor registry: 1 error occurred: * error consuming from group consumer: read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout"), ReasonTimeout, false},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), ReasonConnection, false},
		{errors.New("processor lifecycle: 2 errors occurred:\n\t* Error closing consumer group: dial tcp 127.0.0.1:1: connect: connection refused\n\t* error consuming from group consumer: EOF"), ReasonConnection, false},
		{io.EOF, ReasonConnection, false},
		{fmt.Errorf("produce: %w", sarama.ErrOutOfBrokers), ReasonConnection, false},
		{fmt.Errorf("x: %w", sarama.ErrNotLeaderForPartition), ReasonNotLeader, false},
		{fmt.Errorf("x: %w", kerr.NotLeaderForPartition), ReasonNotLeader, false},
		{errors.New("error rebalancing: kafka server: the group is rebalancing"), ReasonRebalance, false},
		{fmt.Errorf("x: %w", sarama.ErrUnknownTopicOrPartition), ReasonUnavailable, false},
		{fmt.Errorf("x: %w", kerr.CoordinatorNotAvailable), ReasonUnavailable, false},
		{context.DeadlineExceeded, ReasonTimeout, false},
		{errors.New("something odd"), ReasonOther, false},
		{fmt.Errorf("x: %w", sarama.ErrSASLAuthenticationFailed), ReasonAuth, true},
		{errors.New("kafka: client has run out of available brokers to talk to: SASL authentication failed"), ReasonAuth, true},
		{errors.New("tls: failed to verify certificate: x509: certificate signed by unknown authority"), ReasonAuth, true},
		{errors.New("topic 'orders' does not exist but the manager is configured with NoCreate, so it will not attempt to create it"), ReasonTopic, true},
		{fmt.Errorf("view: %w", ErrTopic), ReasonTopic, true},
		{fmt.Errorf("open: %w", &leveldberrors.ErrCorrupted{Err: errors.New("bad block")}), ReasonStore, true},
		{sarama.ConfigurationError("Net.SASL.User must not be empty"), ReasonConfig, true},
		{Permanent("mine", errors.New("broken pipe")), "mine", true},
	} {
		reason, permanent := Classify(tc.err)
		if reason != tc.reason || permanent != tc.permanent {
			t.Errorf("Classify(%v) = %q, %v; want %q, %v", tc.err, reason, permanent, tc.reason, tc.permanent)
		}
	}
}

var fast = Backoff{Initial: time.Millisecond, Max: 2 * time.Millisecond}

// instance is what a component's Run builds: each run gets a new one,
// and the test checks that none is run twice.
type instance struct{ ran bool }

// TestRunRestartsWhole fails a component with faults that pass, then
// stops it; each run must build a new instance, each failure be counted.
func TestRunRestartsWhole(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu        sync.Mutex
		built     []*instance
		restarted []string
	)
	errs := []error{syscall.ECONNRESET, errors.New("i/o timeout"), nil}
	c := Component{Name: "c", Run: func(ctx context.Context) error {
		inst := new(instance)
		mu.Lock()
		built = append(built, inst)
		n := len(built)
		mu.Unlock()
		if inst.ran {
			t.Error("instance run twice")
		}
		inst.ran = true
		if n <= len(errs) {
			return errs[n-1]
		}
		cancel()
		<-ctx.Done()
		return nil
	}}
	board := new(Board)
	err := Run(ctx, Options{Backoff: fast, Board: board, Restarted: func(name, reason string) {
		mu.Lock()
		defer mu.Unlock()
		restarted = append(restarted, name+"/"+reason)
	}}, c)
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if len(built) != 4 {
		t.Errorf("built %d instances, want 4", len(built))
	}
	want := []string{"c/connection", "c/timeout", "c/stopped"}
	if strings.Join(restarted, " ") != strings.Join(want, " ") {
		t.Errorf("restarts %v, want %v", restarted, want)
	}
	got := board.Components()
	if len(got) != 1 || got[0].State != StateStopped || got[0].Restarts != 3 {
		t.Errorf("board %+v, want c stopped after 3 restarts", got)
	}
}

// TestRunStopsOnPermanent checks that a fault that cannot pass stops
// every component and is returned.
func TestRunStopsOnPermanent(t *testing.T) {
	auth := fmt.Errorf("connect: %w", sarama.ErrSASLAuthenticationFailed)
	otherStopped := make(chan struct{})
	err := Run(context.Background(), Options{Backoff: fast},
		Component{Name: "bad", Run: func(context.Context) error { return auth }},
		Component{Name: "good", Run: func(ctx context.Context) error {
			<-ctx.Done()
			close(otherStopped)
			return nil
		}},
	)
	if !errors.Is(err, sarama.ErrSASLAuthenticationFailed) || !strings.HasPrefix(err.Error(), "bad: ") {
		t.Errorf("Run = %v, want bad's auth error", err)
	}
	select {
	case <-otherStopped:
	default:
		t.Error("Run returned before the other component stopped")
	}
}

// TestRunPanic restarts a component that panicked.
func TestRunPanic(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runs := 0
	err := Run(ctx, Options{Backoff: fast}, Component{Name: "p", Run: func(ctx context.Context) error {
		runs++
		if runs == 1 {
			var m map[string]int
			m["x"] = 1 // panics
		}
		cancel()
		return nil
	}})
	if err != nil || runs != 2 {
		t.Errorf("Run = %v after %d runs, want nil after 2", err, runs)
	}
}

// TestBoardReadiness checks the /readyz body: a component is recovering
// until its Ready says it caught up, and the answer is 503 until then.
func TestBoardReadiness(t *testing.T) {
	b := new(Board)
	var ready bool
	var mu sync.Mutex
	isReady := func() bool { mu.Lock(); defer mu.Unlock(); return ready }
	e1 := b.add("view/catalog", isReady)
	e2 := b.add("processor/registry", nil)
	b.set(e1, func(s *ComponentStatus) { s.State = StateRunning })
	b.set(e2, func(s *ComponentStatus) {
		s.State, s.Reason, s.Error, s.Restarts = StateRestarting, ReasonTimeout, "i/o timeout", 1
	})

	check := func(wantCode int, want Readiness) {
		t.Helper()
		rec := httptest.NewRecorder()
		b.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		var got Readiness
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		gotJSON, _ := json.Marshal(got)
		wantJSON, _ := json.Marshal(want)
		if rec.Code != wantCode || string(gotJSON) != string(wantJSON) {
			t.Errorf("readyz %d %s, want %d %s", rec.Code, gotJSON, wantCode, wantJSON)
		}
	}
	check(http.StatusServiceUnavailable, Readiness{Status: StatusNotReady,
		NotReady: []string{"view/catalog", "processor/registry"},
		Components: []ComponentStatus{
			{Name: "view/catalog", State: StateRecovering},
			{Name: "processor/registry", State: StateRestarting, Reason: ReasonTimeout, Error: "i/o timeout", Restarts: 1},
		}})

	mu.Lock()
	ready = true
	mu.Unlock()
	b.set(e2, func(s *ComponentStatus) { s.State = StateRunning })
	check(http.StatusOK, Readiness{Status: StatusReady, Components: []ComponentStatus{
		{Name: "view/catalog", State: StateRunning},
		{Name: "processor/registry", State: StateRunning, Reason: ReasonTimeout, Error: "i/o timeout", Restarts: 1},
	}})
}

// TestBoardRegistered: a board with nothing on it, or with components
// registered but not run yet, is not ready.
func TestBoardRegistered(t *testing.T) {
	b := new(Board)
	if r := b.Readiness(); r.Status != StatusNotReady {
		t.Errorf("empty board: %+v, want not ready", r)
	}
	b.Register(Component{Name: "a"}, Component{Name: "b"})
	r := b.Readiness()
	if r.Status != StatusNotReady || strings.Join(r.NotReady, ",") != "a,b" || r.Components[0].State != StateStarting {
		t.Errorf("registered board: %+v, want a and b starting", r)
	}
}
