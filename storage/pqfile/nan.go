package pqfile

import (
	"encoding/json"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// nanColumnsKey holds, as a JSON array of names, the floating-point
// columns of the file that hold at least one NaN. Parquet statistics
// leave NaN out of min and max, and NaN sorts after every number in
// PostgreSQL, so a reader that ranks by the maximum (ORDER BY x DESC
// LIMIT k) may trust a float column's maximum only when it knows the
// column has no NaN. A file without the key (older files, other writers)
// says nothing: every float column may hold NaN.
const nanColumnsKey = "openwit:nan_columns"

// nanColumnNames returns the names of schema's columns flagged in has (the
// float columns a writer saw holding a NaN), JSON encoded for nanColumnsKey.
func nanColumnNames(schema *arrow.Schema, has []bool) string {
	names := []string{}
	for i, f := range schema.Fields() {
		if has[i] {
			names = append(names, f.Name)
		}
	}
	out, _ := json.Marshal(names) // strings only: cannot fail
	return string(out)
}

// hasNaN reports whether a float array holds a NaN (NULL slots are not
// looked at: their bytes are undefined).
func hasNaN(a arrow.Array) bool {
	switch x := a.(type) {
	case *array.Float64:
		for i, v := range x.Float64Values() {
			if v != v && x.IsValid(i) {
				return true
			}
		}
	case *array.Float32:
		for i, v := range x.Float32Values() {
			if v != v && x.IsValid(i) {
				return true
			}
		}
	}
	return false
}

// NaNFree reports whether the file records that column holds no NaN
// (false when it holds one, or the file does not say: see nanColumnsKey).
// A column that is not floating point holds no NaN.
func (r *Reader) NaNFree(column string) bool {
	fi, err := r.fieldIndex(column)
	if err != nil {
		return false
	}
	switch r.schema.Field(fi).Type.ID() {
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
	default:
		return true
	}
	v := r.pf.MetaData().KeyValueMetadata().FindValue(nanColumnsKey)
	if v == nil {
		return false
	}
	var names []string
	if json.Unmarshal([]byte(*v), &names) != nil {
		return false
	}
	return !slices.Contains(names, column)
}
