package jsoncodec

// DefaultCacheBytes bounds the encoded bytes an Owned or Shared codec
// remembers.
const DefaultCacheBytes = 4 << 20

// byBytes maps encoded values to what they decode to, holding at most max
// bytes of keys: it drops random entries to make room. It is not safe for
// concurrent use.
type byBytes[V any] struct {
	max, size int
	m         map[string]V
	// dropped, if set, is called with every value that leaves the map.
	dropped func(V)
}

// newByBytes returns an empty map of at most max bytes of keys
// (DefaultCacheBytes if max is 0).
func newByBytes[V any](max int, dropped func(V)) *byBytes[V] {
	if max <= 0 {
		max = DefaultCacheBytes
	}
	return &byBytes[V]{max: max, m: map[string]V{}, dropped: dropped}
}

// fits reports whether a key of n bytes may be put.
func (b *byBytes[V]) fits(n int) bool { return n <= b.max/4 }

// get returns the value for data.
func (b *byBytes[V]) get(data []byte) (V, bool) {
	v, ok := b.m[string(data)]
	return v, ok
}

// put maps data to v, replacing what data mapped to, and returns the key
// it stored. data must fit.
func (b *byBytes[V]) put(data []byte, v V) string {
	b.del(string(data))
	for k := range b.m { // random entries, while full
		if b.size+len(data) <= b.max {
			break
		}
		b.del(k)
	}
	k := string(data)
	b.m[k] = v
	b.size += len(k)
	return k
}

// del removes k, if present.
func (b *byBytes[V]) del(k string) {
	v, ok := b.m[k]
	if !ok {
		return
	}
	delete(b.m, k)
	b.size -= len(k)
	if b.dropped != nil {
		b.dropped(v)
	}
}
