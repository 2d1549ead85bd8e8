package views

import (
	"fmt"
	"net/url"
	"strconv"
	"unicode/utf8"

	"github.com/orderstream/orderstream/order"
)

// Limits of GET /api/restaurants.
const (
	DefaultListLimit = 20
	MaxListLimit     = 1000
)

// DefaultSort is the order of GET /api/restaurants without ?sort.
const DefaultSort = ByRevenue

// listQuery is the parsed query of GET /api/restaurants.
type listQuery struct {
	by    By
	limit int
}

// parseListQuery parses ?sort=revenue|orders&limit=N. A malformed query
// string, an unknown sort or a limit outside 1..MaxListLimit is an error
// the client gets as a 400; parameters it does not know are ignored.
func parseListQuery(rawQuery string) (listQuery, error) {
	q := listQuery{by: DefaultSort, limit: DefaultListLimit}
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return q, fmt.Errorf("malformed query string: %w", err)
	}
	if s, ok := values["sort"]; ok {
		if len(s) != 1 {
			return q, fmt.Errorf("sort given %d times, want once", len(s))
		}
		if q.by = By(s[0]); !q.by.Valid() {
			return q, fmt.Errorf("sort %q: want %s or %s", clip(s[0]), ByRevenue, ByOrders)
		}
	}
	if s, ok := values["limit"]; ok {
		if len(s) != 1 {
			return q, fmt.Errorf("limit given %d times, want once", len(s))
		}
		n, err := strconv.Atoi(s[0])
		if err != nil || n < 1 || n > MaxListLimit {
			return q, fmt.Errorf("limit %q: want an integer from 1 to %d", clip(s[0]), MaxListLimit)
		}
		q.limit = n
	}
	return q, nil
}

// checkID refuses ids no table can hold: every key is the id of a valid
// order, at most order.MaxIDLen bytes of UTF-8 (order JSON cannot carry
// anything else).
func checkID(id string) error {
	switch {
	case id == "":
		return fmt.Errorf("empty id")
	case len(id) > order.MaxIDLen:
		return fmt.Errorf("id longer than %d bytes", order.MaxIDLen)
	case !utf8.ValidString(id):
		return fmt.Errorf("id is not valid UTF-8")
	}
	return nil
}

// clip shortens what a client sent before it is echoed in an error.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
