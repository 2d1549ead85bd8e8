package streams_test

import (
	"math/rand/v2"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestNotificationAppendJSONMatchesMarshal: the hand-written encoding is Marshal's,
// byte for byte, for random notifications with odd strings and times.
func TestNotificationAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "plain", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028", "\x7f"}
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(7, 8))
	str := func() string { return odd[r.IntN(len(odd))] }
	encoded := 0
	for range 500 {
		n := &streams.Notification{UserID: str(), OrderID: str(), RestaurantID: str(), Status: order.Status(str()), Message: str(),
			At: times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]), Seq: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: r.Int64N(1 << 50)}}
		if testutil.SameAsMarshal(t, n) {
			encoded++
		}
	}
	if encoded < 100 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

func BenchmarkCodecEncodeNotification(b *testing.B) {
	n := &streams.Notification{UserID: "user-000123", OrderID: "ord-00012345", RestaurantID: "rest-0042", Status: order.StatusAccepted,
		Message: "Trattoria Roma accepted your order ord-00012345 and is preparing it.", At: t0.Add(123456789), Seq: exactly.Pos{Partition: 3, Offset: 123456}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (streams.NotificationCodec{}).Encode(n); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastDecode: the codec's fast path decodes what Unmarshal decodes.
func TestNotificationFastDecode(t *testing.T) {
	strs := []string{"", "plain", "u-1", "Your order o-1 at Roma was placed.", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(9, 10))
	str := func() string { return strs[r.IntN(3)+r.IntN(2)*r.IntN(len(strs)-3)] }
	var values []*streams.Notification
	for range 300 {
		values = append(values, &streams.Notification{UserID: str(), OrderID: str(), RestaurantID: str(), Status: order.Status(str()),
			Message: str(), At: times[r.IntN(len(times))], Seq: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: r.Int64N(1<<62) >> r.IntN(62)}})
	}
	testutil.CheckFastDecode(t, values, 60)
}

func BenchmarkCodecDecodeNotification(b *testing.B) {
	n := &streams.Notification{UserID: "user-000123", OrderID: "ord-00012345", RestaurantID: "rest-0042", Status: order.StatusAccepted,
		Message: "Trattoria Roma accepted your order ord-00012345 and is preparing it.", At: t0.Add(123456789), Seq: exactly.Pos{Partition: 3, Offset: 123456}}
	data, _ := json.Marshal(n)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (streams.NotificationCodec{}).Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalNotification(b *testing.B) {
	n := &streams.Notification{UserID: "user-000123", OrderID: "ord-00012345", RestaurantID: "rest-0042", Status: order.StatusAccepted,
		Message: "Trattoria Roma accepted your order ord-00012345 and is preparing it.", At: t0.Add(123456789), Seq: exactly.Pos{Partition: 3, Offset: 123456}}
	data, _ := json.Marshal(n)
	b.ReportAllocs()
	for b.Loop() {
		if err := json.Unmarshal(data, new(streams.Notification)); err != nil {
			b.Fatal(err)
		}
	}
}
