package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/exec"
)

// Tests of two-phase aggregation: partial aggregations over disjoint inputs
// followed by a final aggregation must equal the complete aggregation.

var amSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "svc", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "lat", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "ok", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
}, nil)

var amColumns = []string{"ts", "svc", "status", "bytes", "lat", "ok"}

// amBatch builds n pseudo-random rows; values repeat so that groups and
// distinct values overlap across batches.
func amBatch(mem memory.Allocator, r *rand.Rand, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, amSchema)
	defer b.Release()
	svcs := []string{"api", "web", "db", "queue", ""}
	for i := 0; i < n; i++ {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + r.Int64N(86_400_000_000)))
		if r.IntN(8) == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(svcs[r.IntN(len(svcs))])
		}
		if r.IntN(10) == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.Int32Builder).Append([]int32{200, 201, 404, 500}[r.IntN(4)])
		}
		if r.IntN(6) == 0 {
			b.Field(3).AppendNull()
		} else {
			b.Field(3).(*array.Int64Builder).Append(r.Int64N(2000) - 100)
		}
		switch r.IntN(12) {
		case 0:
			b.Field(4).AppendNull()
		case 1:
			b.Field(4).(*array.Float64Builder).Append(math.NaN())
		case 2:
			b.Field(4).(*array.Float64Builder).Append(math.Copysign(0, -1))
		default:
			b.Field(4).(*array.Float64Builder).Append(float64(r.IntN(50)) / 4)
		}
		if r.IntN(9) == 0 {
			b.Field(5).AppendNull()
		} else {
			b.Field(5).(*array.BooleanBuilder).Append(r.IntN(2) == 0)
		}
	}
	return b.NewRecordBatch()
}

func amCol(name string) *exec.Expr { return exec.Col(slices.Index(amColumns, name)) }

// amSpecs are aggregations covering every aggregate and key shape.
func amSpecs() map[string]exec.AggSpec {
	all := []exec.Agg{
		{Func: exec.AggCountStar},
		{Func: exec.AggCount, Arg: amCol("bytes")},
		{Func: exec.AggSum, Arg: amCol("bytes")},
		{Func: exec.AggSum, Arg: amCol("status")},
		{Func: exec.AggSum, Arg: amCol("lat")},
		{Func: exec.AggMin, Arg: amCol("bytes")},
		{Func: exec.AggMax, Arg: amCol("svc")},
		{Func: exec.AggMin, Arg: amCol("lat")},
		{Func: exec.AggMax, Arg: amCol("ts")},
		{Func: exec.AggCountDistinct, Arg: amCol("svc")},
		{Func: exec.AggCountDistinct, Arg: amCol("status")},
		{Func: exec.AggCountDistinct, Arg: amCol("lat")},
		{Func: exec.AggCountDistinct, Arg: amCol("ok")},
		{Func: exec.AggList, Arg: amCol("status")},
	}
	first := func(keys ...string) []exec.Agg {
		out := slices.Clone(all)
		for _, k := range keys {
			out = append(out, exec.Agg{Func: exec.AggFirst, Arg: amCol(k)})
		}
		return out
	}
	trunc := &exec.Expr{Op: exec.OpDateTrunc, Str: "hour", Args: []*exec.Expr{amCol("ts")}}
	return map[string]exec.AggSpec{
		"no keys":     {Aggs: all},
		"string key":  {Keys: []*exec.Expr{amCol("svc")}, Aggs: first("svc")},
		"int key":     {Keys: []*exec.Expr{amCol("status")}, Aggs: first("status")},
		"float key":   {Keys: []*exec.Expr{amCol("lat")}, Aggs: all},
		"bool key":    {Keys: []*exec.Expr{amCol("ok")}, Aggs: first("ok")},
		"time bucket": {Keys: []*exec.Expr{trunc}, Aggs: all},
		"three keys":  {Keys: []*exec.Expr{amCol("svc"), amCol("status"), amCol("ok")}, Aggs: first("svc", "status", "ok")},
		"mixed keys":  {Keys: []*exec.Expr{trunc, amCol("lat"), amCol("svc")}, Aggs: all},
	}
}

// amRun runs a fragment and returns its only output batch, retained.
func amRun(t *testing.T, p exec.Params, f *exec.Fragment) arrow.RecordBatch {
	t.Helper()
	ctx := context.Background()
	op, err := exec.Run(ctx, p, f)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		t.Fatalf("open: %v", err)
	}
	rec, err := op.Next(ctx)
	if err != nil {
		t.Fatalf("next: %v", err)
	}
	rec.Retain()
	if _, err := op.Next(ctx); err != io.EOF {
		rec.Release()
		t.Fatalf("second batch: %v", err)
	}
	return rec
}

func amFragment(spec exec.AggSpec, mode exec.AggMode, schema *arrow.Schema, sources ...[]arrow.RecordBatch) *exec.Fragment {
	spec.Mode = mode
	cols := make([]string, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = f.Name
	}
	f := &exec.Fragment{Table: "t", Schema: schema, Columns: cols, Agg: &spec}
	for _, s := range sources {
		f.Sources = append(f.Sources, exec.Source{Batches: s})
	}
	return f
}

// amRows renders a batch as sorted rows.
func amRows(rec arrow.RecordBatch) []string {
	rows := make([]string, rec.NumRows())
	for i := range rows {
		var b strings.Builder
		for c := 0; c < int(rec.NumCols()); c++ {
			col := rec.Column(c)
			if c > 0 {
				b.WriteString(" | ")
			}
			if f, ok := col.(*array.Float64); ok && col.IsValid(i) && f.Value(i) == 0 {
				// -0 and 0 are one value; which one a min or first
				// keeps depends on the input order.
				b.WriteString("0")
			} else if col.IsNull(i) {
				b.WriteString("NULL")
			} else {
				b.WriteString(col.ValueStr(i))
			}
		}
		rows[i] = b.String()
	}
	slices.Sort(rows)
	return rows
}

// amTwoPhase runs partial aggregations over each input (one fragment
// each, so several partial inputs) and a final aggregation over their
// outputs.
func amTwoPhase(t *testing.T, p exec.Params, spec exec.AggSpec, inputs [][]arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	var partials [][]arrow.RecordBatch
	var pschema *arrow.Schema
	for _, in := range inputs {
		part := amRun(t, p, amFragment(spec, exec.AggPartial, amSchema, in))
		defer part.Release()
		pschema = part.Schema()
		partials = append(partials, []arrow.RecordBatch{part})
	}
	return amRun(t, p, amFragment(spec, exec.AggFinal, pschema, partials...))
}

func TestAggPartialFinalEqualsComplete(t *testing.T) {
	mem := memory.NewCheckedAllocator(&exec.Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(1, 2))
	var batches []arrow.RecordBatch
	for _, n := range []int{300, 1, 0, 257, 64, 900} {
		batches = append(batches, amBatch(mem, r, n))
	}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	splits := map[string][][]arrow.RecordBatch{
		"one input":         {batches},
		"per batch":         {batches[:1], batches[1:2], batches[2:3], batches[3:4], batches[4:5], batches[5:]},
		"with empty inputs": {nil, batches[:3], nil, batches[3:], nil},
	}
	for name, spec := range amSpecs() {
		for split, inputs := range splits {
			for _, par := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/par=%d", name, split, par), func(t *testing.T) {
					p := exec.Params{Mem: mem, Parallelism: par, BatchRows: 100}
					want := amRun(t, p, amFragment(spec, exec.AggComplete, amSchema, batches))
					defer want.Release()
					got := amTwoPhase(t, p, spec, inputs)
					defer got.Release()
					if !want.Schema().Equal(got.Schema()) {
						t.Fatalf("schema: got %s, want %s", got.Schema(), want.Schema())
					}
					w, g := amRows(want), amRows(got)
					if par > 1 {
						// first() and list order depend on which worker ran
						// which source: compare what does not.
						w, g = amStable(want, spec), amStable(got, spec)
					}
					amDiff(t, g, w)
				})
			}
		}
	}
}

// amDiff fails the test with the rows only one side has.
func amDiff(t *testing.T, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var extra, missing []string
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	t.Fatalf("%d rows, want %d\nunexpected: %q\nmissing:    %q", len(got), len(want), extra, missing)
}

// amStable renders the columns whose values do not depend on input order.
func amStable(rec arrow.RecordBatch, spec exec.AggSpec) []string {
	var cols []arrow.Array
	var fields []arrow.Field
	for i, a := range spec.Aggs {
		if a.Func == exec.AggFirst || a.Func == exec.AggList {
			continue
		}
		cols = append(cols, rec.Column(i))
		fields = append(fields, rec.Schema().Field(i))
	}
	sub := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
	defer sub.Release()
	return amRows(sub)
}

func TestAggPartialSchema(t *testing.T) {
	spec := exec.AggSpec{Keys: []*exec.Expr{amCol("svc"), amCol("status")}, Aggs: []exec.Agg{
		{Func: exec.AggCountStar},
		{Func: exec.AggSum, Arg: amCol("bytes")},
		{Func: exec.AggSum, Arg: amCol("lat")},
		{Func: exec.AggMin, Arg: amCol("ts")},
		{Func: exec.AggFirst, Arg: amCol("svc")},
		{Func: exec.AggCountDistinct, Arg: amCol("status")},
		{Func: exec.AggList, Arg: amCol("bytes")},
	}}
	f := amFragment(spec, exec.AggPartial, amSchema)
	got, err := f.OutputSchema(exec.Params{})
	if err != nil {
		t.Fatal(err)
	}
	want := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, exec.SumIntType, arrow.PrimitiveTypes.Float64,
		amSchema.Field(0).Type, arrow.BinaryTypes.String,
		arrow.ListOf(arrow.PrimitiveTypes.Int32), exec.ListType,
	}
	if got.NumFields() != len(want) {
		t.Fatalf("partial schema %s", got)
	}
	for i, dt := range want {
		if !arrow.TypeEqual(got.Field(i).Type, dt) {
			t.Errorf("column %d (%s): %s, want %s", i, got.Field(i).Name, got.Field(i).Type, dt)
		}
	}
	// The final aggregation over that schema has the complete schema.
	final, err := amFragment(spec, exec.AggFinal, got).OutputSchema(exec.Params{})
	if err != nil {
		t.Fatal(err)
	}
	complete, err := amFragment(spec, exec.AggComplete, amSchema).OutputSchema(exec.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if !final.Equal(complete) {
		t.Fatalf("final schema %s, complete %s", final, complete)
	}
	// The mode survives the fragment encoding.
	f.Schema = nil
	b, err := f.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := exec.DecodeFragment(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.Agg.Mode != exec.AggPartial {
		t.Fatalf("decoded mode %q", d.Agg.Mode)
	}
}

func TestAggNoKeysEmptyInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(&exec.Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := exec.Params{Mem: mem, Parallelism: 2}
	spec := amSpecs()["no keys"]
	empty := amBatch(mem, rand.New(rand.NewPCG(3, 4)), 0)
	defer empty.Release()

	want := amRun(t, p, amFragment(spec, exec.AggComplete, amSchema, nil))
	defer want.Release()
	if want.NumRows() != 1 {
		t.Fatalf("complete aggregation over no rows: %d rows", want.NumRows())
	}
	// A key-less partial over no rows has no row, so it adds nothing.
	part := amRun(t, p, amFragment(spec, exec.AggPartial, amSchema, nil, []arrow.RecordBatch{empty}))
	defer part.Release()
	if part.NumRows() != 0 {
		t.Fatalf("partial over no rows: %d rows", part.NumRows())
	}
	for name, inputs := range map[string][][]arrow.RecordBatch{
		"no partial inputs":    nil,
		"empty partial inputs": {{part}, {part}},
	} {
		t.Run(name, func(t *testing.T) {
			f := amFragment(spec, exec.AggFinal, part.Schema(), inputs...)
			got := amRun(t, p, f)
			defer got.Release()
			if w, g := amRows(want), amRows(got); !slices.Equal(w, g) {
				t.Fatalf("got %q, want %q", g, w)
			}
		})
	}

	// One empty and one non-empty partial: the empty one must not turn
	// first() or min() into NULL.
	r := rand.New(rand.NewPCG(5, 6))
	rows := amBatch(mem, r, 50)
	defer rows.Release()
	spec.Aggs = append(spec.Aggs, exec.Agg{Func: exec.AggFirst, Arg: amCol("ts")})
	p.Parallelism = 1
	w := amRun(t, p, amFragment(spec, exec.AggComplete, amSchema, []arrow.RecordBatch{rows}))
	defer w.Release()
	g := amTwoPhase(t, p, spec, [][]arrow.RecordBatch{{empty}, {rows}, nil})
	defer g.Release()
	if a, b := amRows(w), amRows(g); !slices.Equal(a, b) {
		t.Fatalf("got %q, want %q", b, a)
	}
}

func TestAggCountDistinctOverlapping(t *testing.T) {
	mem := memory.NewCheckedAllocator(&exec.Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := exec.Params{Mem: mem}
	// Every partial sees the same values: the final count is still the
	// number of distinct values, not their sum.
	build := func(svcs ...string) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, amSchema)
		defer b.Release()
		for i, s := range svcs {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(i))
			if s == "NULL" {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(s)
			}
			b.Field(2).(*array.Int32Builder).Append(int32(len(s)))
			b.Field(3).AppendNull()
			b.Field(4).(*array.Float64Builder).Append(float64(i % 2))
			b.Field(5).AppendNull()
		}
		return b.NewRecordBatch()
	}
	a := build("x", "y", "NULL", "x")
	b := build("y", "z", "NULL")
	c := build("x", "y", "z", "w")
	defer a.Release()
	defer b.Release()
	defer c.Release()
	spec := exec.AggSpec{Keys: []*exec.Expr{amCol("lat")}, Aggs: []exec.Agg{
		{Func: exec.AggFirst, Arg: amCol("lat")},
		{Func: exec.AggCountDistinct, Arg: amCol("svc")},
		{Func: exec.AggCountDistinct, Arg: amCol("status")},
		{Func: exec.AggCount, Arg: amCol("svc")},
		{Func: exec.AggSum, Arg: amCol("bytes")},
	}}
	got := amTwoPhase(t, p, spec, [][]arrow.RecordBatch{{a}, {b}, {c}})
	defer got.Release()
	complete := amRun(t, p, amFragment(spec, exec.AggComplete, amSchema, []arrow.RecordBatch{a, b, c}))
	defer complete.Release()
	if w, g := amRows(complete), amRows(got); !slices.Equal(w, g) {
		t.Fatalf("got %q, want %q", g, w)
	}
	// Spelled out: lat 0 has x NULL y NULL x z, lat 1 has y x z y w.
	exp := []string{"0 | 3 | 2 | 4 | NULL", "1 | 4 | 1 | 5 | NULL"}
	if g := amRows(got); !slices.Equal(g, exp) {
		t.Fatalf("got %q, want %q", g, exp)
	}
}

func TestAggFinalRejectsWrongSchema(t *testing.T) {
	spec := exec.AggSpec{Aggs: []exec.Agg{{Func: exec.AggSum, Arg: amCol("bytes")}}, Mode: exec.AggFinal}
	cases := map[string]*arrow.Schema{
		"column count": amSchema,
		"state type":   arrow.NewSchema([]arrow.Field{{Name: "state0", Type: arrow.BinaryTypes.String}}, nil),
	}
	for name, sch := range cases {
		t.Run(name, func(t *testing.T) {
			f := &exec.Fragment{Table: "t", Schema: sch, Agg: &spec}
			for _, fl := range sch.Fields() {
				f.Columns = append(f.Columns, fl.Name)
			}
			if err := f.Validate(exec.Params{}); err == nil {
				t.Fatal("no error")
			}
		})
	}
	bad := spec
	bad.Mode = "sideways"
	f := &exec.Fragment{Table: "t", Schema: amSchema, Columns: amColumns, Agg: &bad}
	if err := f.Validate(exec.Params{}); !errors.Is(err, exec.ErrUnsupported) {
		t.Fatalf("unknown mode: %v", err)
	}
}
