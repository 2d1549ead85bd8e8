package registry_test

import (
	"testing"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/registry"
)

func benchPlaced() *registry.Placed {
	o := newOrder("0b6f1e0c-5c1a-4f4e-9d3e-1f2a3b4c5d6e", "restaurant-0042", "user-001337")
	o.Items = append(o.Items, order.Item{SKU: "tiramisu", Qty: 1, PriceCents: 650})
	o.TotalCents = order.Sum(o.Items)
	return &registry.Placed{Order: o, Seq: pos(3, 1_234_567)}
}

func BenchmarkCodecEncodePlaced(b *testing.B) {
	p := benchPlaced()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (registry.PlacedCodec{}).Encode(p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCodecDecodePlaced(b *testing.B) {
	data, err := registry.PlacedCodec{}.Encode(benchPlaced())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := (registry.PlacedCodec{}).Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
