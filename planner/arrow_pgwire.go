package planner

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgtypes"
)

// RecordSchema is the Arrow schema of the batches NextRecord returns, for
// a fully vectorized query whose every result value is the plain value of
// its Arrow type (see pgwire.RecordRows), or nil: then read the rows with
// Next. It must be asked before the first Next.
func (r *Rows) RecordSchema() *arrow.Schema {
	it, ok := r.iter.(*arrowRowIter)
	if !ok || r.started || r.insert || r.rows != nil || len(it.schema) != it.ar.schema.NumFields() {
		return nil
	}
	for i, f := range it.ar.schema.Fields() {
		if !plainValue(f.Type, it.schema[i].Type) {
			return nil
		}
	}
	return it.ar.schema
}

// NextRecord returns the next batch of a query RecordSchema described, or
// io.EOF; the caller releases it. Its values are those Next would return.
func (r *Rows) NextRecord(ctx context.Context) (arrow.RecordBatch, error) {
	it, ok := r.iter.(*arrowRowIter)
	if !ok || r.closed {
		return nil, io.EOF
	}
	r.started = true
	rec, err := it.ar.Next()
	if err != nil && err != io.EOF && r.tx != nil {
		r.tx.failed = true
	}
	return rec, err
}

// plainValue reports whether the row path (arrowValue, then pgtypes.Value
// for the result column's type) turns a value of Arrow type at into the
// plain Go value of at that pgwire.RecordRows names: int64 for integers,
// the float, the string, bool, the UTC time.
func plainValue(at arrow.DataType, t sql.Type) bool {
	oid, _ := pgtypes.OID(t)
	switch at.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return oid == pgtypes.OIDInt2 || oid == pgtypes.OIDInt4 || oid == pgtypes.OIDInt8
	case arrow.FLOAT32:
		return oid == pgtypes.OIDFloat4
	case arrow.FLOAT64:
		return oid == pgtypes.OIDFloat8
	case arrow.STRING:
		// Not JSON (arrowValue parses it), bytea, numeric, time or interval.
		return oid == pgtypes.OIDText || oid == pgtypes.OIDVarchar || oid == pgtypes.OIDBPChar || oid == pgtypes.OIDName
	case arrow.BOOL:
		return oid == pgtypes.OIDBool
	case arrow.TIMESTAMP:
		return at.(*arrow.TimestampType).Unit == arrow.Microsecond &&
			(oid == pgtypes.OIDTimestampTZ || oid == pgtypes.OIDTimestamp)
	case arrow.DATE32:
		return oid == pgtypes.OIDDate
	}
	return false
}
