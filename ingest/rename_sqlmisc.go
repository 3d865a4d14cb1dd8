package ingest

import "openwit/storage/catalog"

// RenameTable takes the definition of a known table that was renamed, or
// one of whose columns was (catalog.RenameTable, RenameColumn). The data
// names of the columns (catalog.Column.FieldName) do not change with a
// rename, so the buffered rows, the WAL records and the files stay as
// they are; only the definition is replaced. A definition with another
// number of columns, or of an unknown table, is ignored.
func (in *Ingester) RenameTable(t *catalog.Table) {
	in.mu.Lock()
	defer in.mu.Unlock()
	ts := in.tables[t.ID]
	if ts == nil || len(ts.table.Columns) != len(t.Columns) {
		return
	}
	ts.table = t
}
