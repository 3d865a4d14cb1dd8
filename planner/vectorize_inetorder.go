package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"

	"openwit/exec"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// Ordering by inet and cidr columns on the executor (design 092): a top-k
// key over such a column sorts in network order (exec.OrderInet), and
// min/max of one are exec's min_inet/max_inet (vectorize.go's aggregate).

// topKField is one key of a top-k: a column of the Sort's input with its
// direction and NULL placement.
type topKField struct {
	col        *expression.GetField
	desc       bool
	nullsFirst bool
}

// topKFields reads a Sort's fields as top-k keys. PostgreSQL's default
// NULL placement (last ascending, first descending) is the plain field
// (postgresNullOrdering set NullsLast on every field); an explicit NULLS
// FIRST/LAST that differs from it arrives as a leading "x IS NULL" field
// (DESC for NULLS FIRST, ASC for NULLS LAST) before x's own field, and
// becomes x's NULL placement here. same reports whether two fields read
// the same column.
func topKFields(fields sql.SortFields, same func(x, y *expression.GetField) bool) ([]topKField, bool) {
	var out []topKField
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if f.NullOrdering != sql.NullsLast {
			return nil, false
		}
		if isNull, ok := f.Column.(*expression.IsNull); ok && i+1 < len(fields) {
			x, ok1 := isNull.Child.(*expression.GetField)
			y, ok2 := fields[i+1].Column.(*expression.GetField)
			if !ok1 || !ok2 || !same(x, y) || fields[i+1].NullOrdering != sql.NullsLast {
				return nil, false
			}
			next := fields[i+1]
			out = append(out, topKField{col: y, desc: next.Order == sql.Descending, nullsFirst: f.Order == sql.Descending})
			i++
			continue
		}
		gf, ok := f.Column.(*expression.GetField)
		if !ok {
			return nil, false
		}
		desc := f.Order == sql.Descending
		// PostgreSQL: NULLs are larger than every value.
		out = append(out, topKField{col: gf, desc: desc, nullsFirst: desc})
	}
	return out, true
}

// topKKey returns the sort key for a column of type gf.Type() (its Col and
// direction unset), ok false when the top-k cannot order it.
func topKKey(gf *expression.GetField) (exec.SortKey, bool) {
	if isInet, _ := pgtypes.IsInet(gf.Type()); isInet {
		return exec.SortKey{Order: exec.OrderInet}, true
	}
	return exec.SortKey{}, textOrdered(gf.Type())
}

// inetMinMaxArg returns the scan column of a min/max argument that is an
// inet/cidr column, or such a column cast to inet (minMaxCIDR's rewrite of
// min(cidr): the stored cidr text is read back as inet for the output).
func (c *compiler) inetMinMaxArg(x sql.Expression) (*exec.Expr, bool) {
	if cast, ok := x.(*pgexpr.Cast); ok && cast.To == storage.TypeInet {
		x = cast.Child
	}
	return c.inetColumn(x)
}
