package order

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The id alphabet. An id (order_id, restaurant_id, user_id, an item's sku)
// is 1 to MaxIDLen bytes of valid UTF-8 that
//   - has no control character (C0, DEL, C1), since ids end up in logs,
//     headers and URLs;
//   - has no path character, '/' or '\\', since ids are path segments of
//     the HTTP API (/api/orders/{id});
//   - has no U+FFFD, the character decoders put in place of invalid UTF-8:
//     an id that holds it was most likely not the id its writer meant;
//   - does not start or end with white space (so it is not only spaces).
//
// Anything else is refused with ReasonBadID, never repaired: an id echoed
// back is always the id that was sent.
const idRules = "1..128 bytes of UTF-8 without control characters, '/', '\\' or U+FFFD, not starting or ending with a space"

// CheckID reports what makes id unusable as an id, or nil. what names the
// field in the error ("order_id").
func CheckID(what, id string) error {
	switch {
	case id == "":
		return invalid(missingReason(what), "%s is empty", what)
	case len(id) > MaxIDLen:
		return invalid(ReasonIDTooLong, "%s longer than %d bytes", what, MaxIDLen)
	case !utf8.ValidString(id):
		return invalid(ReasonBadID, "%s is not valid UTF-8", what)
	}
	first, _ := utf8.DecodeRuneInString(id)
	last, _ := utf8.DecodeLastRuneInString(id)
	if unicode.IsSpace(first) || unicode.IsSpace(last) {
		return invalid(ReasonBadID, "%s %q starts or ends with white space", what, id)
	}
	for i, r := range id {
		switch {
		case unicode.IsControl(r):
			return invalid(ReasonBadID, "%s has control character %U at byte %d; want %s", what, r, i, idRules)
		case r == '/' || r == '\\':
			return invalid(ReasonBadID, "%s has path character %q at byte %d; want %s", what, r, i, idRules)
		case r == utf8.RuneError:
			return invalid(ReasonBadID, "%s has U+FFFD at byte %d (invalid UTF-8 replaced?); want %s", what, i, idRules)
		}
	}
	return nil
}

// missingReason is the reason of an empty id.
func missingReason(what string) Reason {
	switch what {
	case "order_id":
		return ReasonMissingOrderID
	case "restaurant_id":
		return ReasonMissingRestaurant
	case "user_id":
		return ReasonMissingUser
	}
	return ReasonMissingSKU
}

// Digest identifies what an order asks for: its restaurant, user and
// items, in order, but not placed_at, which the HTTP intake stamps anew on
// every retry. Two copies of an order id with the same digest are the same
// order sent twice; with different digests they conflict.
func (o *Order) Digest() string {
	h := sha256.New()
	var n [8]byte
	field := func(s string) {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(o.RestaurantID)
	field(o.UserID)
	for _, it := range o.Items {
		field(it.SKU)
		binary.BigEndian.PutUint64(n[:], uint64(it.Qty))
		h.Write(n[:])
		binary.BigEndian.PutUint64(n[:], uint64(it.PriceCents))
		h.Write(n[:])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Conflict describes how other, a second copy of o's order id, differs
// from o; "" when it is the same order (see Digest).
func (o *Order) Conflict(other *Order) string {
	var diffs []string
	if o.RestaurantID != other.RestaurantID {
		diffs = append(diffs, fmt.Sprintf("restaurant_id %q, first %q", other.RestaurantID, o.RestaurantID))
	}
	if o.UserID != other.UserID {
		diffs = append(diffs, fmt.Sprintf("user_id %q, first %q", other.UserID, o.UserID))
	}
	if o.TotalCents != other.TotalCents {
		diffs = append(diffs, fmt.Sprintf("total_cents %d, first %d", other.TotalCents, o.TotalCents))
	}
	if len(diffs) == 0 && o.Digest() != other.Digest() {
		diffs = append(diffs, "other items")
	}
	return strings.Join(diffs, ", ")
}
