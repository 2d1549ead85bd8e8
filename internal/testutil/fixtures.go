package testutil

import (
	"time"

	"github.com/orderstream/orderstream/order"
)

// ValidOrder is a typical three-item order that passes validation. Each call
// returns a fresh value, so a test may mutate it (Items included). The order
// and ingest golden files are built from it: changing it changes them.
// testutil imports order for it, so order's own tests can use it only from
// package order_test.
func ValidOrder() order.Order {
	return order.Order{
		OrderID:      "o-1",
		RestaurantID: "r-1",
		UserID:       "u-1",
		Items: []order.Item{
			{SKU: "pizza", Qty: 2, PriceCents: 1250},
			{SKU: "cola", Qty: 1, PriceCents: 300},
			{SKU: "tiramisu", Qty: 1, PriceCents: 650},
		},
		TotalCents: 3450,
		PlacedAt:   time.Date(2025, 3, 14, 12, 30, 0, 0, time.UTC),
	}
}
