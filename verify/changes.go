package verify

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
	"github.com/orderstream/orderstream/processors/streams"
)

// checkAudit compares the lifecycle table, order-status, notifications
// and the inbox table with the recomputed lifecycle.
func checkAudit(ctx context.Context, base []kgo.Opt, snap *snapshot, c counted, a *audit, r *Report) error {
	checkHistories(a, c, r)
	if err := checkLifecycle(ctx, base, snap, a, r); err != nil {
		return err
	}
	r.Changes = len(a.changes)
	err := checkStream(ctx, base, snap, string(streams.Changes), a.changes, r,
		func(c *streams.Change) (string, exactly.Pos) { return c.OrderID, c.Seq },
		func(c streams.Change) streams.Change { c.At = c.At.UTC(); return c })
	if err != nil {
		return err
	}
	notes := map[exactly.Pos]*streams.Notification{}
	for seq, c := range a.changes {
		notes[seq] = lifecycle.NewNotification(c, c.RestaurantID)
	}
	err = checkStream(ctx, base, snap, string(streams.Notifications), notes, r,
		func(n *streams.Notification) (string, exactly.Pos) { return n.UserID, n.Seq },
		func(n streams.Notification) streams.Notification { n.At, n.Message = n.At.UTC(), ""; return n })
	if err != nil {
		return err
	}
	return checkInboxes(ctx, base, snap, a, r)
}

// checkStream compares topic, a stream of the lifecycle's changes in some
// form T, with want, the form of each change by its Seq: every record is
// the form of a change, keyed and partitioned as goka keys and partitions
// it, and every change is there at least once; more than once is a
// redelivery, the same again. id is the key and Seq of a T; norm is the
// part of a T compared. A notification's message names the restaurant as
// the catalog did when it was written, so it is not compared.
func checkStream[T any](ctx context.Context, base []kgo.Opt, snap *snapshot, topic string, want map[exactly.Pos]*T, r *Report,
	id func(*T) (string, exactly.Pos), norm func(T) T) error {
	partition := gokaPartitions(snap, topic)
	seen := map[exactly.Pos]bool{}
	err := consume(ctx, base, topic, snap.starts[topic], snap.ends[topic], func(rec *kgo.Record) error {
		where := fmt.Sprintf("%d@%d", rec.Partition, rec.Offset)
		got := new(T)
		if err := json.Unmarshal(rec.Value, got); err != nil {
			r.differ(topic, where, "undecodable value: %v", err)
			return nil
		}
		_, seq := id(got)
		w, ok := want[seq]
		if !ok {
			r.differ(topic, where, "no change of the lifecycle has seq %v: %s", seq, show(got))
			return nil
		}
		seen[seq] = true
		if key, _ := id(w); string(rec.Key) != key || partition([]byte(key)) != rec.Partition {
			r.differ(topic, where, "change %v under key %q on partition %d, want key %q on partition %d", seq, rec.Key, rec.Partition, key, partition([]byte(key)))
		}
		if g, w := norm(*got), norm(*w); !reflect.DeepEqual(g, w) {
			r.differ(topic, where, "change %v differs\n    got  %s\n    want %s", seq, show(g), show(w))
		}
		return nil
	})
	for _, seq := range slices.SortedFunc(maps.Keys(want), comparePos) {
		if !seen[seq] {
			key, _ := id(want[seq])
			r.differ(topic, key, "change %v missing: %s", seq, show(norm(*want[seq])))
		}
	}
	return err
}

// checkInboxes compares every user's inbox with the changes of the user's
// orders.
func checkInboxes(ctx context.Context, base []kgo.Opt, snap *snapshot, a *audit, r *Report) error {
	topic := string(inbox.Table)
	got, err := table[inbox.Inbox](ctx, base, snap, topic, r)
	if err != nil {
		return err
	}
	want := map[string]*notes{}
	for _, c := range a.changes {
		if want[c.UserID] == nil {
			want[c.UserID] = &notes{}
		}
		want[c.UserID].entries = append(want[c.UserID].entries, entryOf(lifecycle.NewNotification(c, c.RestaurantID)))
	}
	r.Inboxes = len(want)
	compareKeyed(r, topic, got, want,
		func(in *inbox.Inbox) int { return len(in.Notifications) },
		func(n *notes) int { return min(len(n.entries), inbox.Size) })
	for _, user := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[user]; ok {
			checkInbox(r, topic, user, got[user], w.entries)
		}
	}
	return nil
}

// notes are the notifications of a user's orders.
type notes struct{ entries []inbox.Entry }

// entryOf is the inbox entry of n as compared: its message is not.
func entryOf(n *streams.Notification) inbox.Entry {
	return inbox.Entry{OrderID: n.OrderID, RestaurantID: n.RestaurantID, Status: n.Status, At: n.At.UTC()}
}

// inboxKey identifies a notification in an inbox: an order has each
// status once.
type inboxKey struct {
	OrderID string
	Status  order.Status
}

// checkInbox checks the inbox of user against want, the user's
// notifications: it holds the inbox.Size newest, each once, newest first.
// Which of several as old as its oldest it kept depends on the order they
// arrived in, so every notification newer than its oldest must be there,
// and when it is not full every notification.
func checkInbox(r *Report, topic, user string, in *inbox.Inbox, want []inbox.Entry) {
	byKey := map[inboxKey]inbox.Entry{}
	for _, w := range want {
		byKey[inboxKey{w.OrderID, w.Status}] = w
	}
	if in.UserID != user {
		r.differ(topic, user, "inbox of user %q", in.UserID)
	}
	kept := map[inboxKey]bool{}
	for i, e := range in.Notifications {
		k := inboxKey{e.OrderID, e.Status}
		w, ok := byKey[k]
		e.Message, e.At = "", e.At.UTC()
		switch {
		case !ok:
			r.differ(topic, user, "notification %d, order %s %s: no such change of the user's orders", i, e.OrderID, e.Status)
		case kept[k]:
			r.differ(topic, user, "notification %d, order %s %s: kept twice", i, e.OrderID, e.Status)
		case !reflect.DeepEqual(e, w):
			r.differ(topic, user, "notification %d differs\n    got  %s\n    want %s", i, show(e), show(w))
		case i > 0 && e.At.After(in.Notifications[i-1].At):
			r.differ(topic, user, "notification %d, order %s %s, newer than the one before", i, e.OrderID, e.Status)
		}
		kept[k] = true
	}
	full := len(in.Notifications) >= inbox.Size
	slices.SortFunc(want, func(a, b inbox.Entry) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(a.OrderID, b.OrderID)) })
	for _, w := range want {
		if full && !w.At.After(in.Notifications[len(in.Notifications)-1].At) {
			break
		}
		if !kept[inboxKey{w.OrderID, w.Status}] {
			r.differ(topic, user, "notification order %s %s at %v missing", w.OrderID, w.Status, w.At)
		}
	}
}
