package planner

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/storage"
	"openwit/storage/catalog"
)

// copyArrays are what COPY FROM needs to read a row's array values before
// any of the row is appended (docs/design/083): the session's context, so
// that timestamptz elements without an offset are read in its TimeZone, as
// PostgreSQL reads them.
type copyArrays struct {
	ctx *sql.Context
}

// newCopyArrays returns the array readers of a COPY into t, or nil when t
// has no timestamptz[] column: the elements of the others read the same
// without the session, on the unboxed path (AppendValues), which is
// faster (design 083 measured it).
func newCopyArrays(ctx context.Context, s *Session, t *catalog.Table) *copyArrays {
	for _, i := range arrayColumns(t) {
		if elem, _ := storage.ArrayElem(t.Columns[i].Type); elem == storage.TypeTimestampTZ {
			return &copyArrays{ctx: s.sqlContext(ctx)}
		}
	}
	return nil
}

// parse replaces the array values of row (incoming order; target maps to
// table columns) by their parsed elements, every one checked before the
// row is appended; row is copied first when one changes.
func (a *copyArrays) parse(in *CopyIn, row []any) ([]any, error) {
	copied := false
	for k, v := range row {
		if v == nil {
			continue
		}
		c := in.t.Columns[in.target[k]]
		elem, ok := storage.ArrayElem(c.Type)
		if !ok {
			continue
		}
		els, err := parseArrayInput(a.ctx, elem, v)
		if err != nil {
			return nil, err
		}
		if !copied {
			row, copied = append([]any(nil), row...), true
		}
		row[k] = els
	}
	return row, nil
}
