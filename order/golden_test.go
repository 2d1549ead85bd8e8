package order_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/orderstream/orderstream/order"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenOrder pins the JSON of the public "orders" topic: other services
// write it, so a renamed field or a changed time format must fail here.
func TestGoldenOrder(t *testing.T) {
	o := validOrder()
	data, err := order.Codec{}.Encode(o)
	if err != nil {
		t.Fatal(err)
	}
	want := golden(t, "order", data)
	got, err := order.Codec{}.Decode(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !reflect.DeepEqual(got, &o) {
		t.Errorf("decode golden = %+v, want %+v", got, &o)
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
