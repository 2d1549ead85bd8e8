// Package jsoncodec is the one goka codec the project uses: JSON for any type,
// decoding always to a pointer so callers type-assert exactly one shape.
package jsoncodec

import (
	"fmt"

	// The v1-compatible API of JSON v2: the same values as
	// encoding/json, in about half the time and allocations, and the same
	// bytes but for strings that are not UTF-8 (possible only in table
	// values holding a Kafka key): it writes their bad bytes as U+FFFD,
	// encoding/json as \ufffd, which decode alike.
	json "github.com/go-json-experiment/json/v1"
)

// Codec encodes T (or *T) as JSON and decodes to *T.
type Codec[T any] struct{}

// Appender is implemented by a *T that appends its own JSON encoding to b,
// the same bytes as Marshal would write, more cheaply; Codec uses it to
// encode. Golden files and tests must hold it to Marshal's bytes.
type Appender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// Encode marshals a T or *T.
func (Codec[T]) Encode(value any) ([]byte, error) {
	switch v := value.(type) {
	case *T:
		if v == nil {
			return nil, fmt.Errorf("encode %T: nil pointer", value)
		}
		if a, ok := any(v).(Appender); ok {
			return a.AppendJSON(nil)
		}
		return json.Marshal(v)
	case T:
		if a, ok := any(&v).(Appender); ok {
			return a.AppendJSON(nil)
		}
		return json.Marshal(v)
	default:
		var zero T
		return nil, fmt.Errorf("encode: got %T, want %T", value, zero)
	}
}

// Decode unmarshals data into a new *T.
func (Codec[T]) Decode(data []byte) (any, error) {
	v := new(T)
	if d, ok := any(v).(FastDecoder); ok {
		if d.DecodeJSON(data) {
			return v, nil
		}
		v = new(T) // DecodeJSON may have filled part of it
	}
	if err := json.Unmarshal(data, v); err != nil {
		return nil, fmt.Errorf("decode %T: %w", *v, err)
	}
	return v, nil
}
