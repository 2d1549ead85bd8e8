package streams_test

import (
	"testing"

	json "github.com/go-json-experiment/json/v1"
	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/streams"
)

// BenchmarkRecordCodecs: what one record of each stream costs to encode
// and decode, with the hand-written AppendJSON/DecodeJSON ("hand", the
// codec's path) and with Marshal/Unmarshal alone ("marshal", the library
// the codec falls back to). Every order makes about ten of these records.
func BenchmarkRecordCodecs(b *testing.B) {
	o := &order.Order{OrderID: "ord-00012345", RestaurantID: "rest-0042", UserID: "user-000123", TotalCents: 2590, PlacedAt: t0,
		Items: []order.Item{{SKU: "pizza-margherita", Qty: 2, PriceCents: 950}, {SKU: "tiramisu", Qty: 1, PriceCents: 690}}}
	c := change(order.StatusAccepted, 3, "", pos(3, 123456))
	records := []struct {
		name  string
		codec goka.Codec
		value any
		fresh func() any
	}{
		{"request_placed", streams.RequestCodec{}, streams.PlacedRequest(o, pos(2, 99)), func() any { return new(streams.Request) }},
		{"change", streams.ChangeCodec{}, &c, func() any { return new(streams.Change) }},
		{"update_placed", streams.UpdateCodec{}, &streams.Update{Change: change(order.StatusPlaced, 0, "", pos(3, 123455)), Order: o}, func() any { return new(streams.Update) }},
		{"placed", streams.PlacedCodec{}, &streams.Placed{Order: *o, Seq: pos(3, 123455)}, func() any { return new(streams.Placed) }},
		{"notification", streams.NotificationCodec{}, &streams.Notification{UserID: "user-000123", OrderID: "ord-00012345", RestaurantID: "rest-0042",
			Status: order.StatusAccepted, Message: "Trattoria Roma accepted your order ord-00012345 and is preparing it.", At: at(3), Seq: pos(3, 123456)},
			func() any { return new(streams.Notification) }},
		{"delta", streams.DeltaCodec{}, &streams.Delta{Seq: pos(2, 77), Orders: 1, RevenueCents: 2590, Items: 3, PlacedAt: t0,
			Restaurant: &streams.Ranked{RestaurantID: "rest-0042", RevenueCents: 1234500, Orders: 321}}, func() any { return new(streams.Delta) }},
	}
	for _, r := range records {
		b.Run(r.name+"/hand", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := r.codec.Encode(r.value)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := r.codec.Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(r.name+"/marshal", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := json.Marshal(r.value)
				if err != nil {
					b.Fatal(err)
				}
				if err := json.Unmarshal(data, r.fresh()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
