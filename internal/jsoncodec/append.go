package jsoncodec

import (
	"slices"
	"strconv"
	"time"

	json "github.com/go-json-experiment/json/v1"
)

// Helpers for AppendJSON methods: each appends what Marshal writes for its
// value, doing the common shapes by hand and leaving the rest to Marshal.

// plain marks the bytes Marshal copies into a string as they are.
var plain = func() (p [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		p[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return p
}()

// Plain reports whether Marshal writes s as it is, between quotes.
func Plain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !plain[s[i]] {
			return false
		}
	}
	return true
}

// AppendString appends s quoted; s with bytes that Marshal escapes (or
// replaces) is left to Marshal.
func AppendString(b []byte, s string) ([]byte, error) {
	if !Plain(s) {
		return AppendMarshal(b, s)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// AppendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped); times other than UTC ones of years
// 0–9999 are left to Marshal.
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); t.Location() != time.UTC || y < 0 || y > 9999 {
		return AppendMarshal(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

// AppendInt appends n.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// AppendMarshal appends Marshal's encoding of v.
func AppendMarshal(b []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// AppendIntMap appends m as Marshal does: null if nil, else an object with
// the keys sorted. A map with a key that is not Plain is left to Marshal.
func AppendIntMap(b []byte, m map[string]int64) ([]byte, error) {
	if m == nil {
		return append(b, "null"...), nil
	}
	var buf [32]string
	keys := buf[:0]
	for k := range m {
		if !Plain(k) {
			return AppendMarshal(b, m)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, m[k], 10)
	}
	return append(b, '}'), nil
}
