package jsoncodec

import (
	"bytes"
	"sync"
)

// DefaultOwnedBytes bounds the encoded bytes an Owned codec remembers.
const DefaultOwnedBytes = 4 << 20

// Owned is the codec of a processor's own table. goka decodes a key's
// stored value for every message and encodes the updated value right
// after; Owned remembers each value it encoded, by its bytes, and when
// asked to decode the same bytes hands that value back instead of
// decoding them, once: the next decode of those bytes decodes.
//
// The value a callback passes to SetValue becomes the codec's: the callback
// must not read or change it afterwards (a later message, of any key whose
// stored bytes are the same, may be handed it). Values whose bytes would
// not decode to an equal value (strings that are not UTF-8) are not kept.
type Owned[T any] struct {
	Codec[T]
	max int

	mu     sync.Mutex
	values map[string]*T // by the bytes they encoded to
	keys   map[*T]string // the inverse of values
	size   int           // total length of the keys of values
}

// NewOwned returns an Owned codec remembering up to max encoded bytes
// (DefaultOwnedBytes if max is 0).
func NewOwned[T any](max int) *Owned[T] {
	if max <= 0 {
		max = DefaultOwnedBytes
	}
	return &Owned[T]{max: max, values: map[string]*T{}, keys: map[*T]string{}}
}

// Encode marshals a T or *T and keeps a *T for the next Decode of its bytes.
func (c *Owned[T]) Encode(value any) ([]byte, error) {
	data, err := c.Codec.Encode(value)
	if v, ok := value.(*T); ok && err == nil {
		c.keep(data, v)
	}
	return data, err
}

// Decode hands back the value kept for data, or unmarshals data.
func (c *Owned[T]) Decode(data []byte) (any, error) {
	if v := c.take(data); v != nil {
		return v, nil
	}
	return c.Codec.Decode(data)
}

// replaced is what the encoder writes for bytes that are not UTF-8 (and
// for U+FFFD itself): a value holding such bytes would not equal its
// decoding.
var replaced = []byte("\uFFFD")

// keep remembers v by data, forgetting what v was kept by before.
func (c *Owned[T]) keep(data []byte, v *T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget(v)
	if len(data) > c.max/4 || bytes.Contains(data, replaced) {
		return
	}
	if old, ok := c.values[string(data)]; ok {
		c.forget(old)
	}
	for k, old := range c.values { // random entries, while full
		if c.size+len(data) <= c.max {
			break
		}
		c.drop(k, old)
	}
	k := string(data)
	c.values[k], c.keys[v] = v, k
	c.size += len(k)
}

// take removes and returns the value kept for data, nil if none.
func (c *Owned[T]) take(data []byte) *T {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[string(data)]
	if !ok {
		return nil
	}
	c.forget(v)
	return v
}

// forget drops v if it is kept.
func (c *Owned[T]) forget(v *T) {
	if k, ok := c.keys[v]; ok {
		c.drop(k, v)
	}
}

// drop removes the entry k → v.
func (c *Owned[T]) drop(k string, v *T) {
	delete(c.values, k)
	delete(c.keys, v)
	c.size -= len(k)
}
