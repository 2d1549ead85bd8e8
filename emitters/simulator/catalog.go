package simulator

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/orderstream/orderstream/catalog"
)

// Catalog sizes and the id scheme. Ids are 1-based and zero-padded to a fixed
// width ("r-0001", "u-00001"), so they sort in creation order; the maxima
// keep every id at that width.
const (
	MaxRestaurants = 9_999
	MaxUsers       = 99_999
	MinMenuItems   = 5
	MaxMenuItems   = 20
)

// Prices: each restaurant scales the typical dish prices by a factor drawn
// from [minPriceFactor, maxPriceFactor) and ends them in .49 or .99.
const (
	minPriceFactor = 0.8
	maxPriceFactor = 1.4
	priceStepCents = 50
	minPriceCents  = 99
)

// The streams of the PCG generator seeded with Config.Seed: the catalog has
// its own, so changing how orders are drawn leaves the catalog of a seed as
// it was.
const (
	catalogStream = 0x636174616c6f67 // "catalog"
	ordersStream  = 0x6f7264657273   // "orders"
)

// Catalog is the simulated world: the restaurants users order from. It is
// published to the compacted "restaurants" topic, one Restaurant per key,
// so its JSON form is the catalog package's contract.
type Catalog = catalog.Catalog

// Restaurant is one restaurant and its menu.
type Restaurant = catalog.Restaurant

// MenuItem is one dish a restaurant sells. SKUs are unique within a
// restaurant; the same dish has the same SKU everywhere.
type MenuItem = catalog.MenuItem

// RestaurantID is the id of the i-th restaurant, counting from 0.
func RestaurantID(i int) string { return fmt.Sprintf("r-%04d", i+1) }

// UserID is the id of the i-th user, counting from 0.
func UserID(i int) string { return fmt.Sprintf("u-%05d", i+1) }

// NewCatalog generates n restaurants from seed; the same arguments always
// give the same catalog. n must be in 1..MaxRestaurants.
func NewCatalog(n int, seed uint64) (Catalog, error) {
	if n < 1 || n > MaxRestaurants {
		return Catalog{}, fmt.Errorf("restaurants %d: want 1..%d", n, MaxRestaurants)
	}
	rng := rand.New(rand.NewPCG(seed, catalogStream))
	c := Catalog{Restaurants: make([]Restaurant, n)}
	for i := range c.Restaurants {
		c.Restaurants[i] = newRestaurant(rng, i)
	}
	return c, nil
}

func newRestaurant(rng *rand.Rand, i int) Restaurant {
	cu := &cuisines[rng.IntN(len(cuisines))]
	name := fmt.Sprintf(cu.formats[rng.IntN(len(cu.formats))], cu.names[rng.IntN(len(cu.names))])
	size := MinMenuItems + rng.IntN(MaxMenuItems-MinMenuItems+1)
	factor := minPriceFactor + (maxPriceFactor-minPriceFactor)*rng.Float64()

	// The menu lists a random selection of the cuisine's dishes in random
	// order, then drinks when the dishes run out. The order is the
	// popularity ranking orders draw items by.
	menu := make([]MenuItem, 0, size)
	for _, d := range rng.Perm(len(cu.dishes)) {
		if len(menu) == size {
			break
		}
		menu = append(menu, menuItem(cu.code, d, cu.dishes[d], factor))
	}
	for d := 0; len(menu) < size; d++ {
		menu = append(menu, menuItem(extrasCode, d, extras[d], factor))
	}
	return Restaurant{ID: RestaurantID(i), Name: name, Cuisine: cu.name, Menu: menu}
}

func menuItem(code string, index int, d dish, factor float64) MenuItem {
	return MenuItem{
		SKU:        fmt.Sprintf("%s-%02d", code, index+1),
		Name:       d.name,
		PriceCents: price(d.cents, factor),
	}
}

// price scales cents by factor and rounds to a price ending in 49 or 99.
func price(cents int64, factor float64) int64 {
	p := int64(math.Round(float64(cents)*factor/priceStepCents))*priceStepCents - 1
	return max(p, minPriceCents)
}
