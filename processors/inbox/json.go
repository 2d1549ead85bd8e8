package inbox

import (
	"strconv"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/processors/exactly"
)

// AppendJSON appends the JSON encoding of in to b: the bytes jsoncodec's
// Marshal writes (the golden file and TestAppendJSONMatchesMarshal hold
// it to them), without reflection. The inbox encodes its whole value for
// every notification, and reflection was most of that cost. Strings and
// times outside the common shape (plain printable ASCII; UTC times of
// years 0–9999) are encoded by Marshal.
func (in *Inbox) AppendJSON(b []byte) ([]byte, error) {
	if b == nil {
		n := 64 + 16*len(in.Applied)
		for i := range in.Notifications {
			e := &in.Notifications[i]
			n += 120 + len(e.OrderID) + len(e.RestaurantID) + len(e.Status) + len(e.Message)
		}
		b = make([]byte, 0, n)
	}
	var err error
	b = append(b, `{"user_id":`...)
	if b, err = appendString(b, in.UserID); err != nil {
		return nil, err
	}
	b = append(b, `,"notifications":`...)
	if in.Notifications == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range in.Notifications {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = in.Notifications[i].appendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	b = append(b, `,"applied":`...)
	b = appendApplied(b, in.Applied)
	return append(b, '}'), nil
}

func (e *Entry) appendJSON(b []byte) ([]byte, error) {
	var err error
	b = append(b, `{"order_id":`...)
	if b, err = appendString(b, e.OrderID); err != nil {
		return nil, err
	}
	b = append(b, `,"restaurant_id":`...)
	if b, err = appendString(b, e.RestaurantID); err != nil {
		return nil, err
	}
	b = append(b, `,"status":`...)
	if b, err = appendString(b, string(e.Status)); err != nil {
		return nil, err
	}
	b = append(b, `,"message":`...)
	if b, err = appendString(b, e.Message); err != nil {
		return nil, err
	}
	b = append(b, `,"at":`...)
	if b, err = appendTime(b, e.At); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

// appendString appends s quoted; s with bytes that Marshal escapes (or
// replaces) is left to Marshal.
func appendString(b []byte, s string) ([]byte, error) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return appendMarshal(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// appendTime appends t as time.Time's MarshalJSON does (RFC 3339 with
// nanoseconds, trailing zeros dropped); other than UTC times of years
// 0–9999 are left to Marshal.
func appendTime(b []byte, t time.Time) ([]byte, error) {
	if y := t.Year(); t.Location() != time.UTC || y < 0 || y > 9999 {
		return appendMarshal(b, t)
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), nil
}

func appendMarshal(b []byte, v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, data...), nil
}

// appendApplied appends a as Marshal does: an object with the partitions
// as keys, sorted as strings.
func appendApplied(b []byte, a exactly.Applied) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	var buf [8]int32
	keys := buf[:0]
	for p := range a {
		keys = append(keys, p)
	}
	// Insertion sort by the keys' decimal strings: few partitions.
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keyLess(keys[j], keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	b = append(b, '{')
	for i, p := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, int64(p), 10)
		b = append(b, `":`...)
		b = strconv.AppendInt(b, a[p], 10)
	}
	return append(b, '}')
}

func keyLess(x, y int32) bool {
	var bx, by [12]byte
	return string(strconv.AppendInt(bx[:0], int64(x), 10)) < string(strconv.AppendInt(by[:0], int64(y), 10))
}
