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

// TestCaseWhenElse: CASE WHEN p THEN a ELSE b END over numbers takes a
// where p is TRUE and b where it is FALSE or NULL, with literal branches
// broadcast, a NULL of a column branch kept, and an int32 column widened
// into an int64 CASE; mismatched branch types are refused.
func TestCaseWhenElse(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ib := array.NewInt32Builder(mem)
	fb := array.NewFloat64Builder(mem)
	for i := range 50 {
		if i%6 == 0 {
			ib.AppendNull()
		} else {
			ib.Append(int32(i * 100))
		}
		if i%7 == 0 {
			fb.AppendNull()
		} else {
			fb.Append(float64(i) / 2)
		}
	}
	cols := []arrow.Array{ib.NewArray(), fb.NewArray()}
	ib.Release()
	fb.Release()
	schema := schemaOf(field("status", cols[0].DataType()), field("v", cols[1].DataType()))
	rec := array.NewRecordBatch(schema, cols, 50)
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	status := cols[0].(*array.Int32)
	v := cols[1].(*array.Float64)
	big := Call(OpGe, Col(0), Int(2000)) // NULL where status is NULL
	for _, tc := range []struct {
		name string
		e    *Expr
		want func(i int) any
	}{
		{"literals", CaseWhenElse(big, Int(1), Int(0), "int32"), func(i int) any {
			if status.IsValid(i) && status.Value(i) >= 2000 {
				return int64(1)
			}
			return int64(0)
		}},
		{"column-then", CaseWhenElse(big, Col(1), Float(-1), "float64"), func(i int) any {
			if status.IsValid(i) && status.Value(i) >= 2000 {
				if v.IsNull(i) {
					return nil
				}
				return v.Value(i)
			}
			return float64(-1)
		}},
		{"widened-else", CaseWhenElse(Call(OpLt, Col(1), Float(10)), Int(-7), Col(0), "int64"), func(i int) any {
			if v.IsValid(i) && v.Value(i) < 10 {
				return int64(-7)
			}
			if status.IsNull(i) {
				return nil
			}
			return int64(status.Value(i))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			val, err := compileValue(tc.e, schema)
			if err != nil {
				t.Fatal(err)
			}
			out, err := val.eval(mem, rec)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			for i := range out.Len() {
				var got any
				if out.IsValid(i) {
					switch a := out.(type) {
					case *array.Int32:
						got = int64(a.Value(i))
					case *array.Int64:
						got = a.Value(i)
					case *array.Float64:
						got = a.Value(i)
					}
				}
				if want := tc.want(i); got != want {
					t.Fatalf("row %d: %v, want %v", i, got, want)
				}
			}
		})
	}
	// A float column in an integer CASE is refused at compile time.
	if _, err := compileValue(CaseWhenElse(big, Col(1), Int(0), "int64"), schema); err == nil {
		t.Errorf("a float8 branch in an int8 CASE compiled")
	}
}
