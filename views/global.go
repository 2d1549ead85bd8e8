package views

import (
	"fmt"

	"github.com/orderstream/orderstream/processors/global"
)

// Global is the typed view of global.Table.
type Global struct{ t *table }

// Summary adds up the shards of the global table: one per partition of the
// restaurant and user processors, so a handful, read on every call.
func (g *Global) Summary() (global.Summary, error) {
	var shards []*global.Shard
	err := each(g.t, func(_ string, s *global.Shard) error {
		shards = append(shards, s)
		return nil
	})
	if err != nil {
		return global.Summary{}, fmt.Errorf("global summary: %w", err)
	}
	return global.Summarize(shards), nil
}
