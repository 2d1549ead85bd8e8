package delivery

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/order"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/streams"

	"github.com/orderstream/orderstream/internal/supervise"
)

func TestRoutingKeyAndMessageID(t *testing.T) {
	for _, tc := range []struct {
		n       streams.Notification
		key, id string
	}{
		{streams.Notification{OrderID: "o-1", RestaurantID: "r-7", Status: order.StatusAccepted, Seq: exactly.Pos{Partition: 2, Offset: 41}}, "accepted.r-7", "o-1/accepted/2@41"},
		{streams.Notification{OrderID: "o-2", RestaurantID: "pizza.roma", Status: order.StatusDelivered}, "delivered.pizza_roma", "o-2/delivered/0@0"},
	} {
		if got := RoutingKey(&tc.n); got != tc.key {
			t.Errorf("RoutingKey(%+v) = %q, want %q", tc.n, got, tc.key)
		}
		if got := MessageID(&tc.n); got != tc.id {
			t.Errorf("MessageID(%+v) = %q, want %q", tc.n, got, tc.id)
		}
	}
}

func TestMessage(t *testing.T) {
	n := &streams.Notification{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusReady, Message: "ready", Seq: exactly.Pos{Partition: 1, Offset: 3}}
	b, err := new(streams.NotificationCodec).Encode(n)
	if err != nil {
		t.Fatal(err)
	}
	key, msg := Message(&kgo.Record{Topic: "notifications", Partition: 0, Offset: 9, Value: b})
	if key != "ready.r-1" || msg.MessageId != "o-1/ready/1@3" || msg.DeliveryMode != amqp.Persistent || string(msg.Body) != string(b) {
		t.Errorf("Message = %q, %+v", key, msg)
	}
	key, msg = Message(&kgo.Record{Topic: "notifications", Partition: 2, Offset: 9, Value: []byte("{")})
	if key != "malformed.unknown" || msg.MessageId != "notifications/2/9" || msg.DeliveryMode != amqp.Persistent {
		t.Errorf("Message(malformed) = %q, %+v", key, msg)
	}
}

func TestDeliveryLine(t *testing.T) {
	n := &streams.Notification{UserID: "u-1", OrderID: "o-1", RestaurantID: "r-1", Status: order.StatusReady, Message: "ready"}
	b, _ := new(streams.NotificationCodec).Encode(n)
	got, err := deliveryLine("sms", amqp.Delivery{Body: b, MessageId: "m-1"})
	want := `{"channel":"sms","user":"u-1","order":"o-1","status":"ready","message":"ready","message_id":"m-1"}` + "\n"
	if err != nil || string(got) != want {
		t.Errorf("deliveryLine = %s, %v; want %s", got, err, want)
	}
	for _, body := range []string{"", "not json", `{"user_id":"u-1"}`} {
		if _, err := deliveryLine("sms", amqp.Delivery{Body: []byte(body)}); err == nil {
			t.Errorf("deliveryLine(%q): no error", body)
		}
	}
}

func TestDeliveryCount(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want int64
	}{{nil, 0}, {int64(3), 3}, {int32(2), 2}, {int(1), 1}, {"x", 0}} {
		d := amqp.Delivery{Headers: amqp.Table{}}
		if tc.v != nil {
			d.Headers["x-delivery-count"] = tc.v
		}
		if got := deliveryCount(d); got != tc.want {
			t.Errorf("deliveryCount(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}

func TestWorkerConfigValidate(t *testing.T) {
	ok := WorkerConfig{Channel: "email", Keys: []string{"#"}, Workers: 1}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, c := range []WorkerConfig{
		{Channel: "fax", Keys: []string{"#"}, Workers: 1},
		{Channel: "sms", Workers: 1},
		{Channel: "sms", Keys: []string{"#"}},
		{Channel: "sms", Keys: []string{"#"}, Workers: 1, SendTime: -time.Second},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v): no error", c)
		}
	}
}

func TestSupervised(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	fast := supervise.Options{Backoff: supervise.Backoff{Initial: time.Millisecond, Max: time.Millisecond}}
	t.Run("refused login stops", func(t *testing.T) {
		calls := 0
		err := supervised(context.Background(), fast, logger, "test", func(context.Context) error {
			calls++
			if calls < 3 {
				return errors.New("connection refused")
			}
			return amqp.ErrCredentials
		})
		if !errors.Is(err, amqp.ErrCredentials) || calls != 3 {
			t.Errorf("supervised = %v after %d calls, want the credentials error after 3", err, calls)
		}
	})
	t.Run("context ends", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		calls := 0
		err := supervised(ctx, fast, logger, "test", func(context.Context) error {
			if calls++; calls == 2 {
				cancel()
			}
			return errors.New("connection refused")
		})
		if err != nil || calls != 2 {
			t.Errorf("supervised = %v after %d calls, want nil after 2", err, calls)
		}
	})
	t.Run("malformed URL", func(t *testing.T) {
		_, err := dial("http://nowhere")
		if _, perm := supervise.Classify(err); !perm {
			t.Errorf("dial(http://nowhere) = %v, want a permanent error", err)
		}
	})
}
