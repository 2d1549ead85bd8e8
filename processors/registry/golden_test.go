package registry_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/processors/registry"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	o := newOrder("o-1", "r-1", "u-1")
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"entry", registry.EntryCodec{}, &registry.Entry{
			OrderID: "o-1", RestaurantID: "r-1", UserID: "u-1", TotalCents: 2800,
			PlacedAt: o.PlacedAt, Source: pos(4, 17), At: pos(1, 9),
		}},
		{"placed", registry.PlacedCodec{}, &registry.Placed{Order: o, Seq: pos(1, 9)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, err := tc.codec.Encode(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			want := golden(t, tc.name, data)
			got, err := tc.codec.Decode(want)
			if err != nil {
				t.Fatalf("decode golden: %v", err)
			}
			if !reflect.DeepEqual(got, tc.value) {
				t.Errorf("decode golden = %+v, want %+v", got, tc.value)
			}
		})
	}
}

// golden compares data, indented, with testdata/<name>.golden.json (or
// rewrites it under -update) and returns the file's contents.
func golden(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, data, "", "  "); err != nil {
		t.Fatalf("indent %s: %v", data, err)
	}
	buf.WriteByte('\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("wire format of %s changed (go test -run Golden -update rewrites %s if intended)\n got: %s\nwant: %s", name, path, buf.Bytes(), want)
	}
	return want
}
