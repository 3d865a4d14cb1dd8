package exec

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// predSchema and predRows are the table the predicate tests run on.
var predSchema = schemaOf(
	field("i16", arrow.PrimitiveTypes.Int16),    // 0
	field("i32", arrow.PrimitiveTypes.Int32),    // 1
	field("i64", arrow.PrimitiveTypes.Int64),    // 2
	field("f32", arrow.PrimitiveTypes.Float32),  // 3
	field("f64", arrow.PrimitiveTypes.Float64),  // 4
	field("s", arrow.BinaryTypes.String),        // 5
	field("b", arrow.FixedWidthTypes.Boolean),   // 6
	field("ts", tsType),                         // 7
	field("i64b", arrow.PrimitiveTypes.Int64),   // 8
	field("f64b", arrow.PrimitiveTypes.Float64), // 9
	field("s2", arrow.BinaryTypes.String),       // 10
	field("i8", arrow.PrimitiveTypes.Int8),      // 11
)

const (
	cI16 = iota
	cI32
	cI64
	cF32
	cF64
	cS
	cB
	cTS
	cI64b
	cF64b
	cS2
	cI8
)

var inf = math.Inf(1)

var predRows = [][]any{
	{1, 1, 1, 1.0, 1.0, "a", true, 1000, 1, 1.0, "a", 1},
	{-2, -2, -2, -2.5, -2.5, "b", false, -1000, 5, nan, "a", -2},
	{3, 3, 3, nan, nan, "", nil, 0, 3, nan, "", 3},
	{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil},
	{math.MaxInt16, math.MaxInt32, int64(math.MaxInt64), inf, inf, "é", true, 2_000_000_000_000_000, nil, inf, nil, math.MaxInt8},
	{0, 0, 0, negZero, negZero, "ab", false, 500, 0, 0.0, "ab", 0},
	{2, 2, 2, 2.0, 2.5, "B", true, 1000, 2, 2.5, "b", 2},
	{math.MinInt16, math.MinInt32, int64(math.MinInt64), -inf, -inf, "aa", false, -2_000_000_000_000_000, int64(math.MinInt64), -inf, "aa", math.MinInt8},
}

func ts(us int64) *Expr { return &Expr{Op: OpLit, Lit: &Lit{Kind: LitTimestamp, I: us}} }

func cmpE(op Op, l, r *Expr) *Expr { return Call(op, l, r) }

func likeE(arg *Expr, pattern, escape string) *Expr {
	return &Expr{Op: OpLike, Args: []*Expr{arg}, Str: pattern, Escape: escape}
}

// evalPred compiles e over schema and evaluates it on rec, returning one
// letter per row: T (TRUE), F (FALSE) or N (NULL). It checks that the
// result does not depend on whether NULLs are asked for, and that TRUE
// and NULL never hold together.
func evalPred(tb testing.TB, schema *arrow.Schema, rec arrow.RecordBatch, e *Expr) (string, error) {
	tb.Helper()
	p, err := compilePredicate(e, schema)
	if err != nil {
		return "", err
	}
	n := int(rec.NumRows())
	out, null := make([]bool, n), make([]bool, n)
	// Dirty buffers: predicates must set every element.
	for i := range out {
		out[i], null[i] = i%2 == 0, i%3 == 0
	}
	if err := p.test(memory.DefaultAllocator, rec, out, null); err != nil {
		return "", err
	}
	out2 := make([]bool, n)
	for i := range out2 {
		out2[i] = i%2 == 1
	}
	if err := p.test(memory.DefaultAllocator, rec, out2, nil); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i := range out {
		if out[i] != out2[i] {
			tb.Errorf("%s: row %d: out %v with null buffer, %v without", e, i, out[i], out2[i])
		}
		switch {
		case out[i] && null[i]:
			tb.Errorf("%s: row %d is both TRUE and NULL", e, i)
			sb.WriteByte('?')
		case out[i]:
			sb.WriteByte('T')
		case null[i]:
			sb.WriteByte('N')
		default:
			sb.WriteByte('F')
		}
	}
	return sb.String(), nil
}

// refPred is the reference result in the letters of evalPred.
func refPred(e *Expr, rows [][]any) string {
	var sb strings.Builder
	for _, r := range rows {
		v, n := refEval(e, normRow(r))
		switch {
		case v:
			sb.WriteByte('T')
		case n:
			sb.WriteByte('N')
		default:
			sb.WriteByte('F')
		}
	}
	return sb.String()
}

// normRow converts test literals (int, float32) to the Go values the
// reference uses.
func normRow(r []any) []any {
	out := make([]any, len(r))
	for i, v := range r {
		switch x := v.(type) {
		case int:
			out[i] = int64(x)
		case float32:
			out[i] = float64(x)
		default:
			out[i] = v
		}
	}
	return out
}

func TestPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rec := mkBatch(t, mem, predSchema, predRows)
	defer rec.Release()

	C := Col
	tests := []struct {
		name string
		e    *Expr
		want string
	}{
		// Integers of every width against an integer constant.
		{"i64=2", cmpE(OpEq, C(cI64), Int(2)), "FFFNFFTF"},
		{"i32=2", cmpE(OpEq, C(cI32), Int(2)), "FFFNFFTF"},
		{"i16=2", cmpE(OpEq, C(cI16), Int(2)), "FFFNFFTF"},
		{"i8=2", cmpE(OpEq, C(cI8), Int(2)), "FFFNFFTF"},
		{"i64<>2", cmpE(OpNe, C(cI64), Int(2)), "TTTNTTFT"},
		{"i64<2", cmpE(OpLt, C(cI64), Int(2)), "TTFNFTFT"},
		{"i64<=2", cmpE(OpLe, C(cI64), Int(2)), "TTFNFTTT"},
		{"i64>2", cmpE(OpGt, C(cI64), Int(2)), "FFTNTFFF"},
		{"i64>=2", cmpE(OpGe, C(cI64), Int(2)), "FFTNTFTF"},
		{"i32>=2", cmpE(OpGe, C(cI32), Int(2)), "FFTNTFTF"},
		{"i16<2", cmpE(OpLt, C(cI16), Int(2)), "TTFNFTFT"},
		{"2>i64 (constant first)", cmpE(OpGt, Int(2), C(cI64)), "TTFNFTFT"},
		{"2<=i64 (constant first)", cmpE(OpLe, Int(2), C(cI64)), "FFTNTFTF"},
		{"2=i64 (constant first)", cmpE(OpEq, Int(2), C(cI64)), "FFFNFFTF"},
		{"i16<100000 (constant outside int16)", cmpE(OpLt, C(cI16), Int(100000)), "TTTNTTTT"},
		{"i16>-100000", cmpE(OpGt, C(cI16), Int(-100000)), "TTTNTTTT"},
		{"i8=300", cmpE(OpEq, C(cI8), Int(300)), "FFFNFFFF"},
		{"i64=maxint64", cmpE(OpEq, C(cI64), Int(math.MaxInt64)), "FFFNTFFF"},
		{"i64<=minint64", cmpE(OpLe, C(cI64), Int(math.MinInt64)), "FFFNFFFT"},

		// Integers against float constants: exact comparison.
		{"i64<2.5", cmpE(OpLt, C(cI64), Float(2.5)), "TTFNFTTT"},
		{"i64<=2.5", cmpE(OpLe, C(cI64), Float(2.5)), "TTFNFTTT"},
		{"i64>2.5", cmpE(OpGt, C(cI64), Float(2.5)), "FFTNTFFF"},
		{"i64>=2.5", cmpE(OpGe, C(cI64), Float(2.5)), "FFTNTFFF"},
		{"i64=2.5", cmpE(OpEq, C(cI64), Float(2.5)), "FFFNFFFF"},
		{"i64<>2.5", cmpE(OpNe, C(cI64), Float(2.5)), "TTTNTTTT"},
		{"i64>=-2.5", cmpE(OpGe, C(cI64), Float(-2.5)), "TTTNTTTF"},
		{"i64>-2.5", cmpE(OpGt, C(cI64), Float(-2.5)), "TTTNTTTF"},
		{"i64<-2.5", cmpE(OpLt, C(cI64), Float(-2.5)), "FFFNFFFT"},
		{"i64<=-2.5", cmpE(OpLe, C(cI64), Float(-2.5)), "FFFNFFFT"},
		{"i64<-1.5", cmpE(OpLt, C(cI64), Float(-1.5)), "FTFNFFFT"},
		{"i64=2.0", cmpE(OpEq, C(cI64), Float(2)), "FFFNFFTF"},
		{"i64=-0.0", cmpE(OpEq, C(cI64), Float(negZero)), "FFFNFTFF"},
		{"2.5>i64 (constant first)", cmpE(OpGt, Float(2.5), C(cI64)), "TTFNFTTT"},
		{"i16<2.5", cmpE(OpLt, C(cI16), Float(2.5)), "TTFNFTTT"},
		{"i32>-2.5", cmpE(OpGt, C(cI32), Float(-2.5)), "TTTNTTTF"},
		{"i64<NaN", cmpE(OpLt, C(cI64), Float(nan)), "TTTNTTTT"},
		{"i64<=NaN", cmpE(OpLe, C(cI64), Float(nan)), "TTTNTTTT"},
		{"i64<>NaN", cmpE(OpNe, C(cI64), Float(nan)), "TTTNTTTT"},
		{"i64=NaN", cmpE(OpEq, C(cI64), Float(nan)), "FFFNFFFF"},
		{"i64>NaN", cmpE(OpGt, C(cI64), Float(nan)), "FFFNFFFF"},
		{"i64>=NaN", cmpE(OpGe, C(cI64), Float(nan)), "FFFNFFFF"},
		{"NaN>i64 (constant first)", cmpE(OpGt, Float(nan), C(cI64)), "TTTNTTTT"},

		// Floats: NaN = NaN, NaN above everything, -0 = 0.
		{"f64=NaN", cmpE(OpEq, C(cF64), Float(nan)), "FFTNFFFF"},
		{"f64<>NaN", cmpE(OpNe, C(cF64), Float(nan)), "TTFNTTTT"},
		{"f64<NaN", cmpE(OpLt, C(cF64), Float(nan)), "TTFNTTTT"},
		{"f64<=NaN", cmpE(OpLe, C(cF64), Float(nan)), "TTTNTTTT"},
		{"f64>NaN", cmpE(OpGt, C(cF64), Float(nan)), "FFFNFFFF"},
		{"f64>=NaN", cmpE(OpGe, C(cF64), Float(nan)), "FFTNFFFF"},
		{"f64>1e308", cmpE(OpGt, C(cF64), Float(1e308)), "FFTNTFFF"},
		{"f64>=+Inf", cmpE(OpGe, C(cF64), Float(inf)), "FFTNTFFF"},
		{"f64<1", cmpE(OpLt, C(cF64), Float(1)), "FTFNFTFT"},
		{"f64<=1", cmpE(OpLe, C(cF64), Float(1)), "TTFNFTFT"},
		{"f64<>1", cmpE(OpNe, C(cF64), Float(1)), "FTTNTTTT"},
		{"f64>=2.5", cmpE(OpGe, C(cF64), Float(2.5)), "FFTNTFTF"},
		{"f64=0 (int constant)", cmpE(OpEq, C(cF64), Int(0)), "FFFNFTFF"},
		{"f64=-0.0", cmpE(OpEq, C(cF64), Float(negZero)), "FFFNFTFF"},
		{"f64<0", cmpE(OpLt, C(cF64), Float(0)), "FTFNFFFT"},
		{"f64>-inf", cmpE(OpGt, C(cF64), Float(-inf)), "TTTNTTTF"},
		{"f32=2", cmpE(OpEq, C(cF32), Int(2)), "FFFNFFTF"},
		{"f32=-2.5", cmpE(OpEq, C(cF32), Float(-2.5)), "FTFNFFFF"},
		{"f32>1e30", cmpE(OpGt, C(cF32), Float(1e30)), "FFTNTFFF"},
		{"f32=NaN", cmpE(OpEq, C(cF32), Float(nan)), "FFTNFFFF"},
		{"f32<NaN", cmpE(OpLt, C(cF32), Float(nan)), "TTFNTTTT"},
		{"NaN<=f64 (constant first)", cmpE(OpLe, Float(nan), C(cF64)), "FFTNFFFF"},

		// Column against column.
		{"f64=f64b", cmpE(OpEq, C(cF64), C(cF64b)), "TFTNTTTT"},
		{"f64<f64b", cmpE(OpLt, C(cF64), C(cF64b)), "FTFNFFFF"},
		{"f64>f64b", cmpE(OpGt, C(cF64), C(cF64b)), "FFFNFFFF"},
		{"f64b>=f64", cmpE(OpGe, C(cF64b), C(cF64)), "TTTNTTTT"},
		{"i64=i64b", cmpE(OpEq, C(cI64), C(cI64b)), "TFTNNTTT"},
		{"i64<i64b", cmpE(OpLt, C(cI64), C(cI64b)), "FTFNNFFF"},
		{"i64<>i64b", cmpE(OpNe, C(cI64), C(cI64b)), "FTFNNFFF"},
		{"i32=i64 (mixed widths)", cmpE(OpEq, C(cI32), C(cI64)), "TTTNFTTF"},
		{"i16<i64", cmpE(OpLt, C(cI16), C(cI64)), "FFFNTFFF"},
		{"f32=f64", cmpE(OpEq, C(cF32), C(cF64)), "TTTNTTFT"},
		{"s=s2", cmpE(OpEq, C(cS), C(cS2)), "TFTNNTFT"},
		{"s<s2", cmpE(OpLt, C(cS), C(cS2)), "FFFNNFTF"},
		{"s>s2", cmpE(OpGt, C(cS), C(cS2)), "FTFNNFFF"},
		{"ts=ts", cmpE(OpEq, C(cTS), C(cTS)), "TTTNTTTT"},
		{"b=b", cmpE(OpEq, C(cB), C(cB)), "TTNNTTTT"},

		// Text is compared bytewise.
		{"s='a'", cmpE(OpEq, C(cS), Str("a")), "TFFNFFFF"},
		{"s<>'a'", cmpE(OpNe, C(cS), Str("a")), "FTTNTTTT"},
		{"s<'b'", cmpE(OpLt, C(cS), Str("b")), "TFTNFTTT"},
		{"s>='a'", cmpE(OpGe, C(cS), Str("a")), "TTFNTTFT"},
		{"s>'z'", cmpE(OpGt, C(cS), Str("z")), "FFFNTFFF"},
		{"s=''", cmpE(OpEq, C(cS), Str("")), "FFTNFFFF"},
		{"s<=''", cmpE(OpLe, C(cS), Str("")), "FFTNFFFF"},
		{"s='é'", cmpE(OpEq, C(cS), Str("é")), "FFFNTFFF"},

		// Booleans.
		{"b", C(cB), "TFNNTFTF"},
		{"b=true", cmpE(OpEq, C(cB), Bool(true)), "TFNNTFTF"},
		{"b=false", cmpE(OpEq, C(cB), Bool(false)), "FTNNFTFT"},
		{"b<>true", cmpE(OpNe, C(cB), Bool(true)), "FTNNFTFT"},
		{"b<true", cmpE(OpLt, C(cB), Bool(true)), "FTNNFTFT"},
		{"b>false", cmpE(OpGt, C(cB), Bool(false)), "TFNNTFTF"},
		{"b>=false", cmpE(OpGe, C(cB), Bool(false)), "TTNNTTTT"},
		{"NOT b", Call(OpNot, C(cB)), "FTNNFTFT"},

		// Timestamps (microseconds).
		{"ts=1000us", cmpE(OpEq, C(cTS), ts(1000)), "TFFNFFTF"},
		{"ts<0", cmpE(OpLt, C(cTS), ts(0)), "FTFNFFFT"},
		{"ts>=0", cmpE(OpGe, C(cTS), ts(0)), "TFTNTTTF"},
		{"ts<>1000us", cmpE(OpNe, C(cTS), ts(1000)), "FTTNTTFT"},
		{"ts>time", cmpE(OpGt, C(cTS), Timestamp(time.UnixMicro(1_000_000_000_000_000))), "FFFNTFFF"},
		{"date_trunc(second, ts)=0", cmpE(OpEq, &Expr{Op: OpDateTrunc, Str: "second", Args: []*Expr{C(cTS)}}, ts(0)), "TFTNFTTF"},
		{"date_trunc(SECOND, ts)<0", cmpE(OpLt, &Expr{Op: OpDateTrunc, Str: "SECOND", Args: []*Expr{C(cTS)}}, ts(0)), "FTFNFFFT"},
		{"date_trunc(day, ts) IS NULL", Call(OpIsNull, &Expr{Op: OpDateTrunc, Str: "day", Args: []*Expr{C(cTS)}}), "FFFTFFFF"},

		// NULL.
		{"i64=NULL", cmpE(OpEq, C(cI64), Null()), "NNNNNNNN"},
		{"NULL=i64", cmpE(OpEq, Null(), C(cI64)), "NNNNNNNN"},
		{"s<>NULL", cmpE(OpNe, C(cS), Null()), "NNNNNNNN"},
		{"NOT (i64=NULL)", Call(OpNot, cmpE(OpEq, C(cI64), Null())), "NNNNNNNN"},
		{"i64 IS NULL", Call(OpIsNull, C(cI64)), "FFFTFFFF"},
		{"i64b IS NULL", Call(OpIsNull, C(cI64b)), "FFFTTFFF"},
		{"s IS NOT NULL", Call(OpIsNotNull, C(cS)), "TTTFTTTT"},
		{"b IS NULL", Call(OpIsNull, C(cB)), "FFTTFFFF"},
		{"f64 IS NOT NULL", Call(OpIsNotNull, C(cF64)), "TTTFTTTT"},
		{"NOT (i64 IS NULL)", Call(OpNot, Call(OpIsNull, C(cI64))), "TTTFTTTT"},
		{"TRUE", Bool(true), "TTTTTTTT"},
		{"FALSE", Bool(false), "FFFFFFFF"},
		{"NULL", Null(), "NNNNNNNN"},
		{"NOT NULL", Call(OpNot, Null()), "NNNNNNNN"},

		// Three-valued AND, OR, NOT.
		{"i64>0 AND b", Call(OpAnd, cmpE(OpGt, C(cI64), Int(0)), C(cB)), "TFNNTFTF"},
		{"i64<0 AND b (FALSE beats NULL)", Call(OpAnd, cmpE(OpLt, C(cI64), Int(0)), C(cB)), "FFFNFFFF"},
		{"i64<0 OR b", Call(OpOr, cmpE(OpLt, C(cI64), Int(0)), C(cB)), "TTNNTFTT"},
		{"i64>0 OR b (TRUE beats NULL)", Call(OpOr, cmpE(OpGt, C(cI64), Int(0)), C(cB)), "TFTNTFTF"},
		{"NOT (i64>0)", Call(OpNot, cmpE(OpGt, C(cI64), Int(0))), "FTFNFTFT"},
		{"NOT (i64>0 AND b)", Call(OpNot, Call(OpAnd, cmpE(OpGt, C(cI64), Int(0)), C(cB))), "FTNNFTFT"},
		{"NOT NOT b", Call(OpNot, Call(OpNot, C(cB))), "TFNNTFTF"},
		{"TRUE AND NULL", Call(OpAnd, Bool(true), Null()), "NNNNNNNN"},
		{"FALSE AND NULL", Call(OpAnd, Bool(false), Null()), "FFFFFFFF"},
		{"NULL AND FALSE", Call(OpAnd, Null(), Bool(false)), "FFFFFFFF"},
		{"FALSE OR NULL", Call(OpOr, Bool(false), Null()), "NNNNNNNN"},
		{"NULL OR TRUE", Call(OpOr, Null(), Bool(true)), "TTTTTTTT"},
		{"AND of one", Call(OpAnd, C(cB)), "TFNNTFTF"},
		{"AND of three", Call(OpAnd, cmpE(OpGe, C(cI64), Int(0)), cmpE(OpLe, C(cI64), Int(2)), Call(OpIsNotNull, C(cS))), "TFFFFTTF"},
		{"(b OR i64<0) AND NOT (s='a')", Call(OpAnd, Call(OpOr, C(cB), cmpE(OpLt, C(cI64), Int(0))), Call(OpNot, cmpE(OpEq, C(cS), Str("a")))), "FTNNTFTT"},

		// IN lists as OR chains.
		{"i64 IN (1,3)", Call(OpOr, cmpE(OpEq, C(cI64), Int(1)), cmpE(OpEq, C(cI64), Int(3))), "TFTNFFFF"},
		{"i64 IN (1,3,NULL)", Call(OpOr, cmpE(OpEq, C(cI64), Int(1)), cmpE(OpEq, C(cI64), Int(3)), cmpE(OpEq, C(cI64), Null())), "TNTNNNNN"},
		{"i64 NOT IN (1,3)", Call(OpNot, Call(OpOr, cmpE(OpEq, C(cI64), Int(1)), cmpE(OpEq, C(cI64), Int(3)))), "FTFNTTTT"},
		{"i64 NOT IN (1,3,NULL)", Call(OpNot, Call(OpOr, cmpE(OpEq, C(cI64), Int(1)), cmpE(OpEq, C(cI64), Int(3)), cmpE(OpEq, C(cI64), Null()))), "FNFNNNNN"},
		{"s IN ('a','b','é')", Call(OpOr, cmpE(OpEq, C(cS), Str("a")), cmpE(OpEq, C(cS), Str("b")), cmpE(OpEq, C(cS), Str("é"))), "TTFNTFFF"},
		{"f64 IN (NaN, 0)", Call(OpOr, cmpE(OpEq, C(cF64), Float(nan)), cmpE(OpEq, C(cF64), Float(0))), "FFTNFTFF"},

		// LIKE on a column with NULLs.
		{"s LIKE 'a%'", likeE(C(cS), "a%", ""), "TFFNFTFT"},
		{"s NOT LIKE 'a%'", Call(OpNot, likeE(C(cS), "a%", "")), "FTTNTFTF"},
		{"s LIKE '_'", likeE(C(cS), "_", ""), "TTFNTFTF"},
		{"s LIKE '%'", likeE(C(cS), "%", ""), "TTTNTTTT"},
		{"s LIKE ''", likeE(C(cS), "", ""), "FFTNFFFF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalPred(t, predSchema, rec, tc.e)
			if err != nil {
				t.Fatalf("%s: %v", tc.e, err)
			}
			if got != tc.want {
				t.Errorf("%s = %s, want %s", tc.e, got, tc.want)
			}
			if ref := refPred(tc.e, predRows); ref != tc.want {
				t.Errorf("reference implementation disagrees with the test: %s = %s, want %s", tc.e, ref, tc.want)
			}
		})
	}
}

// TestPredicateMatrix checks every comparison operator, on every column,
// against a set of constants and against every other column of its class,
// with the reference implementation.
func TestPredicateMatrix(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rec := mkBatch(t, mem, predSchema, predRows)
	defer rec.Release()

	ints := []*Expr{Int(0), Int(1), Int(-2), Int(3), Int(math.MaxInt64), Int(math.MinInt64), Int(math.MaxInt32), Int(math.MinInt16)}
	floats := []*Expr{Float(0), Float(negZero), Float(2.5), Float(-2.5), Float(nan), Float(1), Float(2), Float(-1e18), Float(9.2e18), Float(0.1)}
	consts := map[cmpClass][]*Expr{
		cmpInt:       append(append([]*Expr{}, ints...), floats...),
		classFloat:   append(append([]*Expr{Float(inf), Float(-inf)}, floats...), ints[:4]...),
		cmpString:    {Str(""), Str("a"), Str("aa"), Str("b"), Str("B"), Str("é"), Str("ab")},
		cmpBool:      {Bool(true), Bool(false)},
		cmpTimestamp: {ts(0), ts(1000), ts(-1000), ts(500), ts(2_000_000_000_000_000)},
	}
	ops := []Op{OpEq, OpNe, OpLt, OpLe, OpGt, OpGe}
	checked := 0
	for c := 0; c < predSchema.NumFields(); c++ {
		class, _ := classOf(predSchema.Field(c).Type)
		var others []*Expr
		for d := 0; d < predSchema.NumFields(); d++ {
			if dc, _ := classOf(predSchema.Field(d).Type); dc == class {
				others = append(others, Col(d))
			}
		}
		for _, op := range ops {
			for _, r := range append(append(append([]*Expr{}, consts[class]...), others...), Null()) {
				for _, e := range []*Expr{cmpE(op, Col(c), r), cmpE(op, r, Col(c))} {
					got, err := evalPred(t, predSchema, rec, e)
					if err != nil {
						t.Errorf("%s: %v", e.Format(names(predSchema)), err)
						continue
					}
					checked++
					if want := refPred(e, predRows); got != want {
						t.Errorf("%s = %s, want %s", e.Format(names(predSchema)), got, want)
					}
				}
			}
		}
	}
	t.Logf("%d comparisons checked", checked)
}

func TestLike(t *testing.T) {
	tests := []struct {
		pattern, escape, s string
		want               bool
	}{
		// Equality shape.
		{"abc", "", "abc", true},
		{"abc", "", "abd", false},
		{"abc", "", "abcd", false},
		{"", "", "", true},
		{"", "", "a", false},
		{"A%", "", "abc", false}, // case-sensitive
		// Prefix, suffix, contains shapes.
		{"a%", "", "abc", true},
		{"a%", "", "a", true},
		{"a%", "", "ba", false},
		{"%c", "", "abc", true},
		{"%c", "", "ca", false},
		{"%b%", "", "abc", true},
		{"%b%", "", "b", true},
		{"%b%", "", "ac", false},
		{"%timeout%", "", "connection timeout after 5s", true},
		{"%timeout%", "", "connection time out", false},
		{"%", "", "", true},
		{"%", "", "anything", true},
		{"%%", "", "", true},
		{"%%", "", "x", true},
		// Single characters, multi-byte UTF-8.
		{"_", "", "a", true},
		{"_", "", "", false},
		{"_", "", "ab", false},
		{"_", "", "é", true},
		{"__", "", "é", false},
		{"a_c", "", "aéc", true},
		{"a_c", "", "abbc", false},
		{"é%", "", "éa", true},
		{"é%", "", "ea", false},
		{"%é", "", "café", true},
		{"%✓%", "", "ok ✓ done", true},
		{"_✓_", "", "a✓b", true},
		{"_✓_", "", "ab", false},
		{"_%_", "", "a", false},
		{"_%_", "", "ab", true},
		{"%_", "", "", false},
		{"%_", "", "日本", true},
		// Newlines are ordinary characters.
		{"a%b", "", "a\nb", true},
		{"a_b", "", "a\nb", true},
		// Several wildcards: regexp fallback.
		{"%a%b%", "", "xaxbx", true},
		{"%a%b%", "", "xbxax", false},
		{"a%b%c", "", "abc", true},
		{"a%b%c", "", "acb", false},
		{"a%c", "", "abcabc", true},
		{"a%c", "", "abcab", false},
		// Regexp metacharacters are literal.
		{"a.c", "", "abc", false},
		{"a.c", "", "a.c", true},
		{"a.c%", "", "a.cd", true},
		{"a.c%", "", "abcd", false},
		{"%.log", "", "app.log", true},
		{"%.log", "", "applog", false},
		{"%(x)%", "", "f(x)=1", true},
		{"%(x)%", "", "fx", false},
		{"a.c_", "", "abcd", false},
		{"a.c_", "", "a.cd", true},
		{"(%)", "", "(abc)", true},
		{"(%)", "", "abc", false},
		{"[ab]%", "", "[ab]x", true},
		{"[ab]%", "", "ax", false},
		{"a*b_", "", "aab", false},
		{"a*b_", "", "a*bc", true},
		{"^a$_", "", "^a$x", true},
		{"^a$_", "", "ax", false},
		{"a+?|b_", "", "a+?|bc", true},
		{"a+?|b_", "", "b1", false},
		{`%\d%`, "", `x\dy`, true},
		{`%\d%`, "", "x1y", false},
		{"{1}_", "", "{1}x", true},
		// Escapes.
		{`\%`, `\`, "%", true},
		{`\%`, `\`, "a", false},
		{`100\%`, `\`, "100%", true},
		{`100\%`, `\`, "1000", false},
		{`a\_b`, `\`, "a_b", true},
		{`a\_b`, `\`, "axb", false},
		{`%\%%`, `\`, "50% off", true},
		{`%\%%`, `\`, "50 off", false},
		{`%\_`, `\`, "a_", true},
		{`%\_`, `\`, "ab", false},
		{`a\\b`, `\`, `a\b`, true},
		{`a\b`, `\`, "ab", true}, // escaped ordinary character
		{"a!%b", "!", "a%b", true},
		{"a!%b", "!", "axb", false},
		{"a!!%", "!", "a!xyz", true},
		{"a#_%", "#", "a_1", true},
		{"a#_%", "#", "ab1", false},
		{`a\%`, "", `a\xyz`, true}, // no escape character: \ is literal
		{`a\%`, "", "axyz", false},
		{"é__", "é", "_x", true}, // multi-byte escape character
		{"é__", "é", "xx", false},
		{"éé%", "é", "éz", true},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%q_esc%q_%q", tc.pattern, tc.escape, tc.s)
		t.Run(name, func(t *testing.T) {
			m, err := compileLike(tc.pattern, tc.escape)
			if err != nil {
				t.Fatal(err)
			}
			if got := m(tc.s); got != tc.want {
				t.Errorf("%q LIKE %q ESCAPE %q = %v, want %v", tc.s, tc.pattern, tc.escape, got, tc.want)
			}
			if ref := refLike(tc.s, tc.pattern, tc.escape); ref != tc.want {
				t.Errorf("reference: %q LIKE %q = %v, want %v", tc.s, tc.pattern, ref, tc.want)
			}
		})
	}
}

// TestLikePredicate runs LIKE through the compiled predicate on a column
// with NULLs, checking every pattern of TestLike's shapes at once.
func TestLikePredicate(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("s", arrow.BinaryTypes.String))
	strs := []any{"", "a", "abc", "a.c", "a%c", "a_c", "aéc", "(x)", "timeout", "x timeout y", nil, "日本語", "a\nc", `a\c`}
	rows := make([][]any, len(strs))
	for i, s := range strs {
		rows[i] = []any{s}
	}
	rec := mkBatch(t, mem, schema, rows)
	defer rec.Release()
	patterns := []struct{ p, esc string }{
		{"", ""}, {"%", ""}, {"a%", ""}, {"%c", ""}, {"%.%", ""}, {"a.c", ""}, {"a_c", ""}, {`a\_c`, `\`}, {`a\%c`, `\`},
		{"%timeout%", ""}, {"(%)", ""}, {"___", ""}, {"%本%", ""}, {"a%c%", ""}, {"_%_", ""}, {`a\c`, ""}, {`a\\c`, `\`},
	}
	for _, p := range patterns {
		t.Run(fmt.Sprintf("%q_esc%q", p.p, p.esc), func(t *testing.T) {
			e := likeE(Col(0), p.p, p.esc)
			got, err := evalPred(t, schema, rec, e)
			if err != nil {
				t.Fatal(err)
			}
			if want := refPred(e, rows); got != want {
				t.Errorf("LIKE %q = %s, want %s", p.p, got, want)
			}
		})
	}
}

func TestCompilePredicateErrors(t *testing.T) {
	C := Col
	tests := []struct {
		name        string
		e           *Expr
		unsupported bool // else a plain error
	}{
		{"string vs int", cmpE(OpEq, C(cS), Int(1)), true},
		{"int vs string", cmpE(OpEq, C(cI64), Str("1")), true},
		{"bool vs int", cmpE(OpEq, C(cB), Int(1)), true},
		{"ts vs int", cmpE(OpEq, C(cTS), Int(1)), true},
		{"int vs ts", cmpE(OpEq, C(cI64), ts(1)), true},
		{"int col vs string col", cmpE(OpEq, C(cI64), C(cS)), true},
		{"int col vs float col", cmpE(OpEq, C(cI64), C(cF64)), true},
		{"two constants", cmpE(OpEq, Int(1), Int(1)), true},
		{"int vs +Inf", cmpE(OpLt, C(cI64), Float(inf)), true},
		{"LIKE on int", likeE(C(cI64), "1%", ""), true},
		{"LIKE two-char escape", likeE(C(cS), "a%", "ab"), true},
		{"LIKE ends with escape", likeE(C(cS), `a\`, `\`), true},
		{"non-bool column", C(cI64), true},
		{"int literal", Int(1), true},
		{"date_trunc unit", cmpE(OpEq, &Expr{Op: OpDateTrunc, Str: "month", Args: []*Expr{C(cTS)}}, ts(0)), true},
		{"date_trunc of int", cmpE(OpEq, &Expr{Op: OpDateTrunc, Str: "day", Args: []*Expr{C(cI64)}}, ts(0)), true},
		{"unknown op", &Expr{Op: "xor"}, true},
		{"column out of range", cmpE(OpEq, C(99), Int(1)), false},
		{"negative column", Call(OpIsNull, C(-1)), false},
		{"AND without arguments", Call(OpAnd), false},
		{"compare with one argument", Call(OpEq, C(cI64)), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compilePredicate(tc.e, predSchema)
			if err == nil {
				t.Fatalf("%s compiled", tc.e)
			}
			if got := errors.Is(err, ErrUnsupported); got != tc.unsupported {
				t.Errorf("%s: error %v, unsupported=%v, want %v", tc.e, err, got, tc.unsupported)
			}
		})
	}
}

func TestExprFormat(t *testing.T) {
	cols := []string{"a", "b"}
	tests := []struct {
		e    *Expr
		want string
	}{
		{cmpE(OpEq, Col(0), Int(1)), "a = 1"},
		{cmpE(OpNe, Col(1), Str("it's")), "b <> 'it''s'"},
		{Call(OpAnd, Call(OpIsNull, Col(0)), Call(OpNot, Col(1))), "(a IS NULL AND NOT b)"},
		{Call(OpOr, Bool(true), Null()), "(true OR NULL)"},
		{likeE(Col(0), "x%", ""), "a LIKE 'x%'"},
		{cmpE(OpGe, &Expr{Op: OpDateTrunc, Str: "hour", Args: []*Expr{Col(0)}}, ts(0)), "date_trunc('hour', a) >= '1970-01-01 00:00:00Z'"},
		{cmpE(OpLt, Col(5), Float(2.5)), "$5 < 2.5"},
	}
	for _, tc := range tests {
		if got := tc.e.Format(cols); got != tc.want {
			t.Errorf("Format = %q, want %q", got, tc.want)
		}
	}
	if got := cmpE(OpEq, Col(0), Int(1)).String(); got != "$0 = 1" {
		t.Errorf("String = %q", got)
	}
}
