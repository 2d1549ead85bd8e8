package testutil

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/orderstream/orderstream/internal/kafkaconf"
	"github.com/orderstream/orderstream/internal/kgoconf"
)

// KafkaClient returns a franz-go client of kc with opts, closed when the
// test ends.
func KafkaClient(t testing.TB, kc kafkaconf.Config, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	base, err := kgoconf.Options(kc)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}
