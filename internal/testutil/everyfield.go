package testutil

import (
	"reflect"
	"testing"
	"time"

	json "github.com/go-json-experiment/json/v1"

	"github.com/orderstream/orderstream/internal/jsoncodec"
)

// CheckEveryField holds a hand-written codec to its struct: a value of T
// with every field set, at every depth, must encode through AppendJSON to
// Marshal's bytes and decode through the fast path (if T has one) to what
// Unmarshal decodes. A field added to the struct and not to the codec
// fails here, whatever its tags.
func CheckEveryField[T any](t *testing.T) {
	t.Helper()
	v := new(T)
	fill(reflect.ValueOf(v).Elem(), 0)
	a, ok := any(v).(AppendJSONer)
	if !ok {
		t.Fatalf("%T has no AppendJSON", v)
	}
	SameAsMarshal(t, a)
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := any(new(T)).(jsoncodec.FastDecoder)
	if !ok {
		return
	}
	if !d.DecodeJSON(data) {
		t.Fatalf("the fast path refused a %T with every field set:\n%s", v, data)
	}
	want := new(T)
	if err := json.Unmarshal(data, want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("the fast path decoded\n%#v\nUnmarshal\n%#v", d, want)
	}
}

var timeType = reflect.TypeFor[time.Time]()

// fill sets every exported field of v to a value that is not the zero of
// its type (one element in slices and maps), depth bounding recursion.
func fill(v reflect.Value, depth int) {
	if depth > 8 {
		return
	}
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC).Add(time.Duration(depth+1) * time.Second)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + string(rune('a'+depth)))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(depth + 7))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(depth + 7))
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		e := reflect.New(v.Type().Elem()).Elem()
		fill(k, depth+1)
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}
