package ingest_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenPlacement pins the JSON of orders-by-id.
func TestGoldenPlacement(t *testing.T) {
	p := &ingest.Placement{Order: validOrder(), Source: exactly.Pos{Partition: 3, Offset: 1234}}
	data, err := ingest.PlacementCodec{}.Encode(p)
	if err != nil {
		t.Fatal(err)
	}
	want := golden(t, "placement", data)
	got, err := ingest.PlacementCodec{}.Decode(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !reflect.DeepEqual(got, p) {
		t.Errorf("decode golden = %+v, want %+v", got, p)
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
