package lifecycle_test

import (
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// TestAppendJSONMatchesMarshal: the hand-written encoding of the table's
// orders is Marshal's, byte for byte, for random values with odd strings
// and times.
func TestAppendJSONMatchesMarshal(t *testing.T) {
	odd := []string{"", "", "plain", `quote " and \ backslash`, "<html> & co", "tab\t\n\x00", "naïve ☕", "bad \xff", "\u2028", "\x7f"}
	zones := []*time.Location{time.UTC, time.UTC, time.FixedZone("x", 3600), time.Local}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := rand.New(rand.NewPCG(5, 6))
	str := func() string { return odd[r.IntN(len(odd))] }
	tm := func() time.Time { return times[r.IntN(len(times))].In(zones[r.IntN(len(zones))]) }
	num := func() int64 { return r.Int64N(3) * r.Int64N(1<<40) * (1 - 2*r.Int64N(2)) }
	seq := func() exactly.Pos { return exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()} }
	encoded := 0
	for i := range 600 {
		v := &lifecycle.Order{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(), Status: order.Status(str())}
		if i%2 == 0 {
			v.History = []lifecycle.Entry{}
			v.Applied = exactly.Applied{}
			for range r.IntN(5) {
				v.History = append(v.History, lifecycle.Entry{Status: order.Status(str()), At: tm(), Reason: str(), Seq: seq()})
				v.Applied[r.Int32N(12)] = num()
			}
		}
		if testutil.SameAsMarshal(t, v) {
			encoded++
		}
	}
	if encoded < 300 {
		t.Errorf("only %d values encoded without an error", encoded)
	}
}

func benchOrder() *lifecycle.Order {
	o := &lifecycle.Order{OrderID: "ord-00012345", RestaurantID: "rest-0042", UserID: "user-000123", TotalCents: 2590,
		Status: order.StatusDelivered, Applied: exactly.Applied{3: 123456}}
	for i, s := range []order.Status{order.StatusPlaced, order.StatusAccepted, order.StatusReady, order.StatusDelivered} {
		o.History = append(o.History, lifecycle.Entry{Status: s, At: t0.Add(time.Duration(i) * 1234567891), Seq: exactly.Pos{Partition: 3, Offset: int64(123450 + i)}})
	}
	return o
}

func BenchmarkCodecEncodeOrder(b *testing.B) {
	o := benchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (lifecycle.OrderCodec{}).Encode(o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalOrder(b *testing.B) {
	o := benchOrder()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestFastDecodeApplied: partitions written other than as Marshal writes
// them, or twice, are left to Unmarshal.
func TestFastDecodeApplied(t *testing.T) {
	for _, applied := range []string{`null`, `{}`, `{"0":1}`, `{"-1":2,"10":3,"2":4}`, `{"01":5}`, `{"+1":5}`, `{"1":5,"1":6}`,
		`{"2147483648":1}`, `{"-0":1}`, `{"1":5,}`, `{"1" :5}`, `{"a":5}`} {
		data := []byte(`{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1","total_cents":1,"status":"placed","history":[],"applied":` + applied + `}`)
		var want lifecycle.Order
		wantErr := json.Unmarshal(data, &want)
		got, err := lifecycle.OrderCodec{}.Decode(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%s: error %v, Unmarshal error %v", applied, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, &want) {
			t.Errorf("%s: decoded %+v, Unmarshal %+v", applied, got, &want)
		}
	}
}

// TestFastDecode: the table codec's fast path decodes what Unmarshal
// decodes.
func TestFastDecode(t *testing.T) {
	strs := []string{"", "plain", "o-1", "restaurant at capacity: 10 open orders", "<b> & co", `q"uote`, "naïve", "bad \xff"}
	times := []time.Time{{}, t0, t0.Add(123456789), t0.Add(time.Millisecond), t0.In(time.FixedZone("x", 3600))}
	r := rand.New(rand.NewPCG(13, 14))
	str := func() string { return strs[r.IntN(4)+r.IntN(2)*r.IntN(len(strs)-4)] }
	num := func() int64 { return (r.Int64N(1<<62) >> r.IntN(62)) * (1 - 2*r.Int64N(2)) * r.Int64N(2) }
	tm := func() time.Time { return times[r.IntN(len(times))] }
	var orders []*lifecycle.Order
	for i := range 300 {
		o := &lifecycle.Order{OrderID: str(), RestaurantID: str(), UserID: str(), TotalCents: num(), Status: order.Status(str())}
		if i%4 != 0 {
			o.History = []lifecycle.Entry{}
			o.Applied = exactly.Applied{}
			for range r.IntN(5) {
				o.History = append(o.History, lifecycle.Entry{Status: order.Status(str()), At: tm(), Reason: str(),
					Seq: exactly.Pos{Partition: r.Int32N(20) - 1, Offset: num()}})
				o.Applied[r.Int32N(14)-2] = num()
			}
		}
		orders = append(orders, o)
	}
	testutil.CheckFastDecode(t, orders, 60)
}

// TestEveryField: the hand-written codec of the table's order covers every field
// of its struct.
func TestEveryField(t *testing.T) {
	testutil.CheckEveryField[lifecycle.Order](t)
}
