package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCase: OpCase takes the first branch whose condition is TRUE (a NULL
// condition is not), the ELSE otherwise (NULL without one), over sliced
// batches; text branches mix literals, plain and dictionary strings;
// integer columns widen into integer and float CASEs; mismatched branches
// are refused at compile time. No Arrow memory is left behind.
func TestCase(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 200
	sb := array.NewInt32Builder(mem)
	lb := array.NewStringBuilder(mem)
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	fb := array.NewFloat64Builder(mem)
	var status []*int32
	var level []*string
	for i := range n {
		if i%9 == 4 {
			sb.AppendNull()
			status = append(status, nil)
		} else {
			s := int32([]int{200, 301, 404, 500, 503}[i%5])
			sb.Append(s)
			status = append(status, &s)
		}
		if i%7 == 2 {
			lb.AppendNull()
			db.AppendNull()
			level = append(level, nil)
		} else {
			s := []string{"error", "info", "warn"}[i%3]
			lb.Append(s)
			if err := db.AppendString(s); err != nil {
				t.Fatal(err)
			}
			level = append(level, &s)
		}
		fb.Append(float64(i) / 8)
	}
	cols := []arrow.Array{sb.NewArray(), lb.NewArray(), db.NewArray(), fb.NewArray()}
	sb.Release()
	lb.Release()
	db.Release()
	fb.Release()
	schema := schemaOf(field("status", cols[0].DataType()), field("level", cols[1].DataType()), field("dlevel", cols[2].DataType()), field("v", cols[3].DataType()))
	full := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	defer full.Release()
	ge := func(k int64) *Expr { return Call(OpGe, Col(0), Int(k)) }
	// class is the first of >=500, >=400, >=300 that holds, -1 for none.
	class := func(i int) int {
		if status[i] == nil {
			return -1
		}
		for k, lim := range []int32{500, 400, 300} {
			if *status[i] >= lim {
				return k
			}
		}
		return -1
	}
	conds := []*Expr{ge(500), ge(400), ge(300)}
	for _, off := range []int64{0, 11} {
		rec := full.NewSlice(off, n)
		for _, tc := range []struct {
			name string
			e    *Expr
			want func(i int) any
		}{
			{"text-literals-else", Case(conds, []*Expr{Str("5xx"), Str("4xx"), Str("3xx")}, Str("ok"), "utf8"), func(i int) any {
				if k := class(i); k >= 0 {
					return []string{"5xx", "4xx", "3xx"}[k]
				}
				return "ok"
			}},
			{"text-columns-no-else", Case(conds, []*Expr{Col(1), Str("client"), Col(2)}, nil, "utf8"), func(i int) any {
				switch class(i) {
				case 0, 2:
					if level[i] == nil {
						return nil
					}
					return *level[i]
				case 1:
					return "client"
				}
				return nil
			}},
			{"int-widened", Case(conds[:2], []*Expr{Col(0), Int(-4)}, Null(), "int64"), func(i int) any {
				switch class(i) {
				case 0:
					return int64(*status[i])
				case 1:
					return int64(-4)
				}
				return nil
			}},
			{"float-int-column", Case([]*Expr{Call(OpEq, Col(1), Str("error")), Call(OpEq, Col(1), Str("warn"))}, []*Expr{Col(0), Col(3)}, Int(7), "float64"), func(i int) any {
				switch {
				case level[i] != nil && *level[i] == "error":
					if status[i] == nil {
						return nil
					}
					return float64(*status[i])
				case level[i] != nil && *level[i] == "warn":
					return float64(i) / 8
				}
				return float64(7)
			}},
		} {
			t.Run(fmt.Sprintf("%s/offset=%d", tc.name, off), func(t *testing.T) {
				v, err := compileValue(tc.e, schema)
				if err != nil {
					t.Fatal(err)
				}
				out, err := v.eval(mem, rec)
				if err != nil {
					t.Fatal(err)
				}
				defer out.Release()
				if out.Len() != n-int(off) {
					t.Fatalf("%d rows, want %d", out.Len(), n-int(off))
				}
				for i := range out.Len() {
					var got any
					if out.IsValid(i) {
						switch a := out.(type) {
						case *array.String:
							got = a.Value(i)
						case *array.Int64:
							got = a.Value(i)
						case *array.Float64:
							got = a.Value(i)
						}
					}
					if want := tc.want(int(off) + i); got != want {
						t.Fatalf("row %d: %v, want %v", i, got, want)
					}
				}
			})
		}
		rec.Release()
	}
	for name, e := range map[string]*Expr{
		"float column in int CASE": Case(conds[:1], []*Expr{Col(3)}, nil, "int64"),
		"text literal in int CASE": Case(conds[:1], []*Expr{Str("x")}, nil, "int32"),
		"int too wide":             Case(conds[:1], []*Expr{Int(1 << 40)}, nil, "int32"),
		"text column in int CASE":  Case(conds[:1], []*Expr{Col(1)}, nil, "int64"),
		"unknown type":             Case(conds[:1], []*Expr{Int(1)}, nil, "decimal"),
	} {
		if _, err := compileValue(e, schema); err == nil {
			t.Errorf("%s compiled", name)
		}
	}
}
