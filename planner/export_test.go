package planner

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage/catalog"
)

// TableDef exposes the table definition cache to tests.
func (e *Engine) TableDef(ctx context.Context, name string) (*catalog.Table, error) {
	return e.tableDef(ctx, name)
}

// ArrowSchema exposes the table's Arrow schema to tests.
func (e *Engine) ArrowSchema(t *catalog.Table) (*arrow.Schema, error) { return e.arrowSchema(t) }

// PruneMemoStats returns the number of answers the engine's pruneMemo
// holds and has served.
func (e *Engine) PruneMemoStats() (entries int, hits int64) {
	if e.prunes == nil {
		return 0, 0
	}
	e.prunes.mu.Lock()
	defer e.prunes.mu.Unlock()
	return e.prunes.lru.Len(), e.prunes.hits
}

// Plans returns how many statements the engine has bound and analyzed.
func (e *Engine) Plans() int64 { return e.plans.Load() }
