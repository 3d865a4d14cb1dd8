package ingest

import "openwit/storage/catalog"

// AlterTable takes the definition of a known table that ALTER TABLE
// changed on this node (catalog.AlterTable: columns dropped, added with a
// missing value, NOT NULL or defaults changed; docs/design/071). Buffered
// rows are conformed to the new schema at once: a dropped column's values
// leave the buffers (WAL records keep them, and replay leaves them out), an
// added column reads its missing value. A definition of an unknown table
// is ignored.
func (in *Ingester) AlterTable(t *catalog.Table) error { return in.redefine(t, true) }
