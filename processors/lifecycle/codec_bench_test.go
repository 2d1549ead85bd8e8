package lifecycle_test

import (
	"strconv"
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// BenchmarkTableCodec is what the lifecycle's table codec costs per
// request: encode the updated order, and decode it when the order's next
// request comes, after lag other orders' updates. Owned hands the encoded
// value back when it still remembers it; the plain codec decodes.
func BenchmarkTableCodec(b *testing.B) {
	for _, lag := range []int{0, 20000} {
		for _, c := range []struct {
			name  string
			codec func() goka.Codec
		}{
			{"plain", func() goka.Codec { return new(lifecycle.OrderCodec) }},
			{"owned", func() goka.Codec { return jsoncodec.NewOwned[lifecycle.Order](0) }},
		} {
			b.Run(c.name+"/lag="+strconv.Itoa(lag), func(b *testing.B) {
				codec := c.codec()
				ring := make([][]byte, lag+1)
				i := 0
				for b.Loop() {
					o := benchOrder()
					o.OrderID = "ord-" + strconv.Itoa(i)
					data, err := codec.Encode(o)
					if err != nil {
						b.Fatal(err)
					}
					ring[i%len(ring)] = data
					i++
					if old := ring[i%len(ring)]; old != nil {
						if _, err := codec.Decode(old); err != nil {
							b.Fatal(err)
						}
					}
				}
			})
		}
	}
}
