package ingest_test

import (
	"testing"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
	"github.com/orderstream/orderstream/processors/streams"
)

// TestGoldenPlacedRequest pins the JSON of the placed requests ingest
// writes to status-requests.
func TestGoldenPlacedRequest(t *testing.T) {
	p := &ingest.Placement{Order: testutil.ValidOrder(), Source: exactly.Pos{Partition: 3, Offset: 1234}}
	testutil.GoldenCodec(t, "placed_request", streams.RequestCodec{}, p.Request())
}
