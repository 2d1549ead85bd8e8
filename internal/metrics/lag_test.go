package metrics

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
)

func TestLagCollectorKeepsFiguresOfFailedGroups(t *testing.T) {
	c := newLagCollector()
	logger := slog.New(slog.DiscardHandler)
	c.set(kadm.DescribedGroupLags{
		"registry": {Group: "registry", Lag: kadm.GroupLag{"orders-by-id": {
			0: {Topic: "orders-by-id", Partition: 0, Lag: 4},
			1: {Topic: "orders-by-id", Partition: 1, Lag: -1, Err: errors.New("no end offset")},
		}}},
		"ingest": {Group: "ingest", Lag: kadm.GroupLag{"orders": {0: {Topic: "orders", Partition: 0, Lag: 7}}}},
	}, logger)
	// The next refresh fails to describe ingest: its last figure stays.
	c.set(kadm.DescribedGroupLags{
		"registry": {Group: "registry", Lag: kadm.GroupLag{"orders-by-id": {0: {Topic: "orders-by-id", Partition: 0, Lag: 0}}}},
		"ingest":   {Group: "ingest", DescribeErr: errors.New("coordinator moving")},
	}, logger)

	const want = `
# HELP orderstream_consumergroup_lag Records of a topic partition a consumer group has yet to consume: the high watermark minus the group's committed offset (the partition's start offset if it committed none), refreshed every few seconds.
# TYPE orderstream_consumergroup_lag gauge
orderstream_consumergroup_lag{group="ingest",partition="0",topic="orders"} 7
orderstream_consumergroup_lag{group="registry",partition="0",topic="orders-by-id"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
