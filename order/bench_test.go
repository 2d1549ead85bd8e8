package order_test

import (
	"encoding/json"
	"testing"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
)

func BenchmarkParse(b *testing.B) {
	o := testutil.ValidOrder()
	data, err := json.Marshal(o)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := order.Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDigest is the lifecycle's added cost per new order: the content
// digest its table entry keeps to tell a conflict from a retry.
func BenchmarkDigest(b *testing.B) {
	o := testutil.ValidOrder()
	b.ReportAllocs()
	for b.Loop() {
		_ = o.Digest()
	}
}
