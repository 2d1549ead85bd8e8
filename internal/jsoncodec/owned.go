package jsoncodec

import (
	"bytes"
	"sync"
)

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

	mu     sync.Mutex
	values *byBytes[*T]
	keys   map[*T]string // the inverse of values
}

// NewOwned returns an Owned codec remembering up to max encoded bytes
// (DefaultCacheBytes if max is 0).
func NewOwned[T any](max int) *Owned[T] {
	c := &Owned[T]{keys: map[*T]string{}}
	c.values = newByBytes(max, func(v *T) { delete(c.keys, v) })
	return c
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
	if k, ok := c.keys[v]; ok {
		c.values.del(k)
	}
	if !c.values.fits(len(data)) || bytes.Contains(data, replaced) {
		return
	}
	c.keys[v] = c.values.put(data, v)
}

// take removes and returns the value kept for data, nil if none.
func (c *Owned[T]) take(data []byte) *T {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values.get(data)
	if !ok {
		return nil
	}
	c.values.del(c.keys[v])
	return v
}

// Shared is the codec of a view's table whose readers never change the
// values they get: it decodes each stored value once and hands every Get
// of the same bytes the same value.
type Shared[T any] struct {
	Codec[T]

	mu     sync.Mutex
	values *byBytes[*T]
}

// NewShared returns a Shared codec remembering up to max encoded bytes
// (DefaultCacheBytes if max is 0).
func NewShared[T any](max int) *Shared[T] {
	return &Shared[T]{values: newByBytes[*T](max, nil)}
}

// Decode returns the value decoded from data, shared by every caller: it
// must not be changed.
func (c *Shared[T]) Decode(data []byte) (any, error) {
	c.mu.Lock()
	v, ok := c.values.get(data)
	c.mu.Unlock()
	if ok {
		return v, nil
	}
	decoded, err := c.Codec.Decode(data)
	if err != nil || !c.values.fits(len(data)) {
		return decoded, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.values.put(data, decoded.(*T))
	return decoded, nil
}
