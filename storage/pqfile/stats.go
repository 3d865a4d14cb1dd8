package pqfile

import (
	"bytes"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// RowGroupStats returns the statistics of column in row group rowGroup, as
// Go values by Arrow type:
//
//	Int16, Int32, Int64       int64
//	Date32                    int64 (days since the epoch)
//	Timestamp                 int64 (microseconds since the epoch; min
//	                          rounded down, max up, when stored in another unit)
//	Float32, Float64          float64
//	String                    string
//	Binary                    []byte
//	Boolean                   bool
//
// nulls is the number of nulls, -1 when the file does not record it. ok is
// false when the file has no usable statistics for the column: no such row
// group or column, a type outside the table (Decimal128 among them), or a
// chunk whose min and max were not kept (a value over the 4 KiB statistics
// limit). A chunk of nulls only has ok true with min and max nil.
func (r *Reader) RowGroupStats(rowGroup int, column string) (min, max any, nulls int64, ok bool) {
	defer func() {
		if recover() != nil { // malformed statistics
			min, max, nulls, ok = nil, nil, 0, false
		}
	}()
	if rowGroup < 0 || rowGroup >= r.pf.NumRowGroups() {
		return nil, nil, 0, false
	}
	fi, err := r.fieldIndex(column)
	if err != nil {
		return nil, nil, 0, false
	}
	sf := &r.manifest.Fields[fi]
	if !sf.IsLeaf() {
		return nil, nil, 0, false
	}
	rg := r.pf.MetaData().RowGroup(rowGroup)
	cc, err := rg.ColumnChunk(sf.ColIndex)
	if err != nil {
		return nil, nil, 0, false
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		return nil, nil, 0, false
	}
	nulls = -1
	if st.HasNullCount() {
		nulls = st.NullCount()
	}
	if !st.HasMinMax() {
		if nulls >= 0 && nulls == rg.NumRows() {
			return nil, nil, nulls, true
		}
		return nil, nil, 0, false
	}
	min, max, ok = statValues(r.schema.Field(fi).Type, r.pf.MetaData().Schema.Column(sf.ColIndex), st)
	if !ok {
		return nil, nil, 0, false
	}
	return min, max, nulls, true
}

// statValues converts typed Parquet statistics to the Go values of
// RowGroupStats.
func statValues(typ arrow.DataType, col *schema.Column, st metadata.TypedStatistics) (min, max any, ok bool) {
	switch typ.ID() {
	case arrow.INT16, arrow.INT32, arrow.DATE32:
		s, ok := st.(*metadata.Int32Statistics)
		if !ok {
			return nil, nil, false
		}
		return int64(s.Min()), int64(s.Max()), true
	case arrow.INT64:
		s, ok := st.(*metadata.Int64Statistics)
		if !ok {
			return nil, nil, false
		}
		return s.Min(), s.Max(), true
	case arrow.TIMESTAMP:
		s, ok := st.(*metadata.Int64Statistics)
		if !ok {
			return nil, nil, false
		}
		// TimestampLogicalType is a value type; match on its method.
		lt, ok := col.LogicalType().(interface{ TimeUnit() schema.TimeUnitType })
		if !ok {
			return nil, nil, false
		}
		switch lt.TimeUnit() {
		case schema.TimeUnitMillis:
			return s.Min() * 1000, s.Max() * 1000, true
		case schema.TimeUnitMicros:
			return s.Min(), s.Max(), true
		case schema.TimeUnitNanos:
			return floorDiv(s.Min(), 1000), -floorDiv(-s.Max(), 1000), true
		}
		return nil, nil, false
	case arrow.FLOAT32:
		s, ok := st.(*metadata.Float32Statistics)
		if !ok {
			return nil, nil, false
		}
		return float64(s.Min()), float64(s.Max()), true
	case arrow.FLOAT64:
		s, ok := st.(*metadata.Float64Statistics)
		if !ok {
			return nil, nil, false
		}
		return s.Min(), s.Max(), true
	case arrow.BOOL:
		s, ok := st.(*metadata.BooleanStatistics)
		if !ok {
			return nil, nil, false
		}
		return s.Min(), s.Max(), true
	case arrow.STRING, arrow.LARGE_STRING:
		s, ok := st.(*metadata.ByteArrayStatistics)
		if !ok {
			return nil, nil, false
		}
		return string(s.Min()), string(s.Max()), true
	case arrow.BINARY, arrow.LARGE_BINARY:
		s, ok := st.(*metadata.ByteArrayStatistics)
		if !ok {
			return nil, nil, false
		}
		return bytes.Clone(s.Min()), bytes.Clone(s.Max()), true
	}
	return nil, nil, false
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
