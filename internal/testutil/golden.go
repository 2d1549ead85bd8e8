// Package testutil is support for the project's tests: golden files that pin
// wire formats, goka processors run in goka's tester, and shared fixtures.
// Only _test.go files import it.
package testutil

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lovoo/goka"
)

// update is the -update flag of every test binary that imports testutil. It
// is registered here, once: a test package that declared its own would make
// its test binary panic with "flag redefined: update".
var update = flag.Bool("update", false, "rewrite golden files")

// Golden compares data, indented as JSON, with testdata/<name>.golden.json of
// the package under test (go test runs a package's tests in its directory)
// and returns the file's contents. Under -update it rewrites the file first.
// A difference is an error; data that is not JSON, or a file that cannot be
// read, is fatal.
func Golden(t testing.TB, name string, data []byte) []byte {
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

// GoldenCodec pins codec's wire format with the golden file name (see
// Golden): it encodes value, compares, then decodes the file and requires the
// result to be reflect.DeepEqual to value, so the format reads back to what
// was written. value is therefore of the type codec.Decode returns: a pointer
// for the project's JSON codecs.
func GoldenCodec(t testing.TB, name string, codec goka.Codec, value any) {
	t.Helper()
	data, err := codec.Encode(value)
	if err != nil {
		t.Fatalf("encode %s: %v", name, err)
	}
	want := Golden(t, name, data)
	got, err := codec.Decode(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !reflect.DeepEqual(got, value) {
		t.Errorf("decode golden = %+v, want %+v", got, value)
	}
}
