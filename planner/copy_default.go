package planner

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/storage/catalog"
)

// copyDefault is a column COPY leaves out that has a DEFAULT: every row
// gets the DEFAULT's value, as in PostgreSQL.
type copyDefault struct {
	col  int
	def  *sql.ColumnDefaultValue
	ctx  *sql.Context
	cval catalog.Column
}

// addDefault records the DEFAULT of column i, which the COPY leaves out.
// The time column must be in the list: its value places the row in a
// shard before the row is built.
func (in *CopyIn) addDefault(ctx *sql.Context, i int, col catalog.Column) error {
	if col.Name == in.t.TimeColumn {
		return pgerror.New(pgerror.FeatureNotSupported,
			"COPY without the time column %q is not supported (its DEFAULT is applied by INSERT only): list the column", col.Name)
	}
	cd, err := in.e.columnDefault(ctx, col)
	if err != nil {
		return err
	}
	in.defaults = append(in.defaults, copyDefault{col: i, def: cd, ctx: ctx, cval: col})
	return nil
}

// appendDefaults appends the DEFAULT values of the columns the COPY leaves
// out to the row being built in b.
func (in *CopyIn) appendDefaults(b *array.RecordBuilder) error {
	for _, d := range in.defaults {
		v, err := d.def.Eval(d.ctx, nil)
		if err != nil {
			return mapError(err)
		}
		if v == nil && d.cval.NotNull {
			return pgerror.New(pgerror.NotNullViolation, "null value in column %q of relation %q violates not-null constraint", d.cval.Name, in.t.Name)
		}
		if err := appendCopyValue(b.Field(d.col), d.cval, copyWireValue(v)); err != nil {
			return err
		}
		in.bytes += 8
	}
	return nil
}

// copyWireValue turns an evaluated value into the form appendCopyValue
// takes (the decoded wire values: int64, float64, numeric as text, ...).
func copyWireValue(v any) any {
	switch x := v.(type) {
	case int8:
		return x != 0 // go-mysql-server's booleans
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case uint32:
		return int64(x)
	case float32:
		return float64(x)
	case decimal.Decimal:
		return x.String()
	case time.Time, []byte, string, bool, int64, float64:
		return x
	case interface{ String() string }: // jsonb documents
		return x.String()
	}
	return v
}
