package views

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"
	"github.com/lovoo/goka"
	"github.com/lovoo/goka/web/index"
	"github.com/lovoo/goka/web/monitor"
	"github.com/lovoo/goka/web/query"

	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/kafkaconf"
)

// Where goka's web UI is mounted; its pages link relative to these.
const (
	MonitorPath = "/monitor"
	QueryPath   = "/query"
	VendorPath  = "/assets/vendor"
)

// webUI mounts goka's monitor, query and index pages, written for
// gorilla/mux, under the standard mux, and makes them safe to serve.
// goka's monitor (v1.1.16) is not:
//
//   - it reads its list of processors without its lock, so attaching one
//     while a page renders races: every monitor request holds mu's read
//     lock, attaching takes the write lock;
//   - each page appends its template to one shared slice with spare
//     capacity, so two pages rendering at once race and may render the
//     wrong template: pages render one at a time under render (the data
//     requests, which may wait on statistics, do not);
//   - it checks an index against len instead of len-1, so
//     /monitor/processor/N with N processors panics: such requests are
//     answered 404 here before goka sees them.
type webUI struct {
	mu                       sync.RWMutex
	render                   sync.Mutex
	processors, views        int
	monitor                  *monitor.Server
	monitorRouter            *mux.Router
	queryRouter, indexRouter *mux.Router
}

func newWebUI(set *Set, logger *slog.Logger) (*webUI, error) {
	gl := kafkaconf.Logger(logger)
	u := &webUI{
		monitorRouter: mux.NewRouter(),
		queryRouter:   mux.NewRouter(),
		indexRouter:   mux.NewRouter(),
	}
	u.monitor = monitor.NewServer(MonitorPath, u.monitorRouter, monitor.WithLogger(gl))
	q := query.NewServer(QueryPath, u.queryRouter, query.WithLogger(gl))
	for _, t := range set.tables {
		// goka's monitor takes a *goka.View: it shows the first
		// instance, not one rebuilt after a failure.
		u.monitor.AttachView(t.view.First())
		u.views++
		if err := q.AttachSource(string(t.name), t.getter); err != nil {
			return nil, fmt.Errorf("query ui: %w", err)
		}
	}
	idx := index.NewServer("", u.indexRouter)
	idx.AddComponent(u.monitor, "Monitor")
	idx.AddComponent(q, "Query")
	for _, r := range []*mux.Router{u.monitorRouter, u.queryRouter, u.indexRouter} {
		r.NotFoundHandler = http.HandlerFunc(pageNotFound)
	}
	return u, nil
}

func pageNotFound(w http.ResponseWriter, r *http.Request) {
	httpjson.WriteError(w, http.StatusNotFound, "no such page %s", clip(r.URL.Path))
}

func (u *webUI) attachProcessor(p *goka.Processor) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.monitor.AttachProcessor(p)
	u.processors++
}

func (u *webUI) serveMonitor(w http.ResponseWriter, r *http.Request) {
	u.mu.RLock()
	defer u.mu.RUnlock()
	if !u.monitorPathValid(r.URL.Path) {
		pageNotFound(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, MonitorPath+"/data/") {
		u.render.Lock()
		defer u.render.Unlock()
	}
	u.monitorRouter.ServeHTTP(w, r)
}

// monitorPathValid reports whether a monitor path that names a processor
// or view by index names one that exists; goka would answer some of the
// others with a plain-text 404, and one with a panic. Other paths are
// goka's to judge.
func (u *webUI) monitorPathValid(path string) bool {
	parts := strings.Split(strings.TrimPrefix(path, MonitorPath+"/"), "/")
	var kind, idx string
	switch {
	case len(parts) == 2 && (parts[0] == "processor" || parts[0] == "view"):
		kind, idx = parts[0], parts[1]
	case len(parts) == 3 && parts[0] == "data":
		kind, idx = parts[1], parts[2]
	default:
		return true
	}
	n, err := strconv.Atoi(idx)
	switch {
	case err != nil:
		return false
	case kind == "processor":
		return n >= 0 && n < u.processors
	case kind == "view":
		return n >= 0 && n < u.views
	}
	// goka writes a body and then a 404 for other data types.
	return false
}

func (u *webUI) serveQuery(w http.ResponseWriter, r *http.Request) { u.queryRouter.ServeHTTP(w, r) }

func (u *webUI) serveIndex(w http.ResponseWriter, r *http.Request) { u.indexRouter.ServeHTTP(w, r) }
