// Package delivery hands notifications from Kafka to RabbitMQ and out to
// users: the relay publishes the "notifications" topic to a topic
// exchange, delivery workers consume a queue per channel (email, sms,
// push) as competing consumers, and watchers subscribe to the exchange
// with a queue of their own. Kafka keeps the log; RabbitMQ routes the
// work.
package delivery

import (
	"fmt"
	"strings"

	"github.com/orderstream/orderstream/processors/streams"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Exchange is the durable topic exchange the relay publishes every
// notification to, with routing key "<status>.<restaurant_id>".
const Exchange = "orderstream.notifications"

// DeadLetterExchange receives the messages delivery workers give up on;
// each channel's dead-letter queue is bound to it with the channel's name.
const DeadLetterExchange = "orderstream.notifications.dlx"

// Tuning values.
const (
	// MaxAttempts is how often a worker tries a message before it is
	// dead-lettered; the queue's delivery limit stops a message that kills
	// its workers at the same count.
	MaxAttempts = 5
	// Prefetch is how many unacknowledged messages RabbitMQ gives a worker
	// at a time: one, so a busy worker gets no more until it is done and
	// an idle one takes the next (fair dispatch).
	Prefetch = 1
)

// Channels are the delivery channels and the routing keys their queues
// are bound to unless told otherwise: push tells of every change, email of
// the start and end of an order, sms of what the user must act on.
var Channels = map[string][]string{
	"email": {"placed.*", "rejected.*", "delivered.*", "cancelled.*"},
	"sms":   {"accepted.*", "ready.*", "rejected.*"},
	"push":  {"#"},
}

// Queue is the durable work queue of channel.
func Queue(channel string) string { return "orderstream.deliver." + channel }

// DeadLetterQueue is the queue of channel's dead-lettered messages.
func DeadLetterQueue(channel string) string { return Queue(channel) + ".dlq" }

// RoutingKey is the routing key of n: "<status>.<restaurant_id>". Dots
// in the restaurant id, which would split it into two words of the topic
// pattern, become underscores.
func RoutingKey(n *streams.Notification) string {
	return string(n.Status) + "." + strings.ReplaceAll(n.RestaurantID, ".", "_")
}

// MessageID is the identity of n, the same whenever n is published again
// (by the relay after a crash, or by the lifecycle telling of the same
// change twice): the order, the status and the position of the change.
func MessageID(n *streams.Notification) string {
	return fmt.Sprintf("%s/%s/%s", n.OrderID, n.Status, n.Seq)
}

// DeclareExchange declares Exchange on ch; every part of the system that
// touches it declares it the same way, so that whichever starts first
// creates it.
func DeclareExchange(ch *amqp.Channel) error {
	if err := ch.ExchangeDeclare(Exchange, amqp.ExchangeTopic, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", Exchange, err)
	}
	return nil
}

// DeclareQueue declares the work queue of channel, bound to Exchange with
// keys, and its dead-letter queue. The work queue is a quorum queue: it
// counts deliveries (x-delivery-count) and dead-letters a message
// delivered MaxAttempts times, also one whose workers died on it.
// Bindings of earlier runs stay; unbind them with rabbitmqctl or the
// management UI.
func DeclareQueue(ch *amqp.Channel, channel string, keys []string) error {
	if err := DeclareExchange(ch); err != nil {
		return err
	}
	if err := ch.ExchangeDeclare(DeadLetterExchange, amqp.ExchangeDirect, true, false, false, false, nil); err != nil {
		return fmt.Errorf("declare exchange %s: %w", DeadLetterExchange, err)
	}
	dlq := DeadLetterQueue(channel)
	if _, err := ch.QueueDeclare(dlq, true, false, false, false, amqp.Table{amqp.QueueTypeArg: amqp.QueueTypeQuorum}); err != nil {
		return fmt.Errorf("declare queue %s: %w", dlq, err)
	}
	if err := ch.QueueBind(dlq, channel, DeadLetterExchange, false, nil); err != nil {
		return fmt.Errorf("bind queue %s: %w", dlq, err)
	}
	q := Queue(channel)
	args := amqp.Table{
		amqp.QueueTypeArg:           amqp.QueueTypeQuorum,
		"x-dead-letter-exchange":    DeadLetterExchange,
		"x-dead-letter-routing-key": channel,
		"x-delivery-limit":          int32(MaxAttempts),
	}
	if _, err := ch.QueueDeclare(q, true, false, false, false, args); err != nil {
		return fmt.Errorf("declare queue %s: %w", q, err)
	}
	for _, k := range keys {
		if err := ch.QueueBind(q, k, Exchange, false, nil); err != nil {
			return fmt.Errorf("bind queue %s to %q: %w", q, k, err)
		}
	}
	return nil
}
