package exec

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCaseWhen: CASE WHEN p THEN x END is x where p is TRUE and NULL where
// p is FALSE or NULL or x is NULL, for plain, sliced (offset) and
// dictionary-encoded strings and for floats; without a value it is TRUE
// or NULL. No Arrow memory is left behind.
func TestCaseWhen(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 300
	lv := array.NewStringBuilder(mem)
	fv := array.NewFloat64Builder(mem)
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	var level []*string
	var lat []*float64
	for i := range n {
		switch i % 7 {
		case 3:
			lv.AppendNull()
			db.AppendNull()
			level = append(level, nil)
		default:
			s := []string{"error", "info", "warn"}[i%3]
			lv.Append(s)
			if err := db.AppendString(s); err != nil {
				t.Fatal(err)
			}
			level = append(level, &s)
		}
		if i%5 == 1 {
			fv.AppendNull()
			lat = append(lat, nil)
		} else {
			f := float64(i) / 4
			fv.Append(f)
			lat = append(lat, &f)
		}
	}
	cols := []arrow.Array{lv.NewArray(), fv.NewArray(), db.NewArray()}
	lv.Release()
	fv.Release()
	db.Release()
	schema := schemaOf(field("level", cols[0].DataType()), field("lat", cols[1].DataType()), field("dlevel", cols[2].DataType()))
	full := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	defer full.Release()
	for _, off := range []int64{0, 13} {
		rec := full.NewSlice(off, n)
		isErr := func(col int) *Expr { return Call(OpEq, Col(col), Str("error")) }
		for _, tc := range []struct {
			name string
			e    *Expr
			want func(i int) any
		}{
			{"float", CaseWhen(isErr(0), Col(1)), func(i int) any {
				if level[i] == nil || *level[i] != "error" || lat[i] == nil {
					return nil
				}
				return *lat[i]
			}},
			{"string", CaseWhen(Call(OpGt, Col(1), Float(20)), Col(0)), func(i int) any {
				if lat[i] == nil || *lat[i] <= 20 || level[i] == nil {
					return nil
				}
				return *level[i]
			}},
			{"dictionary", CaseWhen(isErr(0), Col(2)), func(i int) any {
				if level[i] == nil || *level[i] != "error" {
					return nil
				}
				return "error"
			}},
			{"true", CaseWhen(isErr(0), nil), func(i int) any {
				if level[i] == nil || *level[i] != "error" {
					return nil
				}
				return true
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
				nulls := 0
				for i := range out.Len() {
					want := tc.want(int(off) + i)
					var got any
					if out.IsValid(i) {
						switch a := out.(type) {
						case *array.Float64:
							got = a.Value(i)
						case *array.String:
							got = a.Value(i)
						case *array.Boolean:
							got = a.Value(i)
						case *array.Dictionary:
							got = a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
						}
					} else {
						nulls++
					}
					if got != want {
						t.Fatalf("row %d: %v, want %v", i, got, want)
					}
				}
				if out.NullN() != nulls {
					t.Errorf("NullN %d, %d NULL rows", out.NullN(), nulls)
				}
			})
		}
		rec.Release()
	}
}
