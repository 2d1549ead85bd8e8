package restaurant_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/restaurant"
)

var update = flag.Bool("update", false, "rewrite golden files")

func goldenStats() *restaurant.Stats {
	return &restaurant.Stats{
		RestaurantID:  "r-1",
		Orders:        3,
		RevenueCents:  3001,
		Items:         7,
		AvgOrderCents: 1000,
		FirstOrderAt:  t0,
		LastOrderAt:   t0.Add(2*time.Hour + 500*time.Millisecond),
		TopItems:      []restaurant.ItemCount{{"cola", 3}, {"pizza", 2}, {"salad", 2}},
		ItemQty:       map[string]int64{"pizza": 2, "cola": 3, "salad": 2},
		First:         exactly.Pos{Partition: 0, Offset: 0},
		Applied:       exactly.Applied{0: 1, 1: 5, 10: 2},
	}
}

// TestGoldenStats pins the JSON of restaurant-table, which views and other
// services read.
func TestGoldenStats(t *testing.T) {
	s := goldenStats()
	data, err := restaurant.StatsCodec{}.Encode(s)
	if err != nil {
		t.Fatal(err)
	}
	want := golden(t, "stats", data)
	got, err := restaurant.StatsCodec{}.Decode(want)
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
