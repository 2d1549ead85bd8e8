package global_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/global"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestGolden(t *testing.T) {
	tests := []struct {
		name  string
		codec goka.Codec
		value any // a pointer, as Decode returns
	}{
		{"delta", global.DeltaCodec{}, &global.Delta{
			Seq: pos(2, 77), Orders: 1, RevenueCents: 3450, Items: 4, NewRestaurants: 1,
			Restaurant: rkp("r-1", 10250, 3),
		}},
		// A user delta: the zero fields are left out.
		{"delta_user", global.DeltaCodec{}, &global.Delta{Seq: pos(0, 5), NewUsers: 1}},
		{"shard", global.ShardCodec{}, &global.Shard{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2,
			Top:     []global.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
			Applied: exactly.Applied{0: 12, 1: 7, 10: 3},
		}},
		{"shard_users", global.ShardCodec{}, &global.Shard{Users: 4, Applied: exactly.Applied{3: 9}}},
		// Summary is what the HTTP API serves.
		{"summary", jsoncodec.Codec[global.Summary]{}, &global.Summary{
			Orders: 3, RevenueCents: 10250, Items: 9, Restaurants: 2, Users: 4,
			TopRestaurants: []global.Ranked{rk("r-1", 10000, 2), rk("r-2", 250, 1)},
		}},
		{"summary_empty", jsoncodec.Codec[global.Summary]{}, &global.Summary{TopRestaurants: []global.Ranked{}}},
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
