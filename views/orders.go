package views

import (
	"errors"

	"github.com/orderstream/orderstream/catalog"
	"github.com/orderstream/orderstream/emitters/intake"
	"github.com/orderstream/orderstream/processors/inbox"
	"github.com/orderstream/orderstream/processors/lifecycle"
)

// Orders is the typed view of lifecycle.Table, the audit table.
type Orders struct{ t *table }

// Get returns the order id with its history, ErrNotFound if it is unknown
// or retired, ErrUnavailable while the view is not recovered.
func (o *Orders) Get(id string) (*lifecycle.Order, error) {
	ord, err := o.stored(id)
	if err == nil && ord.Retired {
		return nil, ErrNotFound
	}
	return ord, err
}

// stored is what the audit table holds under id, a retired order's
// remains included.
func (o *Orders) stored(id string) (*lifecycle.Order, error) {
	return get[lifecycle.Order](o.t, id)
}

// Placed is the order placed under id as the intake compares a request
// with it (intake.Lookup): nil when the audit table does not hold it. A
// retired order's remains keep its parties and total, so its id is still
// told apart from another order's.
func (o *Orders) Placed(id string) (*intake.Placed, error) {
	ord, err := o.stored(id)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return &intake.Placed{RestaurantID: ord.RestaurantID, UserID: ord.UserID, TotalCents: ord.TotalCents}, nil
}

// Inboxes is the typed view of inbox.Table.
type Inboxes struct{ t *table }

// Get returns the inbox of the user id, ErrNotFound if they have had no
// notification.
func (in *Inboxes) Get(id string) (*inbox.Inbox, error) {
	return get[inbox.Inbox](in.t, id)
}

// Catalog is the typed view of catalog.Table.
type Catalog struct{ t *table }

// Get returns the restaurant id, ErrNotFound if the catalog lacks it.
// The value is shared with other readers: it must not be changed.
func (c *Catalog) Get(id string) (*catalog.Restaurant, error) {
	return get[catalog.Restaurant](c.t, id)
}
