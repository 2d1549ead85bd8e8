package order_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/order"
)

// items returns n items of one unit at one cent, with distinct skus.
func items(n int) []order.Item {
	out := make([]order.Item, n)
	for i := range out {
		out[i] = order.Item{SKU: fmt.Sprintf("sku-%d", i), Qty: 1, PriceCents: 1}
	}
	return out
}

// idRules is how the errors of order.CheckID describe the id alphabet.
const idRules = "1..128 bytes of UTF-8 without control characters, '/', '\\' or U+FFFD, not starting or ending with a space"

func TestValidate(t *testing.T) {
	long := strings.Repeat("x", order.MaxIDLen+1)
	atMax := strings.Repeat("x", order.MaxIDLen)
	tests := []struct {
		name   string
		mutate func(o *order.Order)
		want   string // the error text, "" for a valid order
	}{
		{"valid", func(o *order.Order) {}, ""},
		{"ids at MaxIDLen", func(o *order.Order) {
			o.OrderID, o.RestaurantID, o.UserID, o.Items[0].SKU = atMax, atMax, atMax, atMax
		}, ""},
		{"missing order_id", func(o *order.Order) { o.OrderID = "" },
			"invalid order: missing_order_id: order_id is empty"},
		{"order_id too long", func(o *order.Order) { o.OrderID = long },
			"invalid order: id_too_long: order_id longer than 128 bytes"},
		{"missing restaurant_id", func(o *order.Order) { o.RestaurantID = "" },
			"invalid order: missing_restaurant_id: restaurant_id is empty"},
		{"missing user_id", func(o *order.Order) { o.UserID = "" },
			"invalid order: missing_user_id: user_id is empty"},
		{"restaurant_id too long", func(o *order.Order) { o.RestaurantID = long },
			"invalid order: id_too_long: restaurant_id longer than 128 bytes"},
		{"user_id too long", func(o *order.Order) { o.UserID = long },
			"invalid order: id_too_long: user_id longer than 128 bytes"},
		{"order_id only spaces", func(o *order.Order) { o.OrderID = "   " },
			`invalid order: bad_id: order_id "   " starts or ends with white space`},
		{"order_id with a trailing space", func(o *order.Order) { o.OrderID = "o-1 " },
			`invalid order: bad_id: order_id "o-1 " starts or ends with white space`},
		{"order_id with NUL", func(o *order.Order) { o.OrderID = "o\x001" },
			`invalid order: bad_id: order_id has control character U+0000 at byte 1; want ` + idRules},
		{"user_id with a newline", func(o *order.Order) { o.UserID = "u\n1" },
			`invalid order: bad_id: user_id has control character U+000A at byte 1; want ` + idRules},
		{"restaurant_id with a slash", func(o *order.Order) { o.RestaurantID = "r/1" },
			`invalid order: bad_id: restaurant_id has path character '/' at byte 1; want ` + idRules},
		{"order_id with a backslash", func(o *order.Order) { o.OrderID = `..\\x` },
			`invalid order: bad_id: order_id has path character '\\' at byte 2; want ` + idRules},
		{"order_id invalid UTF-8", func(o *order.Order) { o.OrderID = "o\xff" },
			`invalid order: bad_id: order_id is not valid UTF-8`},
		{"order_id with U+FFFD", func(o *order.Order) { o.OrderID = "o\uFFFD" },
			`invalid order: bad_id: order_id has U+FFFD at byte 1 (invalid UTF-8 replaced?); want ` + idRules},
		{"sku with DEL", func(o *order.Order) { o.Items[0].SKU = "a\x7f" },
			`invalid order: bad_id: item 0 sku has control character U+007F at byte 1; want ` + idRules},
		{"unicode ids and inner spaces", func(o *order.Order) { o.OrderID, o.UserID = "Bestellung Nr. 1", "Zoë 🍕" }, ""},
		{"nil items", func(o *order.Order) { o.Items, o.TotalCents = nil, 0 },
			"invalid order: no_items: an order needs at least one item"},
		{"empty items", func(o *order.Order) { o.Items, o.TotalCents = []order.Item{}, 0 },
			"invalid order: no_items: an order needs at least one item"},
		{"MaxItems items", func(o *order.Order) { o.Items, o.TotalCents = items(order.MaxItems), order.MaxItems }, ""},
		{"too many items", func(o *order.Order) { o.Items, o.TotalCents = items(order.MaxItems+1), order.MaxItems+1 },
			"invalid order: too_many_items: 101 items, at most 100"},
		{"missing sku", func(o *order.Order) { o.Items[1].SKU = "" },
			"invalid order: missing_sku: item 1 sku is empty"},
		{"sku too long", func(o *order.Order) { o.Items[2].SKU = long },
			"invalid order: id_too_long: item 2 sku longer than 128 bytes"},
		{"qty 0", func(o *order.Order) { o.Items[1].Qty, o.TotalCents = 0, 3150 },
			"invalid order: bad_qty: item 1 qty 0, want 1..10000"},
		{"qty negative", func(o *order.Order) { o.Items[1].Qty, o.TotalCents = -1, 2850 },
			"invalid order: bad_qty: item 1 qty -1, want 1..10000"},
		{"qty MaxQty", func(o *order.Order) { o.Items[1].Qty, o.TotalCents = order.MaxQty, 3150+300*order.MaxQty }, ""},
		{"qty above MaxQty", func(o *order.Order) { o.Items[1].Qty, o.TotalCents = order.MaxQty+1, 3150+300*(order.MaxQty+1) },
			"invalid order: bad_qty: item 1 qty 10001, want 1..10000"},
		{"price 0", func(o *order.Order) { o.Items[1].PriceCents, o.TotalCents = 0, 3150 }, ""},
		{"price negative", func(o *order.Order) { o.Items[1].PriceCents, o.TotalCents = -1, 3149 },
			"invalid order: bad_price: item 1 price_cents -1, want 0..100000000"},
		{"price MaxPriceCents", func(o *order.Order) {
			o.Items[1].PriceCents, o.TotalCents = order.MaxPriceCents, 3150+order.MaxPriceCents
		}, ""},
		{"price above MaxPriceCents", func(o *order.Order) {
			o.Items[1].PriceCents, o.TotalCents = order.MaxPriceCents+1, 3151+order.MaxPriceCents
		},
			"invalid order: bad_price: item 1 price_cents 100000001, want 0..100000000"},
		{"total too small", func(o *order.Order) { o.TotalCents = 3449 },
			"invalid order: total_mismatch: total_cents 3449, items sum to 3450"},
		{"total too large", func(o *order.Order) { o.TotalCents = 3451 },
			"invalid order: total_mismatch: total_cents 3451, items sum to 3450"},
		{"missing placed_at", func(o *order.Order) { o.PlacedAt = time.Time{} },
			"invalid order: missing_placed_at: placed_at is missing"},
		{"zero instant in another zone", func(o *order.Order) {
			o.PlacedAt = time.Time{}.In(time.FixedZone("", 3600))
		}, "invalid order: missing_placed_at: placed_at is missing"},
		// The checks run in a fixed order: the first failing one is reported.
		{"order_id before items", func(o *order.Order) { o.OrderID, o.Items = "", nil },
			"invalid order: missing_order_id: order_id is empty"},
		{"restaurant before user", func(o *order.Order) { o.RestaurantID, o.UserID = "", "" },
			"invalid order: missing_restaurant_id: restaurant_id is empty"},
		{"first bad item wins", func(o *order.Order) { o.Items[0].Qty, o.Items[2].PriceCents = 0, -1 },
			"invalid order: bad_qty: item 0 qty 0, want 1..10000"},
		{"items before total", func(o *order.Order) { o.Items[0].SKU, o.TotalCents = "", 1 },
			"invalid order: missing_sku: item 0 sku is empty"},
		{"total before placed_at", func(o *order.Order) { o.TotalCents, o.PlacedAt = 1, time.Time{} },
			"invalid order: total_mismatch: total_cents 1, items sum to 3450"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := testutil.ValidOrder()
			tc.mutate(&o)
			err := o.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("Validate() = %q, want %q", err, tc.want)
			}
			var ie *order.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Validate() error %T is not *order.InvalidError", err)
			}
			if want := strings.SplitN(tc.want, ": ", 3)[1]; string(ie.Reason) != want {
				t.Errorf("Reason = %q, want %q", ie.Reason, want)
			}
		})
	}
}

func TestParse(t *testing.T) {
	const valid = `{"order_id":"o-1","restaurant_id":"r-1","user_id":"u-1",` +
		`"items":[{"sku":"pizza","qty":2,"price_cents":1250},{"sku":"cola","qty":1,"price_cents":300},` +
		`{"sku":"tiramisu","qty":1,"price_cents":650}],"total_cents":3450,"placed_at":"2025-03-14T12:30:00Z"}`
	tests := []struct {
		name   string
		data   []byte
		reason order.Reason // "" for a valid order
	}{
		{"valid", []byte(valid), ""},
		{"unknown fields are ignored", []byte(`{"coupon":"X",` + valid[1:]), ""},
		{"nil", nil, order.ReasonMalformed},
		{"empty", []byte{}, order.ReasonMalformed},
		{"truncated", []byte(valid[:40]), order.ReasonMalformed},
		{"array", []byte(`[]`), order.ReasonMalformed},
		{"string", []byte(`"order"`), order.ReasonMalformed},
		{"trailing data", []byte(valid + `{}`), order.ReasonMalformed},
		{"order_id a number", []byte(`{"order_id":1}`), order.ReasonMalformed},
		{"fractional qty", []byte(strings.Replace(valid, `"qty":2`, `"qty":2.5`, 1)), order.ReasonMalformed},
		{"qty overflows int64", []byte(strings.Replace(valid, `"qty":2`, `"qty":9223372036854775808`, 1)), order.ReasonMalformed},
		{"placed_at not RFC 3339", []byte(strings.Replace(valid, `2025-03-14T12:30:00Z`, `14.03.2025 12:30`, 1)), order.ReasonMalformed},
		{"null", []byte(`null`), order.ReasonMissingOrderID},
		{"empty object", []byte(`{}`), order.ReasonMissingOrderID},
		{"no restaurant", []byte(strings.Replace(valid, `"restaurant_id":"r-1",`, ``, 1)), order.ReasonMissingRestaurant},
		{"no user", []byte(strings.Replace(valid, `"user_id":"u-1",`, ``, 1)), order.ReasonMissingUser},
		{"id too long", []byte(strings.Replace(valid, `"o-1"`, `"`+strings.Repeat("o", 129)+`"`, 1)), order.ReasonIDTooLong},
		{"order_id only spaces", []byte(strings.Replace(valid, `"o-1"`, `"  "`, 1)), order.ReasonBadID},
		{"order_id with an escaped NUL", []byte(strings.Replace(valid, `"o-1"`, `"o\u00001"`, 1)), order.ReasonBadID},
		{"user_id with a path", []byte(strings.Replace(valid, `"u-1"`, `"../u-1"`, 1)), order.ReasonBadID},
		{"lone surrogate escape", []byte(strings.Replace(valid, `"o-1"`, `"o\ud800"`, 1)), order.ReasonBadID},
		{"invalid UTF-8", []byte(strings.Replace(valid, `"o-1"`, "\"o\xff1\"", 1)), order.ReasonMalformed},
		{"items null", []byte(`{"order_id":"o","restaurant_id":"r","user_id":"u","items":null}`), order.ReasonNoItems},
		{"too many items", []byte(`{"order_id":"o","restaurant_id":"r","user_id":"u","items":[` +
			strings.TrimSuffix(strings.Repeat(`{"sku":"s","qty":1,"price_cents":1},`, 101), ",") + `]}`), order.ReasonTooManyItems},
		{"no sku", []byte(strings.Replace(valid, `"sku":"cola",`, ``, 1)), order.ReasonMissingSKU},
		{"qty 0", []byte(strings.Replace(valid, `"qty":2`, `"qty":0`, 1)), order.ReasonBadQty},
		{"negative price", []byte(strings.Replace(valid, `"price_cents":300`, `"price_cents":-300`, 1)), order.ReasonBadPrice},
		{"total mismatch", []byte(strings.Replace(valid, `"total_cents":3450`, `"total_cents":3451`, 1)), order.ReasonTotalMismatch},
		{"no placed_at", []byte(strings.Replace(valid, `,"placed_at":"2025-03-14T12:30:00Z"`, ``, 1)), order.ReasonMissingPlacedAt},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := order.Parse(tc.data)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("Parse() error = %v", err)
				}
				if want := testutil.ValidOrder(); !sameOrder(o, &want) {
					t.Errorf("Parse() = %+v, want %+v", o, want)
				}
				return
			}
			if o != nil {
				t.Errorf("Parse() = %+v, want nil", o)
			}
			var ie *order.InvalidError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse() error = %v (%T), want *order.InvalidError", err, err)
			}
			if ie.Reason != tc.reason {
				t.Errorf("Reason = %q (%v), want %q", ie.Reason, err, tc.reason)
			}
			if got := order.ReasonOf(err); got != tc.reason {
				t.Errorf("ReasonOf() = %q, want %q", got, tc.reason)
			}
			if tc.reason == order.ReasonMalformed && !strings.HasPrefix(err.Error(), "invalid order: malformed_json: ") {
				t.Errorf("Parse() error = %q, want the prefix %q", err, "invalid order: malformed_json: ")
			}
		})
	}
	// Every reason is part of the contract: a new one needs a case here.
	covered := map[order.Reason]bool{}
	for _, tc := range tests {
		covered[tc.reason] = true
	}
	for _, r := range order.Reasons {
		if !covered[r] {
			t.Errorf("no Parse case for reason %q", r)
		}
	}
}

func TestReasonOf(t *testing.T) {
	ie := &order.InvalidError{Reason: order.ReasonBadQty, Detail: "x"}
	tests := []struct {
		name string
		err  error
		want order.Reason
	}{
		{"invalid error", ie, order.ReasonBadQty},
		{"wrapped", fmt.Errorf("intake: %w", ie), order.ReasonBadQty},
		{"joined", errors.Join(errors.New("other"), ie), order.ReasonBadQty},
		{"other error", errors.New("boom"), order.ReasonMalformed},
		{"nil", nil, order.ReasonMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := order.ReasonOf(tc.err); got != tc.want {
				t.Errorf("ReasonOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

func TestInvalidErrorMessage(t *testing.T) {
	tests := []struct {
		err  order.InvalidError
		want string
	}{
		{order.InvalidError{Reason: order.ReasonNoItems}, "invalid order: no_items"},
		{order.InvalidError{Reason: order.ReasonNoItems, Detail: "none"}, "invalid order: no_items: none"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestValidateItems(t *testing.T) {
	tests := []struct {
		name  string
		items []order.Item
		want  order.Reason // "" for valid
	}{
		{"one item", []order.Item{{SKU: "a", Qty: 1, PriceCents: 0}}, ""},
		{"none", nil, order.ReasonNoItems},
		{"MaxItems", items(order.MaxItems), ""},
		{"MaxItems+1", items(order.MaxItems + 1), order.ReasonTooManyItems},
		{"qty 1", []order.Item{{SKU: "a", Qty: 1}}, ""},
		{"qty 0", []order.Item{{SKU: "a", Qty: 0}}, order.ReasonBadQty},
		{"qty MaxQty", []order.Item{{SKU: "a", Qty: order.MaxQty}}, ""},
		{"qty MaxQty+1", []order.Item{{SKU: "a", Qty: order.MaxQty + 1}}, order.ReasonBadQty},
		{"price 0", []order.Item{{SKU: "a", Qty: 1, PriceCents: 0}}, ""},
		{"price -1", []order.Item{{SKU: "a", Qty: 1, PriceCents: -1}}, order.ReasonBadPrice},
		{"price MaxPriceCents", []order.Item{{SKU: "a", Qty: 1, PriceCents: order.MaxPriceCents}}, ""},
		{"price MaxPriceCents+1", []order.Item{{SKU: "a", Qty: 1, PriceCents: order.MaxPriceCents + 1}}, order.ReasonBadPrice},
		{"sku MaxIDLen", []order.Item{{SKU: strings.Repeat("s", order.MaxIDLen), Qty: 1}}, ""},
		{"sku MaxIDLen+1", []order.Item{{SKU: strings.Repeat("s", order.MaxIDLen+1), Qty: 1}}, order.ReasonIDTooLong},
		{"empty sku", []order.Item{{Qty: 1}}, order.ReasonMissingSKU},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := order.ValidateItems(tc.items)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("ValidateItems() = %v, want nil", err)
			case tc.want != "" && order.ReasonOf(err) != tc.want:
				t.Fatalf("ValidateItems() = %v, want reason %q", err, tc.want)
			}
		})
	}
}

func TestValidateIDs(t *testing.T) {
	long := strings.Repeat("x", order.MaxIDLen+1)
	tests := []struct {
		restaurant, user string
		want             order.Reason
	}{
		{"r", "u", ""},
		{"", "u", order.ReasonMissingRestaurant},
		{"r", "", order.ReasonMissingUser},
		{"", "", order.ReasonMissingRestaurant},
		{long, "u", order.ReasonIDTooLong},
		{"r", long, order.ReasonIDTooLong},
	}
	for _, tc := range tests {
		err := order.ValidateIDs(tc.restaurant, tc.user)
		if tc.want == "" {
			if err != nil {
				t.Errorf("ValidateIDs(%.8q, %.8q) = %v, want nil", tc.restaurant, tc.user, err)
			}
			continue
		}
		if got := order.ReasonOf(err); err == nil || got != tc.want {
			t.Errorf("ValidateIDs(%.8q, %.8q) = %v, want reason %q", tc.restaurant, tc.user, err, tc.want)
		}
	}
}

func TestSumAndQuantity(t *testing.T) {
	tests := []struct {
		name     string
		items    []order.Item
		sum, qty int64
	}{
		{"none", nil, 0, 0},
		{"typical", testutil.ValidOrder().Items, 3450, 4},
		{"free item", []order.Item{{SKU: "water", Qty: 3, PriceCents: 0}}, 0, 3},
		{"largest valid order", func() []order.Item {
			its := items(order.MaxItems)
			for i := range its {
				its[i].Qty, its[i].PriceCents = order.MaxQty, order.MaxPriceCents
			}
			return its
		}(), order.MaxItems * order.MaxQty * order.MaxPriceCents, order.MaxItems * order.MaxQty},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := order.Sum(tc.items); got != tc.sum {
				t.Errorf("Sum() = %d, want %d", got, tc.sum)
			}
			o := order.Order{Items: tc.items}
			if got := o.Quantity(); got != tc.qty {
				t.Errorf("Quantity() = %d, want %d", got, tc.qty)
			}
		})
	}
}

// sameOrder compares orders field by field and their placed_at by instant:
// decoding "+00:00" may give a different *time.Location than "Z".
func sameOrder(a, b *order.Order) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.OrderID != b.OrderID || a.RestaurantID != b.RestaurantID || a.UserID != b.UserID ||
		a.TotalCents != b.TotalCents || !a.PlacedAt.Equal(b.PlacedAt) || len(a.Items) != len(b.Items) {
		return false
	}
	for i := range a.Items {
		if a.Items[i] != b.Items[i] {
			return false
		}
	}
	return true
}

func TestConflict(t *testing.T) {
	first := testutil.ValidOrder()
	tests := []struct {
		name   string
		mutate func(o *order.Order)
		want   string
	}{
		{"retry with a new placed_at", func(o *order.Order) { o.PlacedAt = o.PlacedAt.Add(time.Minute) }, ""},
		{"other restaurant", func(o *order.Order) { o.RestaurantID = "r-2" }, `restaurant_id "r-2", first "r-1"`},
		{"other user and total", func(o *order.Order) { o.UserID, o.Items[0].Qty, o.TotalCents = "u-2", 3, 4700 },
			`user_id "u-2", first "u-1", total_cents 4700, first 3450`},
		{"items swapped, same total", func(o *order.Order) { o.Items[0].SKU = "calzone" }, "other items"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			second := testutil.ValidOrder()
			tc.mutate(&second)
			if got := first.Conflict(&second); got != tc.want {
				t.Errorf("Conflict() = %q, want %q", got, tc.want)
			}
			if same := first.Digest() == second.Digest(); same != (tc.want == "") {
				t.Errorf("same digest = %v, want %v", same, tc.want == "")
			}
		})
	}
}
