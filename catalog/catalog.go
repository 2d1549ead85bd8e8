// Package catalog defines the restaurants and their menus as the system
// publishes them: the compacted topic "restaurants", one Restaurant per
// restaurant id, which the lifecycle and the views read through goka views.
// The simulator publishes its generated catalog at start, and
// `orderstream catalog load FILE` publishes one from a JSON file of the
// same shape as Catalog.
package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/lovoo/goka"

	"github.com/orderstream/orderstream/internal/jsoncodec"
	"github.com/orderstream/orderstream/order"
)

// Table is the compacted topic of the catalog, keyed by restaurant id.
const Table goka.Table = "restaurants"

// Limits of a restaurant entry, to keep table values small.
const (
	MaxNameLen  = 200
	MaxMenuSize = 500
)

// Catalog is a list of restaurants: the JSON of a catalog file.
type Catalog struct {
	Restaurants []Restaurant `json:"restaurants"`
}

// Restaurant is one restaurant and its menu.
type Restaurant struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Cuisine string     `json:"cuisine"`
	Menu    []MenuItem `json:"menu"`
}

// MenuItem is one dish a restaurant sells. SKUs are unique within a
// restaurant.
type MenuItem struct {
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	PriceCents int64  `json:"price_cents"`
}

// Codec encodes *Restaurant, the value of Table.
type Codec = jsoncodec.Codec[Restaurant]

// Validate reports the first thing wrong with r.
func (r *Restaurant) Validate() error {
	switch {
	case r.ID == "" || len(r.ID) > order.MaxIDLen || !utf8.ValidString(r.ID):
		return fmt.Errorf("restaurant id %q: want 1..%d bytes of UTF-8", r.ID, order.MaxIDLen)
	case r.Name == "" || len(r.Name) > MaxNameLen:
		return fmt.Errorf("restaurant %s: name of %d bytes, want 1..%d", r.ID, len(r.Name), MaxNameLen)
	case len(r.Cuisine) > MaxNameLen:
		return fmt.Errorf("restaurant %s: cuisine longer than %d bytes", r.ID, MaxNameLen)
	case len(r.Menu) > MaxMenuSize:
		return fmt.Errorf("restaurant %s: %d menu items, at most %d", r.ID, len(r.Menu), MaxMenuSize)
	}
	skus := make(map[string]bool, len(r.Menu))
	for i, m := range r.Menu {
		switch {
		case m.SKU == "" || len(m.SKU) > order.MaxIDLen:
			return fmt.Errorf("restaurant %s: menu item %d: sku of %d bytes, want 1..%d", r.ID, i, len(m.SKU), order.MaxIDLen)
		case skus[m.SKU]:
			return fmt.Errorf("restaurant %s: sku %s listed twice", r.ID, m.SKU)
		case m.PriceCents < 0 || m.PriceCents > order.MaxPriceCents:
			return fmt.Errorf("restaurant %s: sku %s: price_cents %d, want 0..%d", r.ID, m.SKU, m.PriceCents, order.MaxPriceCents)
		}
		skus[m.SKU] = true
	}
	return nil
}

// Parse decodes a catalog file and validates every restaurant; unknown
// fields and a restaurant id given twice are errors, since either is
// more likely a mistake than meant.
func Parse(data []byte) (*Catalog, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var c Catalog
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("parse catalog: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("parse catalog: data after the catalog object")
	}
	ids := make(map[string]bool, len(c.Restaurants))
	for i := range c.Restaurants {
		r := &c.Restaurants[i]
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("parse catalog: %w", err)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("parse catalog: restaurant %s listed twice", r.ID)
		}
		ids[r.ID] = true
	}
	return &c, nil
}
