package catalog_test

import (
	"strings"
	"testing"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/internal/testutil"
)

func tratt() *catalog.Restaurant {
	return &catalog.Restaurant{ID: "r-0001", Name: "Trattoria Roma", Cuisine: "italian", Menu: []catalog.MenuItem{
		{SKU: "ita-01", Name: "Margherita Pizza", PriceCents: 1099},
		{SKU: "drk-01", Name: "Still Water", PriceCents: 249},
	}}
}

// TestGolden pins the value of the restaurants topic, which other
// services may write and read.
func TestGolden(t *testing.T) {
	testutil.GoldenCodec(t, "restaurant", catalog.Codec{}, tratt())
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    int // restaurants
		wantErr string
	}{
		{"two", `{"restaurants":[{"id":"r-1","name":"A","cuisine":"x","menu":[]},{"id":"r-2","name":"B","cuisine":"","menu":[{"sku":"s","name":"S","price_cents":0}]}]}`, 2, ""},
		{"empty", `{"restaurants":[]}`, 0, ""},
		{"not JSON", `{"restaurants":`, 0, "parse catalog: unexpected EOF"},
		{"unknown field", `{"restaurants":[],"x":1}`, 0, `parse catalog: json: unknown field "x"`},
		{"trailing data", `{"restaurants":[]} {}`, 0, "parse catalog: data after the catalog object"},
		{"no id", `{"restaurants":[{"id":"","name":"A"}]}`, 0, `parse catalog: restaurant id "": want 1..128 bytes of UTF-8`},
		{"no name", `{"restaurants":[{"id":"r-1","name":""}]}`, 0, "parse catalog: restaurant r-1: name of 0 bytes, want 1..200"},
		{"twice", `{"restaurants":[{"id":"r-1","name":"A"},{"id":"r-1","name":"B"}]}`, 0, "parse catalog: restaurant r-1 listed twice"},
		{"sku twice", `{"restaurants":[{"id":"r-1","name":"A","menu":[{"sku":"s"},{"sku":"s"}]}]}`, 0, "parse catalog: restaurant r-1: sku s listed twice"},
		{"negative price", `{"restaurants":[{"id":"r-1","name":"A","menu":[{"sku":"s","price_cents":-1}]}]}`, 0, "parse catalog: restaurant r-1: sku s: price_cents -1, want 0..100000000"},
		{"no sku", `{"restaurants":[{"id":"r-1","name":"A","menu":[{"sku":""}]}]}`, 0, "parse catalog: restaurant r-1: menu item 0: sku of 0 bytes, want 1..128"},
		{"long name", `{"restaurants":[{"id":"r-1","name":"` + strings.Repeat("n", 201) + `"}]}`, 0, "parse catalog: restaurant r-1: name of 201 bytes, want 1..200"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := catalog.Parse([]byte(tc.data))
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Parse() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Restaurants) != tc.want {
				t.Errorf("%d restaurants, want %d", len(c.Restaurants), tc.want)
			}
		})
	}
}
