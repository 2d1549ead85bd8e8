package exactly_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/orderstream/orderstream/processors/exactly"
)

func TestSeen(t *testing.T) {
	a := exactly.Applied{0: 5, 3: 0}
	tests := []struct {
		pos  exactly.Pos
		want bool
	}{
		{exactly.Pos{Partition: 0, Offset: 4}, true},
		{exactly.Pos{Partition: 0, Offset: 5}, true},
		{exactly.Pos{Partition: 0, Offset: 6}, false},
		{exactly.Pos{Partition: 3, Offset: 0}, true},
		{exactly.Pos{Partition: 3, Offset: 1}, false},
		{exactly.Pos{Partition: 1, Offset: 0}, false}, // unknown partition
		{exactly.Pos{Partition: 1, Offset: -1}, false},
	}
	for _, tc := range tests {
		if got := a.Seen(tc.pos); got != tc.want {
			t.Errorf("%v.Seen(%v) = %v, want %v", a, tc.pos, got, tc.want)
		}
	}
}

func TestSeenNil(t *testing.T) {
	var a exactly.Applied
	if a.Seen(exactly.Pos{}) {
		t.Error("nil Applied has seen 0@0")
	}
}

func TestMark(t *testing.T) {
	tests := []struct {
		name string
		in   exactly.Applied
		pos  exactly.Pos
		want exactly.Applied
	}{
		{"nil", nil, exactly.Pos{Partition: 2, Offset: 7}, exactly.Applied{2: 7}},
		{"nil at zero", nil, exactly.Pos{}, exactly.Applied{0: 0}},
		{"new partition", exactly.Applied{0: 1}, exactly.Pos{Partition: 1, Offset: 0}, exactly.Applied{0: 1, 1: 0}},
		{"higher offset", exactly.Applied{0: 1}, exactly.Pos{Partition: 0, Offset: 9}, exactly.Applied{0: 9}},
		{"same offset", exactly.Applied{0: 9}, exactly.Pos{Partition: 0, Offset: 9}, exactly.Applied{0: 9}},
		{"lower offset never lowers", exactly.Applied{0: 9}, exactly.Pos{Partition: 0, Offset: 3}, exactly.Applied{0: 9}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Mark(tc.pos)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Mark(%v) = %v, want %v", tc.pos, got, tc.want)
			}
			if !got.Seen(tc.pos) {
				t.Errorf("after Mark(%v), Seen = false", tc.pos)
			}
		})
	}
}

func TestMarkUpdatesInPlace(t *testing.T) {
	a := exactly.Applied{0: 1}
	a.Mark(exactly.Pos{Partition: 1, Offset: 4})
	if want := (exactly.Applied{0: 1, 1: 4}); !reflect.DeepEqual(a, want) {
		t.Errorf("a = %v, want %v: Mark of a non-nil map must write through", a, want)
	}
}

func TestAppliedJSON(t *testing.T) {
	tests := []struct {
		name string
		in   exactly.Applied
		want string
	}{
		{"nil", nil, `null`},
		{"empty", exactly.Applied{}, `{}`},
		// Keys are partition numbers as JSON strings, sorted as strings.
		{"partitions", exactly.Applied{0: 12, 2: 7, 10: 1, -1: 3}, `{"-1":3,"0":12,"10":1,"2":7}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != tc.want {
				t.Errorf("Marshal = %s, want %s", data, tc.want)
			}
			var back exactly.Applied
			if err := json.Unmarshal(data, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.in) {
				t.Errorf("round trip = %#v, want %#v", back, tc.in)
			}
		})
	}
}

func TestAppliedJSONRejectsBadKeys(t *testing.T) {
	for _, data := range []string{`{"x":1}`, `{"2147483648":1}`, `{"0":"1"}`} {
		var a exactly.Applied
		if err := json.Unmarshal([]byte(data), &a); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", data, a)
		}
	}
}

func TestPosJSONAndString(t *testing.T) {
	p := exactly.Pos{Partition: 3, Offset: 42}
	if got, want := p.String(), "3@42"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), `{"partition":3,"offset":42}`; got != want {
		t.Errorf("Marshal = %s, want %s", got, want)
	}
}
