package ingest_test

import (
	"testing"

	"github.com/orderstream/orderstream/internal/testutil"
	"github.com/orderstream/orderstream/processors/exactly"
	"github.com/orderstream/orderstream/processors/ingest"
)

// TestGoldenPlacement pins the JSON of orders-by-id.
func TestGoldenPlacement(t *testing.T) {
	p := &ingest.Placement{Order: testutil.ValidOrder(), Source: exactly.Pos{Partition: 3, Offset: 1234}}
	testutil.GoldenCodec(t, "placement", ingest.PlacementCodec{}, p)
}
