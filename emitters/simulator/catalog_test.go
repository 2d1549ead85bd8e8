package simulator

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestCatalogGolden(t *testing.T) {
	c, err := NewCatalog(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "catalog.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("catalog of seed 1 changed (run with -update if intended):\n%s", got)
	}
}

func TestNewCatalog(t *testing.T) {
	for _, seed := range []uint64{0, 1, 42} {
		c, err := NewCatalog(MaxRestaurants, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Restaurants) != MaxRestaurants {
			t.Fatalf("seed %d: %d restaurants, want %d", seed, len(c.Restaurants), MaxRestaurants)
		}
		for i, r := range c.Restaurants {
			if want := RestaurantID(i); r.ID != want {
				t.Fatalf("restaurant %d: id %q, want %q", i, r.ID, want)
			}
			if r.Name == "" || r.Cuisine == "" || strings.Contains(r.Name, "%") {
				t.Fatalf("restaurant %s: name %q cuisine %q", r.ID, r.Name, r.Cuisine)
			}
			if n := len(r.Menu); n < MinMenuItems || n > MaxMenuItems {
				t.Fatalf("restaurant %s: %d menu items, want %d..%d", r.ID, n, MinMenuItems, MaxMenuItems)
			}
			skus := map[string]bool{}
			for _, m := range r.Menu {
				if skus[m.SKU] {
					t.Fatalf("restaurant %s: sku %s twice", r.ID, m.SKU)
				}
				skus[m.SKU] = true
				if m.PriceCents < minPriceCents || m.PriceCents > 5000 || (m.PriceCents%50 != 49 && m.PriceCents != minPriceCents) {
					t.Fatalf("restaurant %s: %s costs %d cents", r.ID, m.SKU, m.PriceCents)
				}
			}
		}
	}
}

func TestNewCatalogDeterministic(t *testing.T) {
	a, _ := NewCatalog(30, 7)
	b, _ := NewCatalog(30, 7)
	c, _ := NewCatalog(30, 8)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	jc, _ := json.Marshal(c)
	if !bytes.Equal(ja, jb) {
		t.Error("same seed, different catalogs")
	}
	if bytes.Equal(ja, jc) {
		t.Error("different seeds, same catalog")
	}
}

func TestNewCatalogBounds(t *testing.T) {
	for _, n := range []int{-1, 0, MaxRestaurants + 1} {
		if _, err := NewCatalog(n, 1); err == nil {
			t.Errorf("NewCatalog(%d): no error", n)
		}
	}
}

func TestCuisinesFillMenus(t *testing.T) {
	for _, cu := range cuisines {
		if len(cu.dishes)+len(extras) < MaxMenuItems {
			t.Errorf("%s: %d dishes and %d extras cannot fill a menu of %d", cu.name, len(cu.dishes), len(extras), MaxMenuItems)
		}
		if len(cu.formats) == 0 || len(cu.names) == 0 {
			t.Errorf("%s: no names", cu.name)
		}
	}
}

func TestIDs(t *testing.T) {
	tests := []struct{ got, want string }{
		{RestaurantID(0), "r-0001"},
		{RestaurantID(MaxRestaurants - 1), "r-9999"},
		{UserID(0), "u-00001"},
		{UserID(MaxUsers - 1), "u-99999"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestPrice(t *testing.T) {
	tests := []struct {
		cents  int64
		factor float64
		want   int64
	}{
		{1090, 1, 1099},
		{1090, 0.8, 849},
		{1000, 1.4, 1399},
		{250, 0.8, 199},
		{10, 1, minPriceCents},
	}
	for _, tt := range tests {
		if got := price(tt.cents, tt.factor); got != tt.want {
			t.Errorf("price(%d, %v) = %d, want %d", tt.cents, tt.factor, got, tt.want)
		}
	}
}
