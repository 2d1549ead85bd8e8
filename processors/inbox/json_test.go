package inbox_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestAppendJSONMatchesMarshal: the hand-written encoding is Marshal's,
// byte for byte, odd strings and times included.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "<html> & co", "tab\there\nnewline\x00", "naïve café ☕",
		"bad utf-8 \xff\xfe", "\u2028\u2029", "\x7f", "\uFFFD"}
	zones := []*time.Location{time.UTC, time.FixedZone("x", 3600), time.FixedZone("y", -5*3600-30*60), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(1, 2))
	pick := func() string { return odd[r.IntN(len(odd))] }
	encoded := 0
	for i := range 500 {
		in := &inbox.Inbox{UserID: pick()}
		if i%7 != 0 {
			in.Notifications = []inbox.Entry{}
		}
		for range r.IntN(5) {
			at := times[r.IntN(len(times))].In(zones[r.IntN(len(zones))])
			in.Notifications = append(in.Notifications, inbox.Entry{OrderID: pick(), RestaurantID: pick(),
				Status: order.Status(pick()), Message: pick(), At: at})
		}
		if i%5 != 0 {
			in.Applied = exactly.Applied{}
			for range r.IntN(14) {
				in.Applied[r.Int32N(24)-2] = r.Int64N(1 << 40)
			}
		}
		if testutil.SameAsMarshal(t, in) {
			encoded++
		}
	}
	if encoded < 50 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

// full is a full inbox, as most updates of a Zipf-skewed user see.
func full() *inbox.Inbox {
	in := &inbox.Inbox{UserID: "user-000123"}
	for i := range inbox.Size + 1 {
		at := t0.Add(time.Duration(i)*time.Second + time.Duration(i)*1234567)
		in.Add(&streams.Notification{UserID: in.UserID, OrderID: fmt.Sprintf("ord-%08d", i), RestaurantID: "rest-0042",
			Status: order.StatusAccepted, Message: fmt.Sprintf("Trattoria Roma accepted your order ord-%08d and is preparing it.", i),
			At: at, Seq: exactly.Pos{Partition: int32(i % 4), Offset: int64(i)}})
	}
	return in
}

func BenchmarkCodecEncodeInbox(b *testing.B) {
	in := full()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (inbox.InboxCodec{}).Encode(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalInbox(b *testing.B) {
	in := full()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodeInbox(b *testing.B) {
	data, _ := (inbox.InboxCodec{}).Encode(full())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (inbox.InboxCodec{}).Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAppendJSONCached: an inbox filled by Add encodes as Marshal does,
// also after its entries were changed or replaced behind Add's back.
func TestAppendJSONCached(t *testing.T) {
	check := func(in *inbox.Inbox, what string) {
		t.Helper()
		want, _ := json.Marshal(in)
		got, err := in.AppendJSON(nil)
		if err != nil || string(got) != string(want) {
			t.Fatalf("%s: AppendJSON = %s, %v; want %s", what, got, err, want)
		}
	}
	in := full()
	check(in, "full")
	in.Notifications[3].Message = "changed"
	in.Notifications[7].At = in.Notifications[7].At.Add(time.Nanosecond)
	check(in, "entries changed")
	in.Add(&streams.Notification{OrderID: "late", Message: "late", At: t0.Add(time.Hour), Seq: exactly.Pos{Partition: 9}})
	check(in, "changed, then added")
	in.Notifications = in.Notifications[:10]
	check(in, "truncated")
	in.Add(&streams.Notification{OrderID: "later", Message: "later", At: t0.Add(2 * time.Hour), Seq: exactly.Pos{Partition: 9, Offset: 1}})
	check(in, "truncated, then added")
	in.Notifications = nil
	check(in, "emptied")

	// A decoded inbox has no cache until Add.
	data, _ := (inbox.InboxCodec{}).Encode(full())
	v, err := (inbox.InboxCodec{}).Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	dec := v.(*inbox.Inbox)
	check(dec, "decoded")
	dec.Add(&streams.Notification{OrderID: "new", Message: "new", At: t0.Add(time.Hour), Seq: exactly.Pos{Partition: 9}})
	check(dec, "decoded, then added")
}

// BenchmarkKeepFull is the inbox's work per notification to a full inbox
// handed back by the Owned codec: Add, then encode.
func BenchmarkKeepFull(b *testing.B) {
	in := full()
	n := &streams.Notification{UserID: in.UserID, OrderID: "ord-99999999", RestaurantID: "rest-0042", Status: order.StatusReady,
		Message: "Your order ord-99999999 is ready at Trattoria Roma; a courier is on the way.", At: t0.Add(time.Hour), Seq: exactly.Pos{Partition: 7}}
	b.ReportAllocs()
	for b.Loop() {
		n.Seq.Offset++
		n.At = n.At.Add(time.Second)
		in.Add(n)
		if _, err := (inbox.InboxCodec{}).Encode(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCodecEncodeInboxDecoded encodes a full inbox as decoded, whose
// entries Add has not seen.
func BenchmarkCodecEncodeInboxDecoded(b *testing.B) {
	data, _ := (inbox.InboxCodec{}).Encode(full())
	v, _ := (inbox.InboxCodec{}).Decode(data)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (inbox.InboxCodec{}).Encode(v); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEveryField: the hand-written codec of the table's inbox covers every field
// of its struct.
func TestEveryField(t *testing.T) {
	testutil.CheckEveryField[inbox.Inbox](t)
}
