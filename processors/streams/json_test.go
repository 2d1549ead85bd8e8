package streams_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

var _ jsoncodec.Appender = (*streams.Update)(nil)

// TestAppendJSONMatchesMarshal: the hand-written encodings of the
// lifecycle's records are Marshal's, byte for byte, for random values with
// odd strings and times.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "", "plain", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028", "\x7f"}
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(5, 6))
	str := func() string { return odd[r.IntN(len(odd))] }
	tm := func() time.Time { return times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]) }
	num := func() int64 { return r.Int64N(3) * r.Int64N(1<<40) * (1 - 2*r.Int64N(2)) }
	seq := func() exactly.Pos { return exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()} }
	change := func() streams.Change {
		return streams.Change{OrderID: str(), RestaurantID: str(), UserID: str(), Status: order.Status(str()), At: tm(), Reason: str(), Seq: seq()}
	}
	encoded := 0
	for i := range 1500 {
		var v interface {
			AppendJSON([]byte) ([]byte, error)
		}
		switch i % 3 {
		case 0:
			c := change()
			v = &c
		case 1:
			u := &streams.Update{Change: change(), From: order.Status(str()), Dropped: r.IntN(2) == 0}
			if r.IntN(2) == 0 {
				u.PrepMs, u.DeliveryMs = num(), num()
			}
			v = u
		case 2:
			v = &streams.Request{OrderID: str(), Status: order.Status(str()), At: tm(), Reason: str(),
				RestaurantID: str(), UserID: str(), TotalCents: num()}
		}
		if testutil.SameAsMarshal(t, v) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

// TestFastDecode: the codecs' fast paths decode what Unmarshal decodes.
func TestFastDecode(t *testing.T) {
	strs := []string{"", "plain", "o-1", "restaurant at capacity: 10 open orders", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(13, 14))
	str := func() string { return strs[r.IntN(4)+r.IntN(2)*r.IntN(len(strs)-4)] }
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	tm := func() time.Time { return times[r.IntN(len(times))] }
	change := func() streams.Change {
		return streams.Change{OrderID: str(), RestaurantID: str(), UserID: str(), Status: order.Status(str()), At: tm(), Reason: str(),
			Seq: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()}}
	}
	var changes []*streams.Change
	var updates []*streams.Update
	var requests []*streams.Request
	for range 300 {
		c := change()
		changes = append(changes, &c)
		updates = append(updates, &streams.Update{Change: change(), From: order.Status(str()), PrepMs: num(), DeliveryMs: num(), Dropped: r.IntN(2) == 0})
		requests = append(requests, &streams.Request{OrderID: str(), Status: order.Status(str()), At: tm(), Reason: str(),
			RestaurantID: str(), UserID: str(), TotalCents: num()})
	}
	t.Run("change", func(t *testing.T) { testutil.CheckFastDecode(t, changes, 60) })
	t.Run("update", func(t *testing.T) { testutil.CheckFastDecode(t, updates, 60) })
	t.Run("request", func(t *testing.T) { testutil.CheckFastDecode(t, requests, 60) })
}

// TestEveryField: each record's hand-written codec covers every field of
// its struct (a field added to a record and not to json.go fails here).
func TestEveryField(t *testing.T) {
	t.Run("request", testutil.CheckEveryField[streams.Request])
	t.Run("change", testutil.CheckEveryField[streams.Change])
	t.Run("update", testutil.CheckEveryField[streams.Update])
	t.Run("placed", testutil.CheckEveryField[streams.Placed])
	t.Run("notification", testutil.CheckEveryField[streams.Notification])
	t.Run("delta", testutil.CheckEveryField[streams.Delta])
}
