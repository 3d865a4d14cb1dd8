package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchSchema is a log table for the micro-benchmarks.
var benchSchema = schemaOf(
	field("ts", tsType),                         // 0
	field("svc", arrow.BinaryTypes.String),      // 1: 20 values
	field("msg", arrow.BinaryTypes.String),      // 2: ~10% contain "timeout"
	field("id", arrow.PrimitiveTypes.Int64),     // 3: unique
	field("lat", arrow.PrimitiveTypes.Float64),  // 4
	field("bytes", arrow.PrimitiveTypes.Int64),  // 5
	field("user", arrow.BinaryTypes.String),     // 6: 200 values
	field("status", arrow.PrimitiveTypes.Int32), // 7
)

const (
	benchRows  = 1 << 20
	benchBatch = 64 * 1024
)

type benchTable struct {
	batches []arrow.RecordBatch
}

var (
	benchOnce sync.Once
	benchData *benchTable
)

// benchTableOf builds the 1Mi-row table once per process.
func benchTableOf(tb testing.TB) *benchTable {
	tb.Helper()
	benchOnce.Do(func() {
		r := rand.New(rand.NewPCG(42, 42))
		mem := memory.NewGoAllocator()
		words := []string{"GET /api/v1/items", "connection reset by peer", "upstream timeout after 30s", "ok", "cache miss", "retrying request", "user login", "disk full", "slow query", "request timeout"}
		t := &benchTable{}
		for lo := 0; lo < benchRows; lo += benchBatch {
			b := array.NewRecordBuilder(mem, benchSchema)
			n := min(benchBatch, benchRows-lo)
			for i := lo; i < lo+n; i++ {
				b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1000))
				b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("svc-%02d", r.IntN(20)))
				w := words[r.IntN(len(words)-2)]
				if r.IntN(10) == 0 {
					w = words[len(words)-2+r.IntN(2)] // ~10% have "timeout"
				}
				b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("%s id=%d", w, r.IntN(1000)))
				b.Field(3).(*array.Int64Builder).Append(int64(i))
				if r.IntN(50) == 0 {
					b.Field(4).(*array.Float64Builder).AppendNull()
				} else {
					b.Field(4).(*array.Float64Builder).Append(r.ExpFloat64() * 100)
				}
				b.Field(5).(*array.Int64Builder).Append(r.Int64N(1 << 20))
				b.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("user%03d", r.IntN(200)))
				b.Field(7).(*array.Int32Builder).Append([]int32{200, 200, 200, 404, 500}[r.IntN(5)])
			}
			t.batches = append(t.batches, b.NewRecordBatch())
			b.Release()
		}
		benchData = t
	})
	return benchData
}

// bytesOf is the size of the buffers of the given columns.
func (t *benchTable) bytesOf(cols ...int) int64 {
	var n int64
	for _, b := range t.batches {
		for _, c := range cols {
			for _, buf := range b.Column(c).Data().Buffers() {
				if buf != nil {
					n += int64(buf.Len())
				}
			}
		}
	}
	return n
}

// sources splits the batches into n in-memory sources.
func (t *benchTable) sources(n int) []Source {
	srcs := make([]Source, n)
	for i, b := range t.batches {
		srcs[i%n].Batches = append(srcs[i%n].Batches, b)
	}
	return srcs
}

// countRows drains op and returns its row count.
func countRows(tb testing.TB, ctx context.Context, op Operator) int64 {
	tb.Helper()
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	var n int64
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n += rec.NumRows()
	}
}

func benchFilter(b *testing.B, e *Expr, cols ...int) {
	t := benchTableOf(b)
	p := Params{Mem: memory.NewGoAllocator()}
	b.ReportAllocs()
	b.SetBytes(t.bytesOf(cols...))
	var rows int64
	for b.Loop() {
		f, err := NewFilter(p, memScan(b, p, benchSchema, t.batches), e)
		if err != nil {
			b.Fatal(err)
		}
		rows = countRows(b, b.Context(), f)
	}
	b.ReportMetric(float64(rows), "rows_out")
}

func BenchmarkFilterStringEq(b *testing.B) {
	benchFilter(b, cmpE(OpEq, Col(1), Str("svc-07")), 1)
}

func BenchmarkFilterLikeContains(b *testing.B) {
	benchFilter(b, likeE(Col(2), "%timeout%", ""), 2)
}

func benchAgg(b *testing.B, spec *AggSpec, cols ...int) {
	t := benchTableOf(b)
	p := Params{Mem: memory.NewGoAllocator()}
	b.ReportAllocs()
	b.SetBytes(t.bytesOf(cols...))
	var groups int64
	for b.Loop() {
		h, err := NewHashAgg(p, memScan(b, p, benchSchema, t.batches), spec)
		if err != nil {
			b.Fatal(err)
		}
		groups = countRows(b, b.Context(), h)
	}
	b.ReportMetric(float64(groups), "groups")
}

func BenchmarkHashAggStringKey20(b *testing.B) {
	benchAgg(b, &AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{
		{Func: AggFirst, Arg: Col(1)}, {Func: AggCountStar}, {Func: AggSum, Arg: Col(5)},
		{Func: AggMin, Arg: Col(4)}, {Func: AggMax, Arg: Col(4)},
	}}, 1, 4, 5)
}

func BenchmarkHashAggIntKey1M(b *testing.B) {
	benchAgg(b, &AggSpec{Keys: []*Expr{Col(3)}, Aggs: []Agg{
		{Func: AggFirst, Arg: Col(3)}, {Func: AggCountStar}, {Func: AggSum, Arg: Col(5)},
		{Func: AggMin, Arg: Col(4)}, {Func: AggMax, Arg: Col(4)},
	}}, 3, 4, 5)
}

func BenchmarkCountDistinct200Strings(b *testing.B) {
	benchAgg(b, &AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(6)}}}, 6)
}

func BenchmarkTopK10Float(b *testing.B) {
	t := benchTableOf(b)
	p := Params{Mem: memory.NewGoAllocator()}
	f := &Fragment{Schema: benchSchema, Columns: names(benchSchema), Sources: t.sources(1),
		TopK: &TopKSpec{K: 10, Keys: []SortKey{{Col: 4, Desc: true}}}}
	b.ReportAllocs()
	b.SetBytes(t.bytesOf(4))
	for b.Loop() {
		op, err := Run(b.Context(), p, f)
		if err != nil {
			b.Fatal(err)
		}
		if n := countRows(b, b.Context(), op); n != 10 {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkRun runs a filtered aggregation over 16 in-memory sources with
// one and two workers.
func BenchmarkRun(b *testing.B) {
	t := benchTableOf(b)
	for _, par := range []int{1, 2} {
		b.Run(fmt.Sprintf("parallelism=%d", par), func(b *testing.B) {
			p := Params{Mem: memory.NewGoAllocator(), Parallelism: par}
			f := &Fragment{Schema: benchSchema, Columns: names(benchSchema), Sources: t.sources(16),
				Filter: Call(OpAnd, cmpE(OpGe, Col(7), Int(400)), likeE(Col(2), "%timeout%", "")),
				Agg: &AggSpec{Keys: []*Expr{Col(1)}, Aggs: []Agg{
					{Func: AggCountStar}, {Func: AggSum, Arg: Col(5)}, {Func: AggMax, Arg: Col(4)}, {Func: AggCountDistinct, Arg: Col(6)},
				}}}
			b.ReportAllocs()
			b.SetBytes(t.bytesOf(1, 2, 4, 5, 6, 7))
			for b.Loop() {
				op, err := Run(b.Context(), p, f)
				if err != nil {
					b.Fatal(err)
				}
				if n := countRows(b, b.Context(), op); n != 20 {
					b.Fatalf("%d groups", n)
				}
			}
		})
	}
}

// BenchmarkCountDistinctDict is count(DISTINCT user) over the user column
// as dictionary arrays, as scans of dictionary-encoded Parquet return it.
func BenchmarkCountDistinctDict(b *testing.B) {
	t := benchTableOf(b)
	mem := memory.NewGoAllocator()
	sch := schemaOf(field("user", arrow.BinaryTypes.String))
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var recs []arrow.RecordBatch
	for _, rec := range t.batches {
		bld := array.NewDictionaryBuilder(mem, dt).(*array.BinaryDictionaryBuilder)
		col := rec.Column(6).(*array.String)
		for i := range col.Len() {
			if err := bld.AppendString(col.Value(i)); err != nil {
				b.Fatal(err)
			}
		}
		d := bld.NewArray()
		bld.Release()
		recs = append(recs, array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "user", Type: dt, Nullable: true}}, nil), []arrow.Array{d}, int64(d.Len())))
		d.Release()
	}
	defer releaseAll(recs)
	spec := &AggSpec{Aggs: []Agg{{Func: AggCountDistinct, Arg: Col(0)}}}
	b.ReportAllocs()
	for b.Loop() {
		agg, err := newAggTable(Params{Mem: mem}, spec, sch)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if err := agg.consume(r); err != nil {
				b.Fatal(err)
			}
		}
		agg.release()
	}
}
