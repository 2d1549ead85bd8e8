package order_test

import (
	"slices"
	"testing"

	"github.com/orderstream/orderstream/order"
)

func TestCanMove(t *testing.T) {
	allowed := map[[2]order.Status]bool{
		{order.StatusPlaced, order.StatusAccepted}:    true,
		{order.StatusPlaced, order.StatusRejected}:    true,
		{order.StatusPlaced, order.StatusCancelled}:   true,
		{order.StatusAccepted, order.StatusReady}:     true,
		{order.StatusAccepted, order.StatusCancelled}: true,
		{order.StatusReady, order.StatusDelivered}:    true,
	}
	all := append(slices.Clone(order.Statuses), "", "lost")
	for _, from := range all {
		for _, to := range all {
			if got, want := order.CanMove(from, to), allowed[[2]order.Status{from, to}]; got != want {
				t.Errorf("CanMove(%q, %q) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestStatusPredicates(t *testing.T) {
	tests := []struct {
		s                         order.Status
		valid, final, cancellable bool
	}{
		{order.StatusPlaced, true, false, true},
		{order.StatusAccepted, true, false, true},
		{order.StatusRejected, true, true, false},
		{order.StatusReady, true, false, false},
		{order.StatusDelivered, true, true, false},
		{order.StatusCancelled, true, true, false},
		{"", false, false, false},
		{"Placed", false, false, false},
	}
	for _, tc := range tests {
		if got := tc.s.Valid(); got != tc.valid {
			t.Errorf("%q.Valid() = %v, want %v", tc.s, got, tc.valid)
		}
		if got := tc.s.Final(); got != tc.final {
			t.Errorf("%q.Final() = %v, want %v", tc.s, got, tc.final)
		}
		if got := tc.s.Cancellable(); got != tc.cancellable {
			t.Errorf("%q.Cancellable() = %v, want %v", tc.s, got, tc.cancellable)
		}
	}
}
