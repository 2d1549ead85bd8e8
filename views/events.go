package views

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
	"github.com/orderstream/orderstream/internal/metrics"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/streams"
)

// Tuning values of the event stream.
const (
	// ClientBuffer is how many events a client may fall behind before it
	// is dropped: a slow client never slows the hub or the others.
	ClientBuffer = 256
	// MaxClients bounds the streams open at once.
	MaxClients = 1000
	// ReadyWait bounds how long a new stream waits for the hub to find
	// where the topics end (see Subscription.Ready) before it starts.
	ReadyWait = 5 * time.Second
	// hubRetry is how long a hub that could not list the topics' end
	// offsets waits before it tries again.
	hubRetry = time.Second
)

// The types of the events of GET /api/events, its SSE event names.
const (
	EventStatus       = "status"
	EventNotification = "notification"
)

// ErrHubClosed is returned by Subscribe once the hub has stopped.
var ErrHubClosed = errors.New("event hub closed")

// ErrTooManyClients is returned by Subscribe at MaxClients.
var ErrTooManyClients = errors.New("too many event streams open")

// StatusEvent is the data of a status event: a change of an order.
type StatusEvent struct {
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	UserID       string       `json:"user_id"`
	Status       order.Status `json:"status"`
	At           time.Time    `json:"at"`
	Reason       string       `json:"reason"`
}

// NotificationEvent is the data of a notification event.
type NotificationEvent struct {
	UserID       string       `json:"user_id"`
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	Status       order.Status `json:"status"`
	Message      string       `json:"message"`
	At           time.Time    `json:"at"`
}

// Event is one event of the stream: its type, the ids clients filter by,
// and its data as JSON, encoded once for every client.
type Event struct {
	Type         string
	UserID       string
	RestaurantID string
	Data         []byte
}

// Filter selects events; an empty field matches all.
type Filter struct {
	UserID       string
	RestaurantID string
}

func (f Filter) match(e *Event) bool {
	return (f.UserID == "" || f.UserID == e.UserID) && (f.RestaurantID == "" || f.RestaurantID == e.RestaurantID)
}

// Subscription is one client's stream of events.
type Subscription struct {
	hub    *Hub
	filter Filter
	ch     chan *Event
	ready  chan struct{}
	isSet  bool // ready is closed; under hub.mu
}

// Ready is closed once the hub reads from where the topics ended at the
// subscription or later: every change after that reaches the client.
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Events delivers the client's events. It is closed when the hub stops,
// and when the client fell ClientBuffer events behind and was dropped.
func (s *Subscription) Events() <-chan *Event { return s.ch }

// Close ends the subscription; it may be called more than once.
func (s *Subscription) Close() { s.hub.remove(s, false) }

// Hub fans the changes of "order-status" and the messages of
// "notifications" out to the clients of GET /api/events. It reads both
// topics with a plain consumer, in no group and from their end: a client
// sees what happens while it is connected, and nothing is committed. It
// reads only while a client is connected: with none it costs the brokers
// and serve nothing per order.
type Hub struct {
	kafka  kafkaconf.Config
	logger *slog.Logger

	mu      sync.Mutex
	subs    map[*Subscription]struct{}
	closed  bool
	running bool          // Run is running: subscriptions wait for it
	reading bool          // Run reads from offsets listed after every ready subscription
	wake    chan struct{} // a subscription waits for Run

	clients   prometheus.Gauge
	dropped   prometheus.Counter
	published *prometheus.CounterVec
}

// NewHub returns a hub reading from the brokers of cfg once it runs.
func NewHub(cfg kafkaconf.Config, logger *slog.Logger) *Hub {
	return &Hub{
		kafka:  cfg,
		logger: logger.With("component", "events"),
		subs:   make(map[*Subscription]struct{}),
		wake:   make(chan struct{}, 1),
		clients: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: metrics.Namespace, Name: "event_streams",
			Help: "Clients connected to GET /api/events.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "event_streams_dropped_total",
			Help: "Clients of GET /api/events disconnected for falling behind.",
		}),
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: metrics.Namespace, Name: "events_published_total",
			Help: "Events the event stream read, by type.",
		}, []string{"type"}),
	}
}

// Collectors are the hub's metrics.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.clients, h.dropped, h.published}
}

// Run reads the topics whenever a client is connected, until ctx ends,
// then closes every subscription.
func (h *Hub) Run(ctx context.Context) error {
	// A hub whose consumer failed is run again by its supervisor: only
	// the end of ctx ends the streams.
	defer func() {
		if ctx.Err() != nil {
			h.close()
		}
	}()
	opts, err := kgoconf.Options(h.kafka)
	if err != nil {
		return fmt.Errorf("event hub: %w", err)
	}
	admin, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("event hub: %w", err)
	}
	defer admin.Close()
	h.setRunning(true)
	defer h.setRunning(false)
	for {
		if !h.waitForClients(ctx) {
			return nil
		}
		// Where the topics end now: every change after it reaches the
		// clients subscribed so far.
		ends, err := kadm.NewClient(admin).ListEndOffsets(ctx, hubTopics...)
		if err == nil {
			err = ends.Error()
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			h.logger.Warn("event hub cannot list the end offsets; trying again", "err", err, "backoff", hubRetry)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(hubRetry):
			}
			continue
		}
		if err := h.read(ctx, opts, ends); err != nil {
			return err
		}
	}
}

// hubTopics are the topics the hub reads.
var hubTopics = []string{string(streams.Changes), string(streams.Notifications)}

// waitForClients waits until a client is subscribed, false if ctx ended
// first.
func (h *Hub) waitForClients(ctx context.Context) bool {
	for {
		h.mu.Lock()
		n := len(h.subs)
		h.mu.Unlock()
		if n > 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-h.wake:
		}
	}
}

// read consumes from ends, publishing, until ctx ends or no client is
// left.
func (h *Hub) read(ctx context.Context, opts []kgo.Opt, ends kadm.ListedOffsets) error {
	from := map[string]map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if from[o.Topic] == nil {
			from[o.Topic] = map[int32]kgo.Offset{}
		}
		from[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset)
	})
	cl, err := kgo.NewClient(append(opts, kgo.ConsumePartitions(from))...)
	if err != nil {
		return fmt.Errorf("event hub: %w", err)
	}
	defer cl.Close()
	h.setReading(true)
	h.logger.Debug("event hub reading", "topics", hubTopics)
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, partition int32, err error) {
			h.logger.Warn("event hub fetch failed", "topic", topic, "partition", partition, "err", err)
		})
		fetches.EachRecord(func(r *kgo.Record) {
			if e, err := decodeEvent(r.Topic, r.Value); err != nil {
				h.logger.Warn("event hub skips a record", "topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "err", err)
			} else {
				h.Publish(e)
			}
		})
		if h.stopReadingIfIdle() {
			h.logger.Debug("event hub idle: no client")
			return nil
		}
	}
}

// setRunning records whether Run runs; without it a subscription has
// nothing to wait for.
func (h *Hub) setRunning(running bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = running
	if !running {
		h.reading = false
		h.readyLocked()
	}
}

// setReading marks the hub reading from offsets listed after every
// current subscription began: they are ready.
func (h *Hub) setReading(reading bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reading = reading
	h.readyLocked()
}

// stopReadingIfIdle stops reading when no client is left, and reports
// whether it did. A later subscription waits for offsets listed after it.
func (h *Hub) stopReadingIfIdle() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.subs) > 0 {
		return false
	}
	h.reading = false
	return true
}

// readyLocked closes Ready of every subscription, when there is nothing
// for them to wait for.
func (h *Hub) readyLocked() {
	if h.running && !h.reading {
		return
	}
	for s := range h.subs {
		s.setReadyLocked()
	}
}

func (s *Subscription) setReadyLocked() {
	if !s.isSet {
		s.isSet = true
		close(s.ready)
	}
}

// decodeEvent turns a record of one of the hub's topics into an event.
func decodeEvent(topic string, value []byte) (*Event, error) {
	var (
		e    = &Event{}
		data any
	)
	switch topic {
	case string(streams.Changes):
		var c streams.Change
		if err := json.Unmarshal(value, &c); err != nil {
			return nil, err
		}
		e.Type, e.UserID, e.RestaurantID = EventStatus, c.UserID, c.RestaurantID
		data = StatusEvent{OrderID: c.OrderID, RestaurantID: c.RestaurantID, UserID: c.UserID, Status: c.Status, At: ms(c.At), Reason: c.Reason}
	case string(streams.Notifications):
		var n streams.Notification
		if err := json.Unmarshal(value, &n); err != nil {
			return nil, err
		}
		e.Type, e.UserID, e.RestaurantID = EventNotification, n.UserID, n.RestaurantID
		data = NotificationEvent{UserID: n.UserID, OrderID: n.OrderID, RestaurantID: n.RestaurantID, Status: n.Status, Message: n.Message, At: ms(n.At)}
	default:
		return nil, fmt.Errorf("unexpected topic %s", topic)
	}
	var err error
	e.Data, err = json.Marshal(data)
	return e, err
}

// Publish hands e to every client whose filter matches. It never blocks:
// a client whose buffer is full is dropped.
func (h *Hub) Publish(e *Event) {
	h.published.WithLabelValues(e.Type).Inc()
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		if !s.filter.match(e) {
			continue
		}
		select {
		case s.ch <- e:
		default:
			h.removeLocked(s, true)
		}
	}
}

// Subscribe opens a stream of the events f matches.
func (h *Hub) Subscribe(f Filter) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.closed:
		return nil, ErrHubClosed
	case len(h.subs) >= MaxClients:
		return nil, ErrTooManyClients
	}
	s := &Subscription{hub: h, filter: f, ch: make(chan *Event, ClientBuffer), ready: make(chan struct{})}
	h.subs[s] = struct{}{}
	h.clients.Inc()
	if h.running && !h.reading {
		select {
		case h.wake <- struct{}{}:
		default:
		}
	} else {
		s.setReadyLocked()
	}
	return s, nil
}

func (h *Hub) remove(s *Subscription, slow bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(s, slow)
}

func (h *Hub) removeLocked(s *Subscription, slow bool) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	close(s.ch)
	h.clients.Dec()
	if slow {
		h.dropped.Inc()
		h.logger.Info("event stream dropped: client too slow", "buffer", ClientBuffer)
	}
}

// close ends every subscription and refuses new ones.
func (h *Hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.removeLocked(s, false)
	}
}
