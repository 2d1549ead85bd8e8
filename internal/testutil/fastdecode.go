package testutil

import (
	"math/rand/v2"
	"reflect"
	"testing"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// CheckFastDecode holds a type's jsoncodec.FastDecoder to Unmarshal: for
// each value, the codec must decode its Marshal encoding through the fast
// path (at least minFast of them) to what Unmarshal decodes, and for many
// mutations of that encoding (bytes changed, dropped, inserted; keys
// changed in case; spaces) decode to what Unmarshal does, or fail when it
// fails.
func CheckFastDecode[T any](t *testing.T, values []*T, minFast int) {
	t.Helper()
	codec := jsoncodec.Codec[T]{}
	same := func(data []byte) {
		t.Helper()
		want := new(T)
		wantErr := json.Unmarshal(data, want)
		got, err := codec.Decode(data)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("decode %q: error %v, Unmarshal error %v", data, err, wantErr)
		}
		if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("decode %q =\n%#v\nUnmarshal =\n%#v", data, got, want)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	const alphabet = `0123456789"\{}[],:.-+eEZTtnul aAbBpP` + "\t\xff\x00"
	fast := 0
	for _, v := range values {
		data, err := json.Marshal(v)
		if err != nil {
			continue
		}
		if any(new(T)).(jsoncodec.FastDecoder).DecodeJSON(data) {
			fast++
		}
		same(data)
		for range 60 {
			m := append([]byte(nil), data...)
			k := r.IntN(len(m))
			switch r.IntN(5) {
			case 0:
				m[k] = alphabet[r.IntN(len(alphabet))]
			case 1:
				m = append(m[:k], m[k+1:]...)
			case 2:
				m = append(m[:k], append([]byte{alphabet[r.IntN(len(alphabet))]}, m[k:]...)...)
			case 3:
				if c := m[k]; c >= 'a' && c <= 'z' {
					m[k] = c - 'a' + 'A'
				}
			case 4:
				m = m[:k]
			}
			same(m)
		}
	}
	if fast < minFast {
		t.Errorf("%d of %d values decoded by the fast path, want at least %d", fast, len(values), minFast)
	}
}

// AppendJSONer is a value that writes its own JSON (see jsoncodec.Codec).
type AppendJSONer interface {
	AppendJSON(b []byte) ([]byte, error)
}

// SameAsMarshal fails t unless v.AppendJSON writes the bytes Marshal
// writes, or fails where Marshal fails; it reports whether v encoded.
func SameAsMarshal(t *testing.T, v AppendJSONer) bool {
	t.Helper()
	want, wantErr := json.Marshal(v)
	got, err := v.AppendJSON(nil)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%+v: AppendJSON error %v, Marshal error %v", v, err, wantErr)
	}
	if string(got) != string(want) {
		t.Fatalf("AppendJSON =\n%s\nMarshal =\n%s", got, want)
	}
	return err == nil
}
