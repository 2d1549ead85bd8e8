package broker

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// joinSilently makes a member of group that joins and syncs, then sends
// nothing more, and returns its id.
func joinSilently(t *testing.T, ctx context.Context, cl *kgo.Client, group string) string {
	t.Helper()
	join := func(member string) *kmsg.JoinGroupResponse {
		req := kmsg.NewPtrJoinGroupRequest()
		req.Group = group
		req.MemberID = member
		req.ProtocolType = "consumer"
		req.SessionTimeoutMillis = 60_000
		req.RebalanceTimeoutMillis = 1_000
		p := kmsg.NewJoinGroupRequestProtocol()
		p.Name = "range"
		req.Protocols = append(req.Protocols, p)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			t.Fatalf("join %s: %v", group, err)
		}
		return resp
	}
	resp := join("")
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil && err != kerr.MemberIDRequired {
		t.Fatalf("join %s: %v", group, err)
	}
	member := resp.MemberID
	if resp = join(member); resp.ErrorCode != 0 {
		t.Fatalf("join %s as %s: %v", group, member, kerr.ErrorForCode(resp.ErrorCode))
	}
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = group, member, resp.Generation
	sresp, err := sync.RequestWith(ctx, cl)
	if err != nil || sresp.ErrorCode != 0 {
		t.Fatalf("sync %s: %v %v", group, err, kerr.ErrorForCode(sresp.ErrorCode))
	}
	return member
}

// A member that stops sending requests is removed once it has been silent
// for longer than its session timeout, and not before.
func TestReaperRemovesSilentMembers(t *testing.T) {
	b := startBroker(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()

	now := time.Now()
	r := newReaper(b.cluster, slog.New(slog.DiscardHandler))
	r.now = func() time.Time { return now }
	member := joinSilently(t, ctx, cl, "g")

	count := func() int {
		if info := b.cluster.GroupInfo("g"); info != nil {
			return len(info.Members)
		}
		return 0
	}
	now = now.Add(59 * time.Second)
	r.reap(ctx, b.self)
	if n := count(); n != 1 {
		t.Fatalf("%d members after 59s of silence with a 60s session, want 1", n)
	}
	now = now.Add(time.Minute)
	if dead := r.dead(); len(dead["g"]) != 1 || dead["g"][0] != member {
		t.Fatalf("dead() = %v, want g: [%s]", dead, member)
	}
	r.reap(ctx, b.self)
	// The group completes its rebalance after the member's rebalance
	// timeout of one second.
	for deadline := time.Now().Add(10 * time.Second); count() != 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("member %s still in the group: %+v", member, b.cluster.GroupInfo("g"))
		}
	}
	if dead := r.dead(); len(dead) != 0 {
		t.Errorf("dead() = %v after the member left, want none", dead)
	}
}
