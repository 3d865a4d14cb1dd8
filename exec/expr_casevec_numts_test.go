package exec

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestCaseNumericTimestamp: CASE WHEN k = 0 THEN x WHEN k = 1 THEN y ELSE
// z END over numeric columns of one scale and different precisions (and
// arithmetic of that scale), numeric and integer constants, timestamp and
// timestamptz columns and constants, with NULLs in values and conditions
// and random batch sizes, picks each row's branch as PostgreSQL does; a
// branch of another scale or type is refused.
func TestCaseNumericTimestamp(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 9182))
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	for _, size := range randomSizes(r, 2000) {
		s := int32(r.IntN(6))
		p1, p2 := s+int32(1+r.IntN(10)), s+int32(1+r.IntN(20))
		av, bv := make([]*big.Int, size), make([]*big.Int, size)
		kb := array.NewInt64Builder(mem)
		tsb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
		tzb := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
		ks, tss := make([]*int64, size), make([]*int64, size)
		for i := range size {
			if r.IntN(8) > 0 {
				av[i] = drawBounded(r, p1)
			}
			if r.IntN(8) > 0 {
				bv[i] = drawBounded(r, p2)
			}
			if r.IntN(8) > 0 {
				k := int64(r.IntN(3))
				ks[i] = &k
				kb.Append(k)
			} else {
				kb.AppendNull()
			}
			if r.IntN(8) > 0 {
				us := r.Int64N(4e15) - 2e15
				tss[i] = &us
				tsb.Append(arrow.Timestamp(us))
				tzb.Append(arrow.Timestamp(us + 1))
			} else {
				tsb.AppendNull()
				tzb.AppendNull()
			}
		}
		cols := []arrow.Array{decArray(mem, p1, s, av), decArray(mem, p2, s, bv), kb.NewArray(), tsb.NewArray(), tzb.NewArray()}
		kb.Release()
		tsb.Release()
		tzb.Release()
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "a", Type: cols[0].DataType(), Nullable: true}, {Name: "b", Type: cols[1].DataType(), Nullable: true},
			{Name: "k", Type: cols[2].DataType(), Nullable: true}, {Name: "t", Type: cols[3].DataType(), Nullable: true},
			{Name: "tz", Type: cols[4].DataType(), Nullable: true},
		}, nil)
		rec := array.NewRecordBatch(schema, cols, int64(size))
		for _, c := range cols {
			c.Release()
		}
		// branch returns row i's branch (0, 1 or 2: the ELSE).
		branch := func(i int) int {
			if ks[i] == nil || *ks[i] == 2 {
				return 2
			}
			return int(*ks[i])
		}
		conds := []*Expr{Call(OpEq, Col(2), Int(0)), Call(OpEq, Col(2), Int(1))}

		// Numeric: a, b (+ 1 at scale s when it fits), a constant.
		cs := "7"
		if s > 0 {
			cs = fmt.Sprintf("-7.%0*d", s, 5)
		}
		cval, _, _ := parseDecimal(cs)
		p := max(p1, p2+1, 2+s)
		one := Decimal("1")
		if s > 0 {
			one = Decimal(fmt.Sprintf("1.%0*d", s, 0))
		}
		vals := []*Expr{Col(0), Call(OpNumAdd, Col(1), one)}
		els := Decimal(cs)
		if r.IntN(3) == 0 {
			els = Null()
		}
		e := Case(conds, vals, els, CaseDecimalType(p, s))
		v, err := compileValue(e, schema)
		if err != nil {
			t.Fatalf("seed %d: %s: %v", seed, e, err)
		}
		got, err := v.eval(mem, rec)
		if err != nil {
			t.Fatalf("seed %d: %s: %v", seed, e, err)
		}
		d := got.(*array.Decimal128)
		if !arrow.TypeEqual(d.DataType(), &arrow.Decimal128Type{Precision: p, Scale: s}) {
			t.Fatalf("seed %d: type %s", seed, d.DataType())
		}
		unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)
		for i := range size {
			var want *big.Int
			switch branch(i) {
			case 0:
				want = av[i]
			case 1:
				if bv[i] != nil {
					want = new(big.Int).Add(bv[i], unit)
				}
			default:
				if els.Lit.Kind != LitNull {
					want = cval.BigInt()
				}
			}
			if (want == nil) != d.IsNull(i) || (want != nil && d.Value(i).BigInt().Cmp(want) != 0) {
				t.Fatalf("seed %d: %s row %d: %s (null %v), want %v", seed, e, i, d.Value(i).ToString(s), d.IsNull(i), want)
			}
		}
		got.Release()
		// Another scale, a wider column or an integer constant at a
		// scale above 0 are refused.
		bad := []*Expr{
			Case(conds, []*Expr{Col(0), Col(1)}, nil, CaseDecimalType(min(p1, p2)-1+1, s+1)),
			Case(conds, []*Expr{Col(0), Col(1)}, nil, CaseDecimalType(max(p1, p2)-1, s)),
		}
		if s > 0 {
			bad = append(bad, Case(conds, []*Expr{Col(0), Col(0)}, Int(3), CaseDecimalType(p1, s)))
		}
		for _, b := range bad {
			if p1 == p2 && b == bad[1] {
				continue
			}
			if _, err := compileValue(b, schema); err == nil {
				t.Fatalf("seed %d: %s over numeric(%d,%d), numeric(%d,%d) compiled", seed, b, p1, s, p2, s)
			}
		}

		// Timestamps.
		lit := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, tz := range []bool{false, true} {
			col, typ, off := Col(3), "timestamp", int64(0)
			if tz {
				col, typ, off = Col(4), "timestamptz", 1
			}
			e := Case(conds[:1], []*Expr{col}, Timestamp(lit), typ)
			v, err := compileValue(e, schema)
			if err != nil {
				t.Fatalf("seed %d: %s: %v", seed, e, err)
			}
			got, err := v.eval(mem, rec)
			if err != nil {
				t.Fatalf("seed %d: %s: %v", seed, e, err)
			}
			ta := got.(*array.Timestamp)
			for i := range size {
				var want *int64
				if branch(i) == 0 {
					if tss[i] != nil {
						w := *tss[i] + off
						want = &w
					}
				} else {
					w := lit.UnixMicro()
					want = &w
				}
				if (want == nil) != ta.IsNull(i) || (want != nil && int64(ta.Value(i)) != *want) {
					t.Fatalf("seed %d: %s row %d: %d (null %v), want %v", seed, e, i, ta.Value(i), ta.IsNull(i), want)
				}
			}
			got.Release()
		}
		// timestamp and timestamptz do not mix.
		if _, err := compileValue(Case(conds[:1], []*Expr{Col(3)}, Col(4), "timestamp"), schema); err == nil {
			t.Fatalf("a timestamptz branch in a timestamp CASE compiled")
		}
		rec.Release()
	}
}
