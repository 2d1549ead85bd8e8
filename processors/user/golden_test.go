package user_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/user"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGoldenStats pins the JSON of user-table.
func TestGoldenStats(t *testing.T) {
	s := &user.Stats{
		UserID:              "u-1",
		Orders:              3,
		SpentCents:          1255,
		FavouriteRestaurant: "r-b",
		LastOrderAt:         t0,
		Restaurants:         map[string]int64{"r-b": 2, "r-a": 1},
		First:               exactly.Pos{Partition: 0, Offset: 0},
		Applied:             exactly.Applied{0: 1, 1: 3},
	}
	data, err := user.StatsCodec{}.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	want := golden(t, "stats", data)
	got, err := user.StatsCodec{}.Decode(want)
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("decode golden = %+v, want %+v", got, s)
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
