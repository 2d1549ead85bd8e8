package views

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/dashboard"
	"github.com/orderstream/orderstream/internal/httpjson"
	"github.com/orderstream/orderstream/internal/liveview"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/internal/offline"
	"github.com/orderstream/orderstream/internal/supervise"
)

// HandlerConfig is what the HTTP handler serves.
type HandlerConfig struct {
	// Views are the tables the API reads; required.
	Views *Set
	// Board, if set, answers /readyz with the state of every component
	// the command supervises; otherwise /readyz shows the views alone,
	// in the same shape.
	Board *supervise.Board
	// Intake, if set, is mounted at POST /api/orders.
	Intake http.Handler
	// Metrics, if set, instruments every route, is served at /metrics, and
	// gets the statistics of the views and of attached processors.
	Metrics *metrics.Metrics
	// Logger logs what a client cannot be told; required.
	Logger *slog.Logger
	// Events, if set, is served at GET /api/events; the caller runs it.
	Events *Hub
	// Requests, if set, takes the cancellations of
	// POST /api/orders/{id}/cancel.
	Requests Requester
	// Now is the clock of the per-minute series; nil means time.Now.
	Now func() time.Time
}

// Handler is the HTTP face of a process: the JSON API, the probes, goka's
// monitor and query UI, and the metrics.
type Handler struct {
	mux     *http.ServeMux
	web     *webUI
	metrics *metrics.Metrics
}

// GokaPath is where goka's index page is mounted, the dashboard having
// taken /.
const GokaPath = "/goka"

// Route patterns, as registered and as they label the metrics.
const (
	RouteRestaurant  = "GET /api/restaurants/{id}"
	RouteRestaurants = "GET /api/restaurants"
	RouteUser        = "GET /api/users/{id}"
	RouteStats       = "GET /api/stats"
	RouteOrder       = "GET /api/orders/{id}"
	RouteCancel      = "POST /api/orders/{id}/cancel"
	RouteInbox       = "GET /api/users/{id}/notifications"
	RouteEvents      = "GET /api/events"
	RouteOrders      = "POST /api/orders"
	RouteHealthz     = "GET /healthz"
	RouteReadyz      = "GET /readyz"
	RouteMetrics     = "GET /metrics"
	RouteMonitor     = "GET " + MonitorPath + "/"
	RouteQuery       = "GET " + QueryPath + "/"
	// RouteIndex is the dashboard; RouteDashboard its scripts and
	// stylesheet; RouteGoka goka's own index of the monitor and query UI.
	RouteIndex     = "GET /{$}"
	RouteDashboard = "GET " + dashboard.AssetPath
	RouteGoka      = "GET " + GokaPath + "/{$}"
	// RouteVendor serves the scripts, stylesheets and fonts goka's pages
	// would load from public CDNs, so the UI works on closed networks.
	RouteVendor = "GET " + VendorPath + "/"
)

// NewHandler builds the handler. The views are shown on the monitor, are
// the sources of the query UI and, with Metrics, export their statistics.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Views == nil {
		return nil, errors.New("new handler: no views")
	}
	if cfg.Logger == nil {
		return nil, errors.New("new handler: no logger")
	}
	logger := cfg.Logger.With("component", "http")
	web, err := newWebUI(cfg.Views, logger)
	if err != nil {
		return nil, fmt.Errorf("new handler: %w", err)
	}
	h := &Handler{mux: http.NewServeMux(), web: web, metrics: cfg.Metrics}
	if cfg.Metrics != nil {
		cfg.Views.Each(func(table string, v *liveview.View) { cfg.Metrics.AttachView(table, v) })
	}
	a := &api{views: cfg.Views, logger: logger, hub: cfg.Events, requests: cfg.Requests, now: cfg.Now}
	if a.now == nil {
		a.now = time.Now
	}
	if cfg.Metrics != nil && cfg.Events != nil {
		for _, c := range cfg.Events.Collectors() {
			if err := cfg.Metrics.Registry().Register(c); err != nil {
				logger.Warn("event stream metrics not registered", "err", err)
			}
		}
	}

	h.handle(RouteRestaurant, http.HandlerFunc(a.restaurant))
	h.handle(RouteRestaurants, http.HandlerFunc(a.restaurants))
	h.handle(RouteUser, http.HandlerFunc(a.user))
	h.handle(RouteStats, http.HandlerFunc(a.stats))
	if cfg.Intake != nil {
		h.handle(RouteOrders, cfg.Intake)
	}
	h.handle(RouteOrder, http.HandlerFunc(a.order))
	if cfg.Requests != nil {
		h.handle(RouteCancel, http.HandlerFunc(a.cancel))
	}
	h.handle(RouteInbox, http.HandlerFunc(a.notifications))
	if cfg.Events != nil {
		h.handle(RouteEvents, http.HandlerFunc(a.events))
	}
	h.handle(RouteHealthz, http.HandlerFunc(a.healthz))
	if cfg.Board != nil {
		h.handle(RouteReadyz, cfg.Board)
	} else {
		h.handle(RouteReadyz, http.HandlerFunc(a.readyz))
	}
	if cfg.Metrics != nil {
		h.handle(RouteMetrics, cfg.Metrics.Handler())
	}
	h.handle(RouteMonitor, offline.Rewrite(VendorPath, http.HandlerFunc(h.web.serveMonitor)))
	h.handle(RouteQuery, offline.Rewrite(VendorPath, http.HandlerFunc(h.web.serveQuery)))
	h.handle(RouteIndex, dashboard.Index())
	h.handle(RouteDashboard, dashboard.Assets())
	h.handle(RouteGoka, http.StripPrefix(GokaPath, offline.Rewrite(VendorPath, http.HandlerFunc(h.web.serveIndex))))
	h.handle(RouteVendor, http.StripPrefix(VendorPath, offline.Assets()))
	// Everything else is a JSON 404.
	h.handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpjson.WriteError(w, http.StatusNotFound, "no route for %s", clip(r.URL.Path))
	}))
	return h, nil
}

// handle registers h under pattern, instrumented, and answers other methods
// on the same path with a JSON 405 instead of the mux's plain-text one.
func (h *Handler) handle(pattern string, handler http.Handler) {
	h.mux.Handle(pattern, h.instrument(pattern, handler))
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		return
	}
	allow := method
	if method == http.MethodGet {
		allow = "GET, HEAD"
	}
	h.mux.Handle(path, h.instrument(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		httpjson.WriteError(w, http.StatusMethodNotAllowed, "method %s not allowed on %s, use %s", clip(r.Method), path, method)
	})))
}

func (h *Handler) instrument(route string, handler http.Handler) http.Handler {
	if h.metrics == nil {
		return handler
	}
	return h.metrics.Instrument(route, handler)
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// AttachProcessor shows p on the monitor and, with Metrics, exports its
// statistics. Processors may be attached at any time, concurrently with
// requests; the demo attaches each as it starts.
func (h *Handler) AttachProcessor(p *goka.Processor) {
	h.web.attachProcessor(p)
	if h.metrics != nil {
		h.metrics.AttachProcessor(p)
	}
}
