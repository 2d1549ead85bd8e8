package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
)

// Reaping classic consumer group members that died unnoticed.
//
// kfake stops a member's session timer when it joins and starts it again
// only once a reply reaches the member. A member whose connection died
// while it waited in JoinGroup or SyncGroup (a process killed during a
// rebalance) therefore never times out once the leader has synced: it
// stays in the group for good, holding its partitions, and nobody consumes
// them. Kafka itself keeps the session timer running throughout. The
// reaper stands in for it: it notes every request by which a member shows
// that it is alive, and has a member that has shown nothing for longer
// than its session timeout (plus ReapGrace) leave the group, which hands
// its partitions to the others.
const (
	// ReapInterval is how often the reaper looks for dead members.
	ReapInterval = 2 * time.Second
	// ReapGrace is added to a member's session timeout before it is
	// removed, so that the reaper never races kfake's own expiry.
	ReapGrace = 5 * time.Second
)

// member is what the reaper knows of a group member: its timeouts, from
// its JoinGroup, and when it was last seen and how long it may be silent
// after that.
type member struct {
	group              string
	session, rebalance time.Duration
	at                 time.Time
	silent             time.Duration
}

// reaper tracks the liveness of group members from their requests.
type reaper struct {
	cluster *kfake.Cluster
	logger  *slog.Logger
	now     func() time.Time

	mu      sync.Mutex
	members map[string]*member // by member id, from its first JoinGroup with it
}

func newReaper(c *kfake.Cluster, logger *slog.Logger) *reaper {
	r := &reaper{cluster: c, logger: logger, now: time.Now, members: map[string]*member{}}
	for _, key := range []kmsg.Key{kmsg.JoinGroup, kmsg.SyncGroup, kmsg.Heartbeat, kmsg.OffsetCommit} {
		c.ControlKey(int16(key), r.observe)
	}
	return r
}

// observe notes the member a request comes from, and lets the broker
// handle it as usual. A member waiting in JoinGroup or SyncGroup sends
// nothing else until the rebalance completes, which may take its
// rebalance timeout; otherwise it heartbeats within its session timeout.
func (r *reaper) observe(req kmsg.Request) (kmsg.Response, error, bool) {
	r.cluster.KeepControl()
	r.mu.Lock()
	defer r.mu.Unlock()
	var id string
	waiting := false
	switch q := req.(type) {
	case *kmsg.JoinGroupRequest:
		id, waiting = q.MemberID, true
		if id != "" {
			r.members[id] = &member{
				group:     q.Group,
				session:   time.Duration(q.SessionTimeoutMillis) * time.Millisecond,
				rebalance: time.Duration(q.RebalanceTimeoutMillis) * time.Millisecond,
			}
		}
	case *kmsg.SyncGroupRequest:
		id, waiting = q.MemberID, true
	case *kmsg.HeartbeatRequest:
		id = q.MemberID
	case *kmsg.OffsetCommitRequest:
		id = q.MemberID
	}
	m, known := r.members[id]
	if !known {
		return nil, nil, false
	}
	m.at, m.silent = r.now(), m.session
	if waiting {
		m.silent += m.rebalance
	}
	return nil, nil, false
}

// dead returns, by group, the members that have been silent too long, and
// forgets silent ones no longer in their group.
func (r *reaper) dead() map[string][]string {
	r.mu.Lock()
	groups := map[string]bool{}
	for _, m := range r.members {
		groups[m.group] = true
	}
	r.mu.Unlock()

	out := map[string][]string{}
	now := r.now()
	for g := range groups {
		inGroup := map[string]bool{}
		if info := r.cluster.GroupInfo(g); info != nil {
			for _, m := range info.Members {
				inGroup[m.MemberID] = true
			}
		}
		r.mu.Lock()
		for id, m := range r.members {
			switch {
			case m.group != g || now.Sub(m.at) <= m.silent+ReapGrace:
			case inGroup[id]:
				out[g] = append(out[g], id)
			default:
				// Gone, or never more than a candidate (a
				// JoinGroup answered with the member id to join
				// with).
				delete(r.members, id)
			}
		}
		r.mu.Unlock()
	}
	return out
}

// run removes dead members every ReapInterval until ctx ends, through a
// client of the broker's own.
func (r *reaper) run(ctx context.Context, cl *kgo.Client) {
	t := time.NewTicker(ReapInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.reap(ctx, cl)
	}
}

// reap has the members dead reports leave their groups.
func (r *reaper) reap(ctx context.Context, cl *kgo.Client) {
	for g, ids := range r.dead() {
		req := kmsg.NewPtrLeaveGroupRequest()
		req.Group = g
		reason := "no request from the member within its session timeout"
		for _, id := range ids {
			m := kmsg.NewLeaveGroupRequestMember()
			m.MemberID = id
			m.Reason = &reason
			req.Members = append(req.Members, m)
		}
		if _, err := req.RequestWith(ctx, cl); err != nil {
			if ctx.Err() == nil {
				r.logger.Warn("remove silent group members", "group", g, "members", ids, "err", err)
			}
			continue
		}
		r.logger.Warn("removed group members that died unnoticed", "group", g, "members", ids)
		r.mu.Lock()
		for _, id := range ids {
			delete(r.members, id)
		}
		r.mu.Unlock()
	}
}

// pipeListener adds in-process connections to the connections a listener
// accepts, so that the broker can be its own client without a network
// address, TLS or exposure. It wraps the listener that does TLS, so its
// own connections are plain.
type pipeListener struct {
	net.Listener
	conns  chan accepted
	closed chan struct{}
	once   sync.Once
}

// accepted is the outcome of one Accept.
type accepted struct {
	c   net.Conn
	err error
}

func newPipeListener(ln net.Listener) *pipeListener {
	l := &pipeListener{Listener: ln, conns: make(chan accepted), closed: make(chan struct{})}
	go l.acceptNetwork()
	return l
}

// acceptNetwork hands the network's connections to Accept until the
// listener is closed.
func (l *pipeListener) acceptNetwork() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.conns <- accepted{c, err}:
		case <-l.closed:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

// Accept returns the next network or in-process connection.
func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case a := <-l.conns:
		return a.c, a.err
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting.
func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// dial connects in process.
func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- accepted{c: server}:
		return client, nil
	case <-l.closed:
		return nil, errors.New("broker closed")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// selfClient is a client of the broker that dials it in process, logged
// in as the first of users if there are any.
func selfClient(addr string, l *pipeListener, users []User) (*kgo.Client, error) {
	kc := kafkaconf.Config{Brokers: []string{addr}, Partitions: kafkaconf.DefaultPartitions, Replication: 1, ClientID: "orderstream-broker-reaper"}
	if len(users) > 0 {
		kc.SASL = kafkaconf.SASLConfig{Mechanism: users[0].Mechanism, User: users[0].User, Password: users[0].Password}
	}
	opts, err := kgoconf.Options(kc)
	if err != nil {
		return nil, err
	}
	return kgo.NewClient(append(opts, kgo.Dialer(l.dial))...)
}
