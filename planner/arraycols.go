package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
)

// Array columns (docs/design/072) are Arrow lists of nullable elements. In
// the engine an array is its text form ({a,"b c",NULL}), as every array
// value is (pgtypes.ArrayType); storing one parses that text with
// PostgreSQL's array input rules and the element type's input function,
// reading one formats the elements as PostgreSQL's array output does.

// storedArray is an array parsed for storing: its elements as the element
// type's engine values (nil = NULL).
type storedArray []any

// arrayColumns returns the indexes of def's array columns.
func arrayColumns(def *catalog.Table) []int {
	var out []int
	for i, c := range def.Columns {
		if _, ok := storage.ArrayElem(c.Type); ok {
			out = append(out, i)
		}
	}
	return out
}

// parseArrayInput parses v (an array's text form, as a string or bytes)
// into elements of the canonical type elem: 22P02 for a malformed literal
// or element, 0A000 for more dimensions or a lower bound other than 1.
func parseArrayInput(ctx *sql.Context, elem string, v any) (storedArray, error) {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case []byte:
		s = string(x)
	case storedArray:
		return x, nil
	default:
		return nil, pgerror.New(pgerror.DatatypeMismatch, "expected an array, got %T", v)
	}
	_, texts, err := pgtypes.ArrayInput(s)
	if err != nil {
		return nil, err
	}
	out := make(storedArray, len(texts))
	for i, t := range texts {
		if t == nil {
			continue
		}
		if x, ok, err := elemInputTypmod(elem, *t); ok {
			if err != nil {
				return nil, err
			}
			out[i] = x
			continue
		}
		if x, ok := fastElem(elem, *t); ok {
			out[i] = x
			continue
		}
		if x, ok := fastNumericElem(elem, *t); ok {
			out[i] = x
			continue
		}
		if ctx == nil {
			ctx = sql.NewEmptyContext()
		}
		x, err := pgexpr.CastValue(ctx, *t, types.LongText, elem)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// arrayValues replaces the values of the array columns in row by their
// parsed elements, checking every one before any is stored; row is copied
// first when one changes.
func (t *table) arrayValues(ctx *sql.Context, row sql.Row) (sql.Row, error) {
	copied := false
	for _, i := range t.arrays {
		if row[i] == nil {
			continue
		}
		elem, _ := storage.ArrayElem(t.def.Columns[i].Type)
		els, err := parseArrayInput(ctx, elem, row[i])
		if err != nil {
			return nil, err
		}
		if !copied {
			row, copied = row.Copy(), true
		}
		row[i] = els
	}
	return row, nil
}

// appendList appends an array to a list builder: parsed elements, or a
// text form parsed with the element type of the builder's column.
func appendList(lb *array.ListBuilder, elem string, v any) error {
	els, err := parseArrayInput(nil, elem, v)
	if err != nil {
		return err
	}
	vb := lb.ValueBuilder()
	lb.Append(true)
	for _, x := range els {
		if err := appendValue(vb, x); err != nil {
			return err
		}
	}
	return nil
}

// arrayElemType returns the canonical element type of a list builder's
// column from its Arrow element type.
func arrayElemType(dt arrow.DataType) (string, error) {
	lt, ok := dt.(*arrow.ListType)
	if !ok {
		return "", fmt.Errorf("not a list: %s", dt)
	}
	switch lt.Elem().ID() {
	case arrow.STRING:
		return storage.TypeText, nil
	case arrow.INT16:
		return storage.TypeInt2, nil
	case arrow.INT32:
		return storage.TypeInt4, nil
	case arrow.INT64:
		return storage.TypeInt8, nil
	case arrow.FLOAT32:
		return storage.TypeFloat4, nil
	case arrow.FLOAT64:
		return storage.TypeFloat8, nil
	case arrow.BOOL:
		return storage.TypeBool, nil
	case arrow.DATE32:
		return storage.TypeDate, nil
	}
	if elem, ok := arrayElemTypeMore(lt.Elem()); ok {
		return elem, nil
	}
	return "", fmt.Errorf("arrays of %s are not supported", lt.Elem())
}

// listText formats list element i as PostgreSQL's array output does.
func listText(ctx *sql.Context, l *array.List, i int) (string, error) {
	start, end := l.ValueOffsets(i)
	vals := l.ListValues()
	out := make([]*string, 0, end-start)
	for j := int(start); j < int(end); j++ {
		if vals.IsNull(j) {
			out = append(out, nil)
			continue
		}
		var s string
		switch a := vals.(type) {
		case *array.String:
			s = a.Value(j)
		case *array.Int16:
			s = strconv.FormatInt(int64(a.Value(j)), 10)
		case *array.Int32:
			s = strconv.FormatInt(int64(a.Value(j)), 10)
		case *array.Int64:
			s = strconv.FormatInt(a.Value(j), 10)
		case *array.Float32:
			s = pgexpr.FormatFloat(float64(a.Value(j)), 32)
		case *array.Float64:
			s = pgexpr.FormatFloat(a.Value(j), 64)
		case *array.Boolean:
			s = "f"
			if a.Value(j) {
				s = "t"
			}
		case *array.Date32:
			d := a.Value(j).ToTime().UTC()
			if s = pgtypes.InfinityText(d); s == "" {
				s = d.Format("2006-01-02")
			}
		default:
			var err error
			if s, err = listElemText(ctx, vals, j); err != nil {
				return "", err
			}
		}
		out = append(out, &s)
	}
	return pgtypes.FormatArrayText(out), nil
}

// appendCopyArray appends a COPY value (the array's text form, which the
// gateway also renders binary input into) to an array column's builder.
// The elements are checked before the list is started, so a rejected
// value leaves the builder as it was.
func appendCopyArray(lb *array.ListBuilder, c catalog.Column, v any) error {
	elem, ok := storage.ArrayElem(c.Type)
	if !ok {
		return pgerror.New(pgerror.DatatypeMismatch, "column %q: not an array column", c.Name)
	}
	return appendList(lb, elem, v)
}

// fastElem reads the common spellings of an element without the cast
// machinery: text as it is, decimal integers within range, plain decimal
// floats, and t/f/true/false. ok is false for everything else, which
// pgexpr.CastValue reads (with its errors).
func fastElem(elem, s string) (any, bool) {
	switch elem {
	case storage.TypeText, storage.TypeVarchar:
		return s, true
	case storage.TypeInt2, storage.TypeInt4, storage.TypeInt8:
		bits := map[string]int{storage.TypeInt2: 16, storage.TypeInt4: 32, storage.TypeInt8: 64}[elem]
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, false
		}
		switch bits {
		case 16:
			return int16(i), true
		case 32:
			return int32(i), true
		}
		return i, true
	case storage.TypeFloat4, storage.TypeFloat8:
		for j := 0; j < len(s); j++ {
			if c := s[j]; (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
				return nil, false
			}
		}
		if elem == storage.TypeFloat4 {
			f, err := strconv.ParseFloat(s, 32)
			if err != nil || f == 0 && strings.ContainsAny(s, "123456789") {
				return nil, false // out of range, or an underflow PostgreSQL reports
			}
			return float32(f), true
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f == 0 && strings.ContainsAny(s, "123456789") {
			return nil, false
		}
		return f, true
	case storage.TypeBool:
		switch s {
		case "t", "true":
			return true, true
		case "f", "false":
			return false, true
		}
	}
	return nil, false
}
