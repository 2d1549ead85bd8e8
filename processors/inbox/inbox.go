// Package inbox keeps every user's latest notifications, keyed by user_id,
// for GET /api/users/{id}/notifications.
package inbox

import (
	"slices"
	"time"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/cache"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/runner"
	"github.com/orderstream/orderstream/processors/streams"
)

// Group is the goka group of the inbox; its table is Table.
const Group goka.Group = "inbox"

// Table is the inbox table: user_id → Inbox.
var Table = goka.GroupTable(Group)

// Size is how many notifications an inbox keeps.
const Size = 50

// Table cache (processors/cache): an inbox is read by people, who do not
// see a tenth of a second, and a value of Size entries is large, so a
// partition writes its changed inboxes at most every FlushInterval, each
// once, and keeps few unchanged ones decoded.
const (
	FlushInterval = 100 * time.Millisecond
	keepClean     = 256
)

// Entry is one notification in an inbox.
type Entry struct {
	OrderID      string       `json:"order_id"`
	RestaurantID string       `json:"restaurant_id"`
	Status       order.Status `json:"status"`
	Message      string       `json:"message"`
	At           time.Time    `json:"at"`
}

// Inbox is a user's latest notifications, newest first.
type Inbox struct {
	UserID        string  `json:"user_id"`
	Notifications []Entry `json:"notifications"`
	// Applied is the highest Seq applied per lifecycle partition.
	Applied exactly.Applied `json:"applied"`

	// enc caches the JSON of the entries Add has seen, by position, so
	// that encoding a full inbox copies 49 encoded entries and encodes one.
	// Each holds the entry it encodes, and AppendJSON uses it only while
	// that is the entry at its position: changing Notifications any other
	// way than by Add is safe, only slower.
	enc []encoded
}

type encoded struct {
	entry Entry
	json  string
}

// InboxCodec encodes *Inbox.
type InboxCodec = jsoncodec.Codec[Inbox]

// Define returns the inbox group graph. Its table is cached
// (processors/cache).
func Define() runner.Graph {
	k := keeper{cache.New[Inbox](cache.Interval(FlushInterval), cache.KeepClean(keepClean))}
	return runner.Graph{GroupGraph: goka.DefineGroup(Group,
		goka.Input(streams.Notifications, new(streams.NotificationCodec), k.keep),
		goka.Persist(new(InboxCodec)),
	), Cache: k.table}
}

// keeper puts the notifications into the inboxes.
type keeper struct{ table *cache.Table[Inbox] }

func (k keeper) keep(ctx goka.Context, msg any) {
	n := msg.(*streams.Notification)
	k.table.Update(ctx, func(in *Inbox) *Inbox {
		if in == nil {
			in = &Inbox{UserID: ctx.Key()}
		}
		// A redelivery changes nothing, but the value is written again:
		// the first write may not have landed.
		in.Add(n)
		return in
	})
}

// Add puts n into the inbox unless it was added already, keeping the
// Size newest by time (ties: the later arrival first), and reports whether
// the inbox changed.
func (in *Inbox) Add(n *streams.Notification) bool {
	if in.Applied.Seen(n.Seq) {
		return false
	}
	in.Applied = in.Applied.Mark(n.Seq)
	e := Entry{OrderID: n.OrderID, RestaurantID: n.RestaurantID, Status: n.Status, Message: n.Message, At: n.At}
	i, _ := slices.BinarySearchFunc(in.Notifications, e.At, func(x Entry, t time.Time) int {
		// Newest first; an entry as old as e stays after it.
		if x.At.After(t) {
			return -1
		}
		return 1
	})
	if i >= Size {
		return true
	}
	if len(in.enc) != len(in.Notifications) { // decoded, or changed otherwise
		in.enc = make([]encoded, len(in.Notifications), Size+1)
		for k := range in.Notifications {
			in.enc[k] = encodeEntry(in.Notifications[k])
		}
	}
	in.Notifications = slices.Insert(in.Notifications, i, e)
	in.enc = slices.Insert(in.enc, i, encodeEntry(e))
	if len(in.Notifications) > Size {
		in.Notifications = in.Notifications[:Size]
		in.enc = in.enc[:Size]
	}
	return true
}

// encodeEntry returns e with its JSON, or without if it does not encode.
func encodeEntry(e Entry) encoded {
	data, err := e.appendJSON(nil)
	if err != nil {
		return encoded{}
	}
	return encoded{entry: e, json: string(data)}
}
