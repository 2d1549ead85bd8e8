package registry_test

import (
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/registry"
)

func TestGolden(t *testing.T) {
	o := newOrder("o-1", "r-1", "u-1")
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"entry", registry.EntryCodec{}, &registry.Entry{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2800,
			PlacedAt: o.PlacedAt, Source: pos(4, 17), At: pos(1, 9),
		}},
		{"placed", registry.PlacedCodec{}, &registry.Placed{Order: o, Seq: pos(1, 9)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testutil.GoldenCodec(t, tc.name, tc.codec, tc.value)
		})
	}
}
