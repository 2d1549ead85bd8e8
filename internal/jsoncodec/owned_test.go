package jsoncodec_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

var _ goka.Codec = jsoncodec.NewOwned[point](0)

// encode encodes v with c, failing t on an error.
func encode(t testing.TB, c goka.Codec, v any) []byte {
	t.Helper()
	data, err := c.Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// decode decodes data with c, failing t on an error.
func decode(t testing.TB, c goka.Codec, data []byte) *point {
	t.Helper()
	v, err := c.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return v.(*point)
}

func TestOwnedHandsBackOnce(t *testing.T) {
	c := jsoncodec.NewOwned[point](0)
	v := &point{X: 1}
	data := encode(t, c, v)
	if got := decode(t, c, data); got != v {
		t.Fatalf("first Decode = %p, want the encoded value %p", got, v)
	}
	again := decode(t, c, data)
	if again == v {
		t.Fatal("second Decode handed the value back again")
	}
	if !reflect.DeepEqual(again, v) {
		t.Errorf("second Decode = %+v, want %+v", again, v)
	}
}

func TestOwnedForgetsChangedValue(t *testing.T) {
	c := jsoncodec.NewOwned[point](0)
	v := &point{X: 1}
	first := encode(t, c, v)
	v.X = 2
	second := encode(t, c, v)
	if got := decode(t, c, first); got == v || got.X != 1 {
		t.Errorf("Decode(first bytes) = %+v (%p), want a fresh X 1", got, got)
	}
	if got := decode(t, c, second); got != v {
		t.Errorf("Decode(second bytes) = %p, want %p", got, v)
	}
}

func TestOwnedSkipsValuesOtherThanPointers(t *testing.T) {
	c := jsoncodec.NewOwned[point](0)
	data := encode(t, c, point{X: 3})
	if got := decode(t, c, data); got.X != 3 {
		t.Errorf("Decode = %+v, want X 3", got)
	}
}

func TestOwnedSkipsInvalidUTF8(t *testing.T) {
	c := jsoncodec.NewOwned[record](0)
	v := &record{ID: "bad\xff"}
	data := encode(t, c, v)
	got, err := c.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.(*record) == v || got.(*record).ID != "bad\uFFFD" {
		t.Errorf("Decode = %+v, want a fresh decoding", got)
	}
}

func TestOwnedBounded(t *testing.T) {
	c := jsoncodec.NewOwned[point](1000)
	var datas [][]byte
	var values []*point
	for i := range 100 {
		v := &point{X: i}
		datas, values = append(datas, encode(t, c, v)), append(values, v)
	}
	hits := 0
	for i, data := range datas {
		got := decode(t, c, data)
		if got == values[i] {
			hits++
		}
		if got.X != i {
			t.Errorf("Decode(%s).X = %d, want %d", data, got.X, i)
		}
	}
	if hits == 0 || hits > 1000/len(datas[0]) {
		t.Errorf("%d hits of 100 values of %d bytes, want 1 to %d", hits, len(datas[0]), 1000/len(datas[0]))
	}
}

// TestOwnedConcurrent runs partitions side by side, several keys each with
// the same bytes at times, as goka does (run it with -race).
func TestOwnedConcurrent(t *testing.T) {
	c := jsoncodec.NewOwned[point](0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			stored := map[int][]byte{}
			for i := range 2000 {
				key := i % 5
				v := new(point)
				if data, ok := stored[key]; ok {
					v = decode(t, c, data)
				}
				if v.X != i/5*(g%2) {
					panic(fmt.Sprintf("key %d: X = %d, want %d", key, v.X, i/5*(g%2)))
				}
				v.X += g % 2
				stored[key] = encode(t, c, v)
			}
		})
	}
	wg.Wait()
}

func BenchmarkOwnedHit(b *testing.B) {
	c := jsoncodec.NewOwned[record](0)
	v := &record{ID: "r", Applied: map[int32]int64{0: 1, 1: 2}, Points: make([]point, 20)}
	b.ReportAllocs()
	for b.Loop() {
		data := encode(b, c, v)
		got, err := c.Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		v = got.(*record)
	}
}

func TestSharedDecodesOnce(t *testing.T) {
	c := jsoncodec.NewShared[point](0)
	data := []byte(`{"x":1}`)
	a, b := decode(t, c, data), decode(t, c, data)
	if a != b {
		t.Errorf("Decode twice = %p and %p, want the same value", a, b)
	}
	if other := decode(t, c, []byte(`{"x":2}`)); other == a || other.X != 2 {
		t.Errorf("Decode(other bytes) = %+v (%p), want a new X 2", other, other)
	}
	if _, err := c.Decode([]byte(`{`)); err == nil {
		t.Error("Decode(bad json) succeeded")
	}
}

func TestSharedBounded(t *testing.T) {
	c := jsoncodec.NewShared[point](100)
	for i := range 50 {
		data := fmt.Appendf(nil, `{"x":%d}`, i)
		if got := decode(t, c, data); got.X != i {
			t.Fatalf("Decode(%s).X = %d", data, got.X)
		}
	}
}

func BenchmarkSharedHit(b *testing.B) {
	c := jsoncodec.NewShared[record](0)
	data, err := jsoncodec.Codec[record]{}.Encode(&record{ID: "r", Applied: map[int32]int64{0: 1, 1: 2}, Points: make([]point, 20)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
