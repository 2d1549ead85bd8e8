package views

import "github.com/orderstream/orderstream/processors/user"

// Users is the typed view of user.Table.
type Users struct{ t *table }

// Get returns the statistics of the user id, ErrNotFound if they have no
// placed order, ErrUnavailable while the view is not recovered.
func (u *Users) Get(id string) (*user.Stats, error) {
	return get[user.Stats](u.t, id)
}
