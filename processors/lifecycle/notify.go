package lifecycle

// Notifications: for every change of an order's status, a message for the
// order's user, in words, on the "notifications" topic keyed by user_id.
// The lifecycle writes it where it makes the change; the restaurant's name
// comes from the catalog (Catalog).

import (
	"fmt"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/streams"
)

// Names gives a restaurant's name by its id, the id itself when it has
// none.
type Names func(restaurantID string) string

// NewNotification is the notification of c, naming the restaurant restaurant.
func NewNotification(c *streams.Change, restaurant string) *streams.Notification {
	return &streams.Notification{
		UserID:       c.UserID,
		OrderID:      c.OrderID,
		RestaurantID: c.RestaurantID,
		Status:       c.Status,
		Message:      Message(c, restaurant),
		At:           c.At,
		Seq:          c.Seq,
	}
}

// Message is what the user reads about c.
func Message(c *streams.Change, restaurant string) string {
	var m string
	switch c.Status {
	case order.StatusPlaced:
		m = fmt.Sprintf("Your order %s at %s was placed.", c.OrderID, restaurant)
	case order.StatusAccepted:
		m = fmt.Sprintf("%s accepted your order %s and is preparing it.", restaurant, c.OrderID)
	case order.StatusRejected:
		m = fmt.Sprintf("%s cannot take your order %s.", restaurant, c.OrderID)
	case order.StatusReady:
		m = fmt.Sprintf("Your order %s is ready at %s; a courier is on the way.", c.OrderID, restaurant)
	case order.StatusDelivered:
		m = fmt.Sprintf("Your order %s from %s was delivered. Enjoy!", c.OrderID, restaurant)
	case order.StatusCancelled:
		m = fmt.Sprintf("Your order %s at %s was cancelled.", c.OrderID, restaurant)
	default:
		m = fmt.Sprintf("Your order %s at %s is now %s.", c.OrderID, restaurant, c.Status)
	}
	if c.Reason != "" {
		m = m[:len(m)-1] + ": " + c.Reason + "."
	}
	return m
}
