package exec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// rtrim is OpRTrim: a string column's values without their trailing
// blanks, which is how PostgreSQL compares char(n) values (and converts
// them to text).
type rtrim struct{ arg value }

func compileRTrim(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("exec: rtrim takes 1 argument")
	}
	arg, err := compileValue(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	if arg.typ().ID() != arrow.STRING {
		return nil, unsupported("rtrim of %s", arg.typ())
	}
	return &rtrim{arg: arg}, nil
}

func (r *rtrim) typ() arrow.DataType { return arrow.BinaryTypes.String }

func (r *rtrim) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	in, err := r.arg.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer in.Release()
	s := in.(*array.String)
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(s.Len())
	for i := 0; i < s.Len(); i++ {
		if s.IsNull(i) {
			b.AppendNull()
			continue
		}
		b.Append(strings.TrimRight(s.Value(i), " "))
	}
	return b.NewArray(), nil
}
