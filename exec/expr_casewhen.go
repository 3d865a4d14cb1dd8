package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OpCaseWhen is CASE WHEN Args[0] THEN Args[1] END: the value of Args[1]
// where the predicate Args[0] is TRUE, NULL where it is FALSE or NULL.
// Without Args[1] the value is TRUE there: count(CASE WHEN p THEN 1 END),
// which is what count(*) FILTER (WHERE p) becomes, counts it. Dashboards
// compute error rates this way (docs/design/080-dashboard-group-keys.md).
const OpCaseWhen Op = "case_when"

// CaseWhen returns CASE WHEN cond THEN then END (then nil: TRUE).
func CaseWhen(cond, then *Expr) *Expr {
	if then == nil {
		return Call(OpCaseWhen, cond)
	}
	return Call(OpCaseWhen, cond, then)
}

func compileCaseWhen(e *Expr, schema *arrow.Schema) (value, error) {
	if len(e.Args) != 1 && len(e.Args) != 2 {
		return nil, fmt.Errorf("exec: case_when takes a condition and at most one value")
	}
	p, err := compilePredicate(e.Args[0], schema)
	if err != nil {
		return nil, err
	}
	cw := &caseWhen{cond: p}
	if len(e.Args) == 2 {
		if cw.then, err = compileValue(e.Args[1], schema); err != nil {
			return nil, err
		}
	}
	return cw, nil
}

type caseWhen struct {
	cond predicate
	then value // nil: TRUE
}

func (c *caseWhen) typ() arrow.DataType {
	if c.then == nil {
		return arrow.FixedWidthTypes.Boolean
	}
	return c.then.typ()
}

func (c *caseWhen) eval(mem memory.Allocator, rec arrow.RecordBatch) (arrow.Array, error) {
	n := int(rec.NumRows())
	mask := make([]bool, n)
	if err := c.cond.test(mem, rec, mask, nil); err != nil {
		return nil, err
	}
	if c.then == nil {
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(n)
		for _, m := range mask {
			if m {
				b.UnsafeAppend(true)
			} else {
				b.UnsafeAppendBoolToBitmap(false)
			}
		}
		return b.NewArray(), nil
	}
	v, err := c.then.eval(mem, rec)
	if err != nil {
		return nil, err
	}
	defer v.Release()
	// The value's buffers with a validity bitmap that is also false where
	// the condition is not TRUE. The bitmap keeps the data's offset.
	d := v.Data()
	off := d.Offset()
	bits := memory.NewResizableBuffer(mem)
	bits.Resize(int(bitutil.BytesForBits(int64(off + n))))
	out := bits.Bytes()
	clear(out)
	nulls := 0
	for i := range n {
		if mask[i] && v.IsValid(i) {
			bitutil.SetBit(out, off+i)
		} else {
			nulls++
		}
	}
	bufs := append([]*memory.Buffer{bits}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), n, bufs, d.Children(), nulls, off)
	bits.Release()
	defer nd.Release()
	if dict := d.Dictionary(); dict != nil {
		nd.SetDictionary(dict)
	}
	return array.MakeFromData(nd), nil
}
