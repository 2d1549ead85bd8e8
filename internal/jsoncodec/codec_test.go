package jsoncodec_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

type point struct {
	X  int       `json:"x"`
	At time.Time `json:"at"`
}

// The codec must satisfy goka's interface as a value and as a pointer.
var (
	_ goka.Codec = jsoncodec.Codec[point]{}
	_ goka.Codec = new(jsoncodec.Codec[point])
)

func TestEncode(t *testing.T) {
	at := time.Date(2025, 3, 14, 12, 30, 0, 5, time.UTC)
	var nilPoint *point
	tests := []struct {
		name    string
		value   any
		want    string
		wantErr string
	}{
		{"value", point{X: 1, At: at}, `{"x":1,"at":"2025-03-14T12:30:00.000000005Z"}`, ""},
		{"pointer", &point{X: 2, At: at}, `{"x":2,"at":"2025-03-14T12:30:00.000000005Z"}`, ""},
		{"zero value", point{}, `{"x":0,"at":"0001-01-01T00:00:00Z"}`, ""},
		{"nil pointer", nilPoint, "", "encode *jsoncodec_test.point: nil pointer"},
		{"nil", nil, "", "encode: got <nil>, want jsoncodec_test.point"},
		{"wrong type", "x", "", "encode: got string, want jsoncodec_test.point"},
		{"pointer to pointer", &nilPoint, "", "encode: got **jsoncodec_test.point, want jsoncodec_test.point"},
		{"other struct", struct{ X int }{1}, "", "encode: got struct { X int }, want jsoncodec_test.point"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jsoncodec.Codec[point]{}.Encode(tc.value)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Encode() error = %v, want %q", err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("Encode() = %q with an error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Encode() error = %v", err)
			}
			if string(got) != tc.want {
				t.Errorf("Encode() = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEncodeUnencodable(t *testing.T) {
	_, err := jsoncodec.Codec[func()]{}.Encode(func() {})
	var ute *jsonv1.UnsupportedTypeError
	if !errors.As(err, &ute) {
		t.Fatalf("Encode(func) error = %v, want *jsonv1.UnsupportedTypeError", err)
	}
}

func TestDecode(t *testing.T) {
	at := time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name    string
		data    string
		want    *point
		wantErr string
	}{
		{"object", `{"x":3,"at":"2025-03-14T12:30:00Z"}`, &point{X: 3, At: at}, ""},
		{"unknown fields ignored", `{"x":3,"y":4}`, &point{X: 3}, ""},
		{"null gives the zero value", `null`, &point{}, ""},
		{"empty", ``, nil, "decode jsoncodec_test.point: unexpected end of JSON input"},
		{"bad json", `{"x":`, nil, "decode jsoncodec_test.point: unexpected end of JSON input"},
		{"wrong type", `{"x":"three"}`, nil, "decode jsoncodec_test.point: "},
		{"bad time", `{"at":"yesterday"}`, nil, "decode jsoncodec_test.point: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := jsoncodec.Codec[point]{}.Decode([]byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("Decode() error = %v, want prefix %q", err, tc.wantErr)
				}
				if errors.Unwrap(err) == nil {
					t.Errorf("Decode() error %v does not wrap the json error", err)
				}
				if got != nil {
					t.Errorf("Decode() = %v with an error, want nil", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode() error = %v", err)
			}
			p, ok := got.(*point)
			if !ok {
				t.Fatalf("Decode() returned %T, want *point", got)
			}
			if !reflect.DeepEqual(p, tc.want) {
				t.Errorf("Decode() = %+v, want %+v", p, tc.want)
			}
		})
	}
}

func TestDecodeReturnsFreshPointers(t *testing.T) {
	c := jsoncodec.Codec[point]{}
	a, _ := c.Decode([]byte(`{"x":1}`))
	b, _ := c.Decode([]byte(`{"x":1}`))
	if a.(*point) == b.(*point) {
		t.Fatal("Decode returned the same pointer twice")
	}
}

func TestRoundTrip(t *testing.T) {
	c := jsoncodec.Codec[point]{}
	in := point{X: 7, At: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)}
	data, err := c.Encode(&in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(out, &in) {
		t.Errorf("round trip = %+v, want %+v", out, &in)
	}
}

// record has the shapes the project's values use: nested structs, maps
// keyed by integers and strings, slices, times, omitempty and omitzero.
type record struct {
	ID      string           `json:"id"`
	N       int64            `json:"n"`
	At      time.Time        `json:"at"`
	Applied map[int32]int64  `json:"applied"`
	Qty     map[string]int64 `json:"qty"`
	Points  []point          `json:"points,omitempty"`
	Inner   point            `json:"inner,omitzero"`
	Flag    bool             `json:"flag,omitempty"`
}

// TestDecodesAsEncodingJSON holds the codec to encoding/json's reading of
// every value already stored, odd inputs included.
func TestDecodesAsEncodingJSON(t *testing.T) {
	inputs := []string{
		`{"id":"a","n":1,"at":"2025-03-14T12:30:00.5+01:00","applied":{"0":1,"10":2,"2":3},"qty":{"x":1},"points":[{"x":1,"at":"2025-03-14T12:30:00Z"}],"inner":{"x":2},"flag":true}`,
		`{"ID":"case","N":2,"Applied":null,"qty":{},"points":[]}`,
		`{"id":"dup","id":"last"}`,
		`{"id":"unknown","extra":{"deep":[1,2,3]}}`,
		`{"id":"esc\u00e9\n","n":-0}`,
		`{}`,
		`null`,
	}
	for _, in := range inputs {
		want := new(record)
		if err := json.Unmarshal([]byte(in), want); err != nil {
			t.Fatalf("encoding/json %s: %v", in, err)
		}
		got, err := jsoncodec.Codec[record]{}.Decode([]byte(in))
		if err != nil {
			t.Fatalf("Decode(%s): %v", in, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%s) = %+v, encoding/json gives %+v", in, got, want)
		}
	}
}

// TestEncodesAsEncodingJSON holds the codec to encoding/json's bytes.
func TestEncodesAsEncodingJSON(t *testing.T) {
	at := time.Date(2025, 3, 14, 12, 30, 0, 500, time.FixedZone("x", 3600))
	values := []record{
		{},
		{ID: "<&>\u2028", N: 3, At: at, Applied: map[int32]int64{10: 1, 2: 2, -1: 3}, Qty: map[string]int64{"b": 1, "a": 2},
			Points: []point{{X: 1, At: at}}, Inner: point{X: 1}, Flag: true},
	}
	for _, v := range values {
		want, err := json.Marshal(&v)
		if err != nil {
			t.Fatal(err)
		}
		got, err := jsoncodec.Codec[record]{}.Encode(&v)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("Encode() = %s, encoding/json gives %s", got, want)
		}
	}
}

type appended struct{ X int }

func (a *appended) AppendJSON(b []byte) ([]byte, error) {
	return append(b, `{"appended":true}`...), nil
}

// TestEncodeAppender: a *T that appends its own encoding is asked for it,
// whether the codec gets a T or a *T.
func TestEncodeAppender(t *testing.T) {
	for _, v := range []any{appended{1}, &appended{2}} {
		got, err := jsoncodec.Codec[appended]{}.Encode(v)
		if err != nil || string(got) != `{"appended":true}` {
			t.Errorf("Encode(%#v) = %s, %v; want the AppendJSON bytes", v, got, err)
		}
	}
}
