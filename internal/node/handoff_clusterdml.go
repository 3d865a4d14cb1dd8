package node

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/ingest"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/handoff"
)

// refreshingPublisher hands buffers off to the storage nodes and, when a
// hand-off is refused because this node's definition of the table is
// stale (a column change or rename made on another node that has not
// reached it yet: handoff.ErrStaleSchema, or the table not found under
// its old name), reloads the definition from the catalog, conforms the
// rows to it and hands them off again, instead of failing (or, for a
// rename, dropping the rows as if the table were gone).
// docs/design/078-cluster-dml.md.
type refreshingPublisher struct {
	n    *Node
	next ingest.Publisher
}

var _ ingest.Publisher = (*refreshingPublisher)(nil)

// Publish implements ingest.Publisher.
func (p *refreshingPublisher) Publish(ctx context.Context, writer string, t *catalog.Table, shard int64, batches []arrow.RecordBatch, maxLSN uint64) (*catalog.File, error) {
	f, err := p.next.Publish(ctx, writer, t, shard, batches, maxLSN)
	if err == nil || !(errors.Is(err, handoff.ErrStaleSchema) || errors.Is(err, catalog.ErrNotFound)) {
		return f, err
	}
	fresh, ferr := p.current(ctx, t.ID)
	if ferr != nil || fresh == nil {
		return f, err // dropped, or the catalog cannot say: as before
	}
	if fresh.Name == t.Name && handoff.SchemaID(fresh) == handoff.SchemaID(t) {
		return f, err // not stale: refused for another reason
	}
	p.n.log.Info("hand-off refused for a stale table definition; reloading it and handing off again",
		"table", t.Name, "now", fresh.Name, "err", err)
	if p.n.eng != nil {
		if rerr := p.n.eng.ReloadTables(ctx); rerr != nil {
			p.n.log.Warn("reload table definitions", "err", rerr)
		}
	} else if p.n.ing != nil {
		_ = p.n.ing.AlterTable(fresh)
	}
	schema, serr := storage.ArrowSchema(fresh)
	if serr != nil {
		return nil, serr
	}
	mem := memory.NewGoAllocator()
	conformed := make([]arrow.RecordBatch, 0, len(batches))
	defer func() {
		for _, b := range conformed {
			b.Release()
		}
	}()
	for _, b := range batches {
		c, cerr := storage.Conform(mem, b, schema)
		if cerr != nil {
			return nil, cerr
		}
		conformed = append(conformed, c)
	}
	return p.next.Publish(ctx, writer, fresh, shard, conformed, maxLSN)
}

// current is the catalog's definition of the table with this id, nil when
// there is none.
func (p *refreshingPublisher) current(ctx context.Context, id int64) (*catalog.Table, error) {
	tables, err := p.n.cat.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, nil
}
