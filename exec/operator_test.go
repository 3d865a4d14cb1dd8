package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/objstore"
	"openwit/storage/pqfile"
)

// filterSchema is a small table for the filter and scan tests.
var filterSchema = schemaOf(
	field("id", arrow.PrimitiveTypes.Int64),
	field("name", arrow.BinaryTypes.String),
	field("score", arrow.PrimitiveTypes.Float64),
	field("ok", arrow.FixedWidthTypes.Boolean),
	field("at", tsType),
	field("day", dtDate),
	field("small", arrow.PrimitiveTypes.Int16),
	field("f32", arrow.PrimitiveTypes.Float32),
	field("i32", arrow.PrimitiveTypes.Int32),
	field("i8", arrow.PrimitiveTypes.Int8),
)

func filterRows(n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		var name any = fmt.Sprintf("n%d", i%7)
		if i%5 == 0 {
			name = nil
		}
		var score any = float64(i) / 2
		if i%11 == 3 {
			score = nan
		}
		var ok any = i%2 == 0
		if i%9 == 0 {
			ok = nil
		}
		rows[i] = []any{int64(i), name, score, ok, int64(i) * 1_000_000, int64(i % 30), int64(i%200 - 100), float64(i%10) / 4, int64(-i), int64(i % 100)}
	}
	return rows
}

func TestFilter(t *testing.T) {
	rows := filterRows(100)
	tests := []struct {
		name  string
		e     *Expr
		sizes []int // batch sizes
	}{
		{"none pass", cmpE(OpLt, Col(0), Int(0)), []int{10, 50, 40}},
		{"all pass", cmpE(OpGe, Col(0), Int(0)), []int{10, 50, 40}},
		{"all pass one batch", Bool(true), []int{100}},
		{"NULL filters out", Null(), []int{100}},
		{"some pass", cmpE(OpEq, Col(1), Str("n3")), []int{1, 2, 3, 94}},
		{"nothing in some batches", cmpE(OpGe, Col(0), Int(90)), []int{30, 30, 30}},
		{"only first batch", cmpE(OpLt, Col(0), Int(5)), []int{5, 95}},
		{"NaN rows", cmpE(OpGt, Col(2), Float(1e9)), []int{7, 93}},
		{"bool column", Col(3), []int{33, 33}},
		{"NOT bool column", Call(OpNot, Col(3)), []int{33, 33}},
		{"string IS NULL", Call(OpIsNull, Col(1)), []int{100}},
		{"LIKE", likeE(Col(1), "%3", ""), []int{64, 36}},
		{"timestamps", cmpE(OpGe, Col(4), ts(50_000_000)), []int{64, 36}},
		{"int16", cmpE(OpLt, Col(6), Float(-50.5)), []int{64, 36}},
		{"int8", cmpE(OpGe, Col(9), Int(90)), []int{64, 36}},
		{"complex", Call(OpOr, Call(OpAnd, Col(3), cmpE(OpLt, Col(2), Int(10))), likeE(Col(1), "n_", "")), []int{17, 17, 17, 49}},
		{"empty batches", cmpE(OpEq, Col(0), Int(42)), []int{0, 42, 0, 1, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, filterSchema, rows, tc.sizes...)
			defer releaseAll(bs)
			f, err := NewFilter(p, memScan(t, p, filterSchema, bs), tc.e)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, t.Context(), f)
			sameRows(t, got, refFilter(tc.e, normRows(rows)))
		})
	}
}

func normRows(rows [][]any) [][]any {
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = normRow(r)
	}
	return out
}

// TestFilterKeepsBatchesValid checks that a batch from Filter stays valid
// until the next Next, and that Open and Close are idempotent.
func TestFilterOperatorContract(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	rows := filterRows(30)
	bs := mkBatches(t, mem, filterSchema, rows, 10, 10, 10)
	defer releaseAll(bs)
	f, err := NewFilter(p, memScan(t, p, filterSchema, bs), cmpE(OpNe, Col(0), Int(4)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for range 2 {
		if err := f.Open(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !f.Schema().Equal(filterSchema) {
		t.Errorf("schema %s", f.Schema())
	}
	var got [][]any
	for {
		rec, err := f.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rowsOf(rec)...)
	}
	if _, err := f.Next(ctx); err != io.EOF {
		t.Errorf("Next after EOF: %v", err)
	}
	for range 2 {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 29 {
		t.Errorf("%d rows, want 29", len(got))
	}
}

// TestFilterCloseEarly closes a filter in the middle of its input.
func TestFilterCloseEarly(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	bs := mkBatches(t, mem, filterSchema, filterRows(30), 10, 10, 10)
	defer releaseAll(bs)
	f, err := NewFilter(p, memScan(t, p, filterSchema, bs), cmpE(OpNe, Col(0), Int(4)))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestScanBatches(t *testing.T) {
	rows := filterRows(50)
	tests := []struct {
		name string
		cols []string
	}{
		{"all", names(filterSchema)},
		{"reordered", []string{"score", "id"}},
		{"one", []string{"name"}},
		{"repeated", []string{"id", "id"}},
		{"zero columns (count(*))", []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem}
			bs := mkBatches(t, mem, filterSchema, rows, 0, 20, 1, 29)
			defer releaseAll(bs)
			s, err := NewScan(p, Source{Batches: bs}, filterSchema, tc.cols, nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.Schema().NumFields() != len(tc.cols) {
				t.Fatalf("schema %s", s.Schema())
			}
			idx := make([]int, len(tc.cols))
			for i, c := range tc.cols {
				idx[i] = filterSchema.FieldIndices(c)[0]
				if s.Schema().Field(i).Name != c {
					t.Errorf("field %d is %s, want %s", i, s.Schema().Field(i).Name, c)
				}
			}
			ctx := t.Context()
			if err := s.Open(ctx); err != nil {
				t.Fatal(err)
			}
			var got [][]any
			var n int64
			for {
				rec, err := s.Next(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rec.NumRows() == 0 {
					t.Error("scan returned an empty batch")
				}
				n += rec.NumRows()
				got = append(got, rowsOf(rec)...)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if n != int64(len(rows)) {
				t.Errorf("%d rows, want %d", n, len(rows))
			}
			sameRows(t, got, refProject(normRows(rows), idx))
		})
	}
}

func TestScanUnknownColumn(t *testing.T) {
	if _, err := NewScan(Params{}, Source{}, filterSchema, []string{"nope"}, nil); err == nil {
		t.Error("scan of an unknown column succeeded")
	}
}

func TestScanContextCanceled(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem}
	bs := mkBatches(t, mem, filterSchema, filterRows(10), 5)
	defer releaseAll(bs)
	s := memScan(t, p, filterSchema, bs)
	ctx, cancel := context.WithCancel(t.Context())
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Next(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// Parquet files.

// pqSchema is the table of the Parquet scan tests.
var pqSchema = schemaOf(
	field("id", arrow.PrimitiveTypes.Int64),      // 0: 0..n-1, sorted
	field("f", arrow.PrimitiveTypes.Float64),     // 1: id/10, NaN in some groups
	field("s", arrow.BinaryTypes.String),         // 2: "s%04d" of id
	field("at", tsType),                          // 3: id seconds
	field("small", arrow.PrimitiveTypes.Int16),   // 4: id/100 - 5
	field("maybe", arrow.PrimitiveTypes.Int64),   // 5: NULL in whole groups
	field("f32", arrow.PrimitiveTypes.Float32),   // 6: id/10, NaN in group 3
	field("flag", arrow.FixedWidthTypes.Boolean), // 7
)

const (
	pqRows     = 1000
	pqGroupLen = 100 // rows per row group
)

// pqTableRows returns the rows of the Parquet test table: row group g holds
// ids g*100 .. g*100+99. Group 5 has one NaN in f, group 7 has only NaN
// in f, group 3 has NaN and NULL in f32, and "maybe" is NULL in groups 2,
// 4 and 6.
func pqTableRows() [][]any {
	rows := make([][]any, pqRows)
	for i := range rows {
		g := i / pqGroupLen
		var f any = float64(i) / 10
		switch {
		case g == 5 && i%pqGroupLen == 17:
			f = nan
		case g == 7:
			f = nan
		case i%97 == 0:
			f = nil
		}
		var maybe any = int64(i)
		if g == 2 || g == 4 || g == 6 {
			maybe = nil
		}
		var f32 any = float64(float32(float64(i) / 10))
		if g == 3 {
			if i%2 == 0 {
				f32 = nan
			} else {
				f32 = nil
			}
		}
		rows[i] = []any{int64(i), f, fmt.Sprintf("s%04d", i), int64(i) * 1_000_000, int64(i/100 - 5), maybe, f32, i%3 == 0}
	}
	return rows
}

// writeParquet writes batches as a Parquet file into bucket under key.
func writeParquet(tb testing.TB, bucket objstore.Bucket, key string, schema *arrow.Schema, bs []arrow.RecordBatch, groupRows int64) *FileSource {
	tb.Helper()
	var buf bytes.Buffer
	rows, _, err := pqfile.Write(&buf, schema, bs, pqfile.WriterOptions{RowGroupRows: groupRows})
	if err != nil {
		tb.Fatal(err)
	}
	if err := bucket.Put(context.Background(), key, bytes.NewReader(buf.Bytes()), int64(buf.Len())); err != nil {
		tb.Fatal(err)
	}
	return &FileSource{ID: key, Path: key, Rows: rows}
}

// newBucket returns a local bucket in a temporary directory.
func newBucket(tb testing.TB) *objstore.Local {
	tb.Helper()
	b, err := objstore.NewLocal(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = b.Close() })
	return b
}

// pqFixture writes the Parquet test table once per test.
func pqFixture(tb testing.TB) (*objstore.Local, *FileSource, [][]any) {
	tb.Helper()
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(tb, 0)
	rows := pqTableRows()
	bs := mkBatches(tb, mem, pqSchema, rows, 333, 333, 334)
	defer releaseAll(bs)
	bucket := newBucket(tb)
	return bucket, writeParquet(tb, bucket, "t/part-0.parquet", pqSchema, bs, pqGroupLen), normRows(rows)
}

// scanFile runs scan → filter over one file, with or without row-group
// pruning, and returns the rows and the scan.
func scanFile(tb testing.TB, p Params, src *FileSource, cols []string, e *Expr, prune bool) ([][]any, *Scan) {
	tb.Helper()
	var pr *Expr
	if prune {
		pr = e
	}
	s, err := NewScan(p, Source{File: src}, pqSchema, cols, pr)
	if err != nil {
		tb.Fatal(err)
	}
	var op Operator = s
	if e != nil {
		if op, err = NewFilter(p, s, e); err != nil {
			tb.Fatal(err)
		}
	}
	return drain(tb, tb.Context(), op), s
}

func TestScanParquet(t *testing.T) {
	bucket, src, rows := pqFixture(t)
	tests := []struct {
		name string
		cols []string
	}{
		{"all", names(pqSchema)},
		{"reordered", []string{"s", "id", "f"}},
		{"one", []string{"at"}},
		{"zero columns (count(*))", []string{}},
	}
	for _, tc := range tests {
		for _, batchRows := range []int64{0, 7, 100, 1000} {
			t.Run(fmt.Sprintf("%s/batch%d", tc.name, batchRows), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(&Pool{Poison: true})
				defer mem.AssertSize(t, 0)
				p := Params{Mem: mem, Bucket: bucket, BatchRows: batchRows}
				got, s := scanFile(t, p, src, tc.cols, nil, false)
				if s.RowGroups != pqRows/pqGroupLen || s.RowGroupsPruned != 0 {
					t.Errorf("row groups %d, pruned %d", s.RowGroups, s.RowGroupsPruned)
				}
				idx := make([]int, len(tc.cols))
				for i, c := range tc.cols {
					idx[i] = pqSchema.FieldIndices(c)[0]
				}
				sameRows(t, got, refProject(rows, idx))
			})
		}
	}
}

// usedColumns returns the sorted columns e reads.
func usedColumns(e *Expr) []int {
	seen := map[int]bool{}
	var walk func(*Expr)
	walk = func(e *Expr) {
		if e.Op == OpCol {
			seen[e.Col] = true
		}
		for _, a := range e.Args {
			walk(a)
		}
	}
	walk(e)
	var out []int
	for c := range seen {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// renumber returns a copy of e with column c renamed to m[c].
func renumber(e *Expr, m map[int]int) *Expr {
	c := *e
	if c.Op == OpCol {
		c.Col = m[e.Col]
	}
	c.Args = nil
	for _, a := range e.Args {
		c.Args = append(c.Args, renumber(a, m))
	}
	return &c
}

// narrow rewrites e, over all of pqSchema, to a scan of only the columns
// it reads (so that the scan prunes by statistics and does not probe).
func narrow(e *Expr) (cols []string, idx []int, ne *Expr) {
	idx = usedColumns(e)
	m := map[int]int{}
	for i, c := range idx {
		m[c] = i
		cols = append(cols, pqSchema.Field(c).Name)
	}
	return cols, idx, renumber(e, m)
}

// pruneCases are filters over pqSchema with the number of row groups
// (of 10) their statistics rule out.
func pruneCases() []struct {
	name   string
	e      *Expr
	pruned int
} {
	C := Col
	return []struct {
		name   string
		e      *Expr
		pruned int
	}{
		{"id<150", cmpE(OpLt, C(0), Int(150)), 8},
		{"id<=99", cmpE(OpLe, C(0), Int(99)), 9},
		{"id<100", cmpE(OpLt, C(0), Int(100)), 9},
		{"id=555", cmpE(OpEq, C(0), Int(555)), 9},
		{"555=id (constant first)", cmpE(OpEq, Int(555), C(0)), 9},
		{"id>899", cmpE(OpGt, C(0), Int(899)), 9},
		{"id>=900", cmpE(OpGe, C(0), Int(900)), 9},
		{"id>=1000", cmpE(OpGe, C(0), Int(1000)), 10},
		{"id<0", cmpE(OpLt, C(0), Int(0)), 10},
		{"id<>5 (no pruning)", cmpE(OpNe, C(0), Int(5)), 0},
		{"id<150 OR id>=950", Call(OpOr, cmpE(OpLt, C(0), Int(150)), cmpE(OpGe, C(0), Int(950))), 7},
		{"id>=150 AND id<250", Call(OpAnd, cmpE(OpGe, C(0), Int(150)), cmpE(OpLt, C(0), Int(250))), 8},
		{"NOT id<500 (no pruning)", Call(OpNot, cmpE(OpLt, C(0), Int(500))), 0},
		{"id<2.5 (float constant, no pruning)", cmpE(OpLt, C(0), Float(2.5)), 0},
		{"id<NaN", cmpE(OpLt, C(0), Float(nan)), 0},
		{"s='s0420'", cmpE(OpEq, C(2), Str("s0420")), 9},
		{"s<'s0100'", cmpE(OpLt, C(2), Str("s0100")), 9},
		{"s>='s09'", cmpE(OpGe, C(2), Str("s09")), 9},
		{"s LIKE 's01%' (no pruning)", likeE(C(2), "s01%", ""), 0},
		{"at<100s", cmpE(OpLt, C(3), ts(100_000_000)), 9},
		{"at>=950s", cmpE(OpGe, C(3), ts(950_000_000)), 9},
		{"small=0 (int16)", cmpE(OpEq, C(4), Int(0)), 9},
		{"small<-4", cmpE(OpLt, C(4), Int(-4)), 9},
		{"maybe=250 (group of NULLs)", cmpE(OpEq, C(5), Int(250)), 10},
		{"maybe>=0 (NULL groups pruned)", cmpE(OpGe, C(5), Int(0)), 3},
		{"maybe IS NULL (no pruning)", Call(OpIsNull, C(5)), 0},
		// Floats: NaN is above every number but outside the statistics.
		// Group 7 holds only NaN and has no min/max, so it is never pruned.
		{"f<10", cmpE(OpLt, C(1), Int(10)), 8},
		{"f<=9.9", cmpE(OpLe, C(1), Float(9.9)), 8},
		{"f=45.5", cmpE(OpEq, C(1), Float(45.5)), 8},
		{"f>1000 (NaN rows match)", cmpE(OpGt, C(1), Float(1000)), 0},
		{"f>=1000 (NaN rows match)", cmpE(OpGe, C(1), Float(1000)), 0},
		{"1000<f (constant first)", cmpE(OpLt, Float(1000), C(1)), 0},
		{"f>99.5", cmpE(OpGt, C(1), Float(99.5)), 0},
		{"f=NaN", cmpE(OpEq, C(1), Float(nan)), 0},
		{"f>=NaN", cmpE(OpGe, C(1), Float(nan)), 0},
		{"f<NaN", cmpE(OpLt, C(1), Float(nan)), 0},
		{"f<>NaN", cmpE(OpNe, C(1), Float(nan)), 0},
		{"f32>1000", cmpE(OpGt, C(6), Float(1000)), 0},
		{"f32<5", cmpE(OpLt, C(6), Float(5)), 8},
		{"flag=true (bool, no pruning)", cmpE(OpEq, C(7), Bool(true)), 0},
		{"id<150 AND f>1000", Call(OpAnd, cmpE(OpLt, C(0), Int(150)), cmpE(OpGt, C(1), Float(1000))), 8},
		{"id<150 OR f>1000", Call(OpOr, cmpE(OpLt, C(0), Int(150)), cmpE(OpGt, C(1), Float(1000))), 0},
	}
}

// TestScanParquetPruning checks which row groups statistics rule out, and
// that pruning never changes the result. The scans read only the filter's
// columns, so no probing happens.
func TestScanParquetPruning(t *testing.T) {
	bucket, src, rows := pqFixture(t)
	for _, tc := range pruneCases() {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem, Bucket: bucket, BatchRows: 64}
			cols, idx, e := narrow(tc.e)
			want := refProject(refFilter(tc.e, rows), idx)
			full, s0 := scanFile(t, p, src, cols, e, false)
			pruned, s := scanFile(t, p, src, cols, e, true)
			sameRows(t, full, want)
			sameRows(t, pruned, want)
			if s0.RowGroupsPruned != 0 {
				t.Errorf("scan without a prune predicate pruned %d", s0.RowGroupsPruned)
			}
			if s.RowGroupsPruned != tc.pruned {
				t.Errorf("pruned %d row groups, want %d", s.RowGroupsPruned, tc.pruned)
			}
			if s.RowGroups+s.RowGroupsPruned != pqRows/pqGroupLen {
				t.Errorf("row groups %d + pruned %d != %d", s.RowGroups, s.RowGroupsPruned, pqRows/pqGroupLen)
			}
		})
	}
}

// TestScanParquetProbe scans every column, so that the scan also probes
// the filter columns of the row groups statistics keep: exactly the row
// groups without a matching row are skipped, and the result is unchanged.
func TestScanParquetProbe(t *testing.T) {
	bucket, src, rows := pqFixture(t)
	for _, tc := range pruneCases() {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem, Bucket: bucket, BatchRows: 64}
			want := refFilter(tc.e, rows)
			matching := map[int64]bool{}
			for _, r := range want {
				matching[r[0].(int64)/pqGroupLen] = true
			}
			got, s := scanFile(t, p, src, names(pqSchema), tc.e, true)
			sameRows(t, got, want)
			if s.RowGroups != len(matching) || s.RowGroupsPruned != pqRows/pqGroupLen-len(matching) {
				t.Errorf("kept %d and pruned %d row groups, want %d and %d", s.RowGroups, s.RowGroupsPruned, len(matching), pqRows/pqGroupLen-len(matching))
			}
		})
	}
}

// TestScanParquetAllNaNGroup checks pruning on a file whose only row group
// holds nothing but NaN (and NULL).
func TestScanParquetAllNaNGroup(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	schema := schemaOf(field("f", arrow.PrimitiveTypes.Float64), field("g", arrow.PrimitiveTypes.Float32))
	rows := [][]any{{nan, nan}, {nil, nil}, {nan, nan}}
	bs := []arrow.RecordBatch{mkBatch(t, mem, schema, rows)}
	defer releaseAll(bs)
	bucket := newBucket(t)
	src := writeParquet(t, bucket, "nan.parquet", schema, bs, 10)
	for _, e := range []*Expr{
		cmpE(OpGt, Col(0), Float(1)), cmpE(OpGe, Col(0), Float(1)), cmpE(OpEq, Col(0), Float(nan)),
		cmpE(OpGt, Col(1), Float(1)), cmpE(OpGe, Col(1), Int(1)), cmpE(OpGe, Col(0), Float(nan)),
		cmpE(OpLt, Col(0), Float(1)), cmpE(OpLe, Col(1), Float(1)),
	} {
		t.Run(e.Format(names(schema)), func(t *testing.T) {
			p := Params{Mem: mem, Bucket: bucket}
			s, err := NewScan(p, Source{File: src}, schema, names(schema), e)
			if err != nil {
				t.Fatal(err)
			}
			f, err := NewFilter(p, s, e)
			if err != nil {
				t.Fatal(err)
			}
			got := drain(t, t.Context(), f)
			sameRows(t, got, refFilter(e, normRows(rows)))
		})
	}
}

func TestScanParquetMissingFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem, Bucket: newBucket(t)}
	s, err := NewScan(p, Source{File: &FileSource{Path: "missing.parquet"}}, pqSchema, []string{"id"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Open(t.Context())
	if !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Open: %v, want ErrNotFound", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestScanParquetCloseEarly closes a file scan after one batch.
func TestScanParquetCloseEarly(t *testing.T) {
	bucket, src, _ := pqFixture(t)
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	p := Params{Mem: mem, Bucket: bucket, BatchRows: 10}
	s, err := NewScan(p, Source{File: src}, pqSchema, []string{"s", "f"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != 10 {
		t.Errorf("%d rows", rec.NumRows())
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSelectRowsTypes checks the row selection kernel on every type it
// copies, including sliced arrays.
func TestSelectRowsTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(&Pool{Poison: true})
	defer mem.AssertSize(t, 0)
	rows := filterRows(40)
	rec := mkBatch(t, mem, filterSchema, rows)
	defer rec.Release()
	sl := rec.NewSlice(7, 30)
	defer sl.Release()
	mask := make([]bool, sl.NumRows())
	var want [][]any
	for i := range mask {
		mask[i] = i%3 != 1
		if mask[i] {
			want = append(want, normRow(rows[7+i]))
		}
	}
	out, err := selectRows(mem, sl, mask)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	sameRows(t, rowsOf(out), want)

	// Decimal128 and Binary columns.
	dt := &arrow.Decimal128Type{Precision: 38, Scale: 0}
	sch := schemaOf(field("d", dt), field("bin", arrow.BinaryTypes.Binary))
	b := array.NewRecordBuilder(mem, sch)
	defer b.Release()
	db := b.Field(0).(*array.Decimal128Builder)
	bb := b.Field(1).(*array.BinaryBuilder)
	for i := range 4 {
		if i == 2 {
			db.AppendNull()
			bb.AppendNull()
			continue
		}
		db.Append(decimalOf(int64(i)))
		bb.Append([]byte{byte(i)})
	}
	r2 := b.NewRecordBatch()
	defer r2.Release()
	o2, err := selectRows(mem, r2, []bool{false, true, true, false})
	if err != nil {
		t.Fatal(err)
	}
	defer o2.Release()
	if o2.NumRows() != 2 || o2.Column(0).IsNull(0) || !o2.Column(0).IsNull(1) || o2.Column(1).(*array.Binary).Value(0)[0] != 1 {
		t.Errorf("decimal/binary selection wrong: %v", o2)
	}

	// Unsupported types fail cleanly.
	ub := array.NewUint32Builder(mem)
	ub.AppendValues([]uint32{1, 2}, nil)
	ua := ub.NewArray()
	ub.Release()
	r3 := array.NewRecordBatch(schemaOf(field("u", arrow.PrimitiveTypes.Uint32)), []arrow.Array{ua}, 2)
	ua.Release()
	defer r3.Release()
	if _, err := selectRows(mem, r3, []bool{true, false}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("uint32 selection: %v", err)
	}
}

// TestMayMatch checks the statistics test on its own, including the
// conservative answers.
func TestMayMatch(t *testing.T) {
	type st struct {
		min, max any
		ok       bool
	}
	stats := map[int]st{
		0: {int64(10), int64(20), true},
		1: {1.5, 2.5, true},
		2: {"b", "d", true},
		3: {nil, nil, true}, // all NULL
		4: {nil, nil, false},
		5: {true, true, true},
	}
	get := func(c int) (any, any, bool) { s := stats[c]; return s.min, s.max, s.ok }
	C := Col
	tests := []struct {
		e    *Expr
		want bool
	}{
		{cmpE(OpEq, C(0), Int(10)), true},
		{cmpE(OpEq, C(0), Int(9)), false},
		{cmpE(OpEq, C(0), Int(21)), false},
		{cmpE(OpLt, C(0), Int(10)), false},
		{cmpE(OpLe, C(0), Int(10)), true},
		{cmpE(OpGt, C(0), Int(20)), false},
		{cmpE(OpGe, C(0), Int(20)), true},
		{cmpE(OpGt, Int(10), C(0)), false},
		{cmpE(OpNe, C(0), Int(10)), true},
		{cmpE(OpEq, C(0), Float(15)), true},
		{cmpE(OpEq, C(0), Null()), true},
		{cmpE(OpLt, C(1), Float(1.5)), false},
		{cmpE(OpLt, C(1), Int(1)), false},
		{cmpE(OpGt, C(1), Float(3)), true}, // NaN may be there
		{cmpE(OpGe, C(1), Float(3)), true},
		{cmpE(OpEq, C(1), Float(3)), false},
		{cmpE(OpEq, C(1), Float(nan)), true},
		{cmpE(OpLt, C(1), Float(nan)), true},
		{cmpE(OpEq, C(2), Str("a")), false},
		{cmpE(OpEq, C(2), Str("c")), true},
		{cmpE(OpGt, C(2), Str("d")), false},
		{cmpE(OpEq, C(3), Int(1)), false},
		{cmpE(OpEq, C(4), Int(1)), true},
		{cmpE(OpEq, C(5), Bool(false)), true},
		{Call(OpIsNull, C(3)), true},
		{cmpE(OpEq, C(0), C(1)), true},
		{Call(OpAnd, cmpE(OpEq, C(0), Int(15)), cmpE(OpEq, C(2), Str("a"))), false},
		{Call(OpOr, cmpE(OpEq, C(0), Int(1)), cmpE(OpEq, C(2), Str("a"))), false},
		{Call(OpOr, cmpE(OpEq, C(0), Int(1)), cmpE(OpEq, C(2), Str("c"))), true},
		{Call(OpNot, cmpE(OpEq, C(0), Int(1))), true},
	}
	for _, tc := range tests {
		if got := mayMatch(tc.e, get); got != tc.want {
			t.Errorf("mayMatch(%s) = %v, want %v", tc.e, got, tc.want)
		}
	}
}

// TestScanParquetBatchSchema checks that batches read from Parquet have
// exactly the operator's schema: the Parquet reader's fields carry the
// metadata "PARQUET:field_id", which arrow.Schema.Equal compares, and an
// IPC/Flight writer made with ipc.WithSchema(op.Schema()) (as
// search.Server does) rejects batches of another schema.
func TestScanParquetBatchSchema(t *testing.T) {
	bucket, src, _ := pqFixture(t)
	for _, filter := range []*Expr{nil, cmpE(OpGe, Col(0), Int(0)), cmpE(OpEq, Col(1), Str("s0007"))} {
		t.Run(fmt.Sprint(filter), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(&Pool{Poison: true})
			defer mem.AssertSize(t, 0)
			p := Params{Mem: mem, Bucket: bucket}
			f := &Fragment{Schema: pqSchema, Columns: []string{"id", "s"}, Sources: []Source{{File: src}}, Filter: filter}
			op, err := Run(t.Context(), p, f)
			if err != nil {
				t.Fatal(err)
			}
			defer op.Close()
			rec, err := op.Next(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if !rec.Schema().Equal(op.Schema()) {
				t.Errorf("batch schema %s is not the operator's schema %s", rec.Schema(), op.Schema())
			}
			var buf bytes.Buffer
			w := ipc.NewWriter(&buf, ipc.WithSchema(op.Schema()), ipc.WithAllocator(mem))
			if err := w.Write(rec); err != nil {
				t.Errorf("IPC writer with the operator's schema rejects its batch: %v", err)
			}
			if err := w.Close(); err != nil {
				t.Error(err)
			}
		})
	}
}
