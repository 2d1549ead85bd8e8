package supervise

import (
	"encoding/json"
	"net/http"
	"slices"
	"sync"
)

// States of a component on the Board.
const (
	StateStarting   = "starting"   // registered, not run yet
	StateRecovering = "recovering" // running, catching up with its tables
	StateRunning    = "running"    // running and caught up
	StateRestarting = "restarting" // failed; waiting to run again
	StateFailed     = "failed"     // failed for good; the command stops
	StateStopped    = "stopped"    // returned after its context ended
)

// ComponentStatus is one component on /readyz.
type ComponentStatus struct {
	Name  string `json:"name"`
	State string `json:"state"`
	// Reason and Error describe the last failure, while restarting or
	// after it failed for good.
	Reason   string `json:"reason,omitempty"`
	Error    string `json:"error,omitempty"`
	Restarts int    `json:"restarts"`
}

// Readiness is the body of /readyz in every command (process, serve and
// demo): "ready" with 200 when every component runs and has caught up,
// otherwise "not_ready" with 503 and the names of the others.
type Readiness struct {
	Status     string            `json:"status"`
	NotReady   []string          `json:"not_ready,omitempty"`
	Components []ComponentStatus `json:"components"`
}

// Readiness statuses.
const (
	StatusReady    = "ready"
	StatusNotReady = "not_ready"
)

// Board is the state of a command's components, for /readyz. Its zero
// value is ready to use; it is safe for concurrent use.
type Board struct {
	mu    sync.Mutex
	comps []*entry
}

type entry struct {
	status ComponentStatus
	ready  func() bool
}

// add registers a component, or returns the entry of its name.
func (b *Board) add(name string, ready func() bool) *entry {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.comps {
		if e.status.Name == name {
			e.ready = ready
			return e
		}
	}
	e := &entry{status: ComponentStatus{Name: name, State: StateStarting}, ready: ready}
	b.comps = append(b.comps, e)
	return e
}

// Register puts components on the board as starting before they run, so
// that /readyz is not ready while a command is still starting them.
func (b *Board) Register(comps ...Component) {
	for _, c := range comps {
		b.add(c.Name, c.Ready)
	}
}

// Observe shows a component that runs outside a supervisor on the board:
// running once ready reports true, recovering until then.
func (b *Board) Observe(name string, ready func() bool) {
	e := b.add(name, ready)
	b.set(e, func(s *ComponentStatus) { s.State = StateRunning })
}

func (b *Board) set(e *entry, f func(s *ComponentStatus)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(&e.status)
}

// Components returns every component's status, in the order they were
// registered.
func (b *Board) Components() []ComponentStatus {
	b.mu.Lock()
	comps := slices.Clone(b.comps)
	out := make([]ComponentStatus, len(comps))
	for i, e := range comps {
		out[i] = e.status
	}
	b.mu.Unlock()
	// Outside the lock: ready reads the component.
	for i, e := range comps {
		if out[i].State == StateRunning && e.ready != nil && !e.ready() {
			out[i].State = StateRecovering
		}
	}
	return out
}

// Readiness summarises the components: ready when there are some and all
// of them run and have caught up.
func (b *Board) Readiness() Readiness {
	r := Readiness{Status: StatusReady, Components: b.Components()}
	for _, c := range r.Components {
		if c.State != StateRunning {
			r.NotReady = append(r.NotReady, c.Name)
		}
	}
	if len(r.NotReady) > 0 || len(r.Components) == 0 {
		r.Status = StatusNotReady
	}
	return r
}

// ServeHTTP answers /readyz with the Readiness: 200 when ready, 503 when
// not.
func (b *Board) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	r := b.Readiness()
	code := http.StatusOK
	if r.Status != StatusReady {
		code = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}
