package exec_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/exec"
	"openwit/internal/jsonscan"
	"openwit/planner/pgexpr"
)

// benchDocs are log events of about 200 bytes in jsonb's text output, as
// design 065 measured: a few keys, one nested object.
func benchDocs(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		d, err := pgexpr.ParseJSONB(fmt.Sprintf(`{"ms": %d.%02d, "svc": %q, "host": "node-%03d.prod.example", "user": {"id": %d, "name": "user-%d"}, "status": "%d", "msg": "request handled in the usual way", "level": %q}`,
			r.IntN(1000), r.IntN(100), []string{"api", "web"}[r.IntN(2)], r.IntN(500), r.IntN(100000), r.IntN(1000),
			[]int{200, 200, 404, 500}[r.IntN(4)], []string{"info", "info", "error"}[r.IntN(3)]), false)
		if err != nil {
			panic(err)
		}
		out[i] = d.String()
	}
	return out
}

type benchFilter struct {
	name string
	vec  *exec.Expr
	// row is what the row engine evaluates per row: the operator over the
	// parsed document.
	op  string
	arg any
	at  sql.Type
	ok  func(v any) bool
}

func benchFilters() []benchFilter {
	doc := exec.Col(0)
	get := func(text bool, path ...jsonscan.Step) *exec.Expr {
		return &exec.Expr{Op: exec.OpJSONGet, Args: []*exec.Expr{doc}, Path: path, Text: text}
	}
	contains, err := pgexpr.ParseJSONB(`{"level": "error"}`, false)
	if err != nil {
		panic(err)
	}
	return []benchFilter{
		{name: "svc=api", vec: exec.Call(exec.OpEq, get(true, jsonscan.Step{Key: "svc"}), exec.Str("api")),
			op: "->>", arg: "svc", at: types.LongText, ok: func(v any) bool { return v == "api" }},
		{name: "contains", vec: &exec.Expr{Op: exec.OpJSONContains, Args: []*exec.Expr{doc}, Str: `{"level": "error"}`},
			op: "@>", arg: contains, at: types.JSON, ok: func(v any) bool { return v == true }},
		{name: "has", vec: &exec.Expr{Op: exec.OpJSONHas, Args: []*exec.Expr{doc}, Str: "msg"},
			op: "?", arg: "msg", at: types.LongText, ok: func(v any) bool { return v == true }},
		{name: "chain", vec: exec.Call(exec.OpEq, get(true, jsonscan.Step{Key: "user"}, jsonscan.Step{Key: "name"}), exec.Str("user-7")),
			op: "#>>", arg: "{user,name}", at: types.LongText, ok: func(v any) bool { return v == "user-7" }},
		{name: "cast", vec: exec.Call(exec.OpGe, &exec.Expr{Op: exec.OpCast, Str: "int4", Args: []*exec.Expr{get(true, jsonscan.Step{Key: "status"})}}, exec.Int(500)),
			op: "->>", arg: "status", at: types.LongText, ok: func(v any) bool { return v == "500" }},
	}
}

// BenchmarkJSONFilter compares a JSON filter over 8,192-row batches of
// stored jsonb text: impl=tree parses every document and applies the row
// engine's operator (what the row path does per row), impl=scan runs the
// vectorized filter. Compare with benchstat -col /impl.
func BenchmarkJSONFilter(b *testing.B) {
	const n = 8192
	docs := benchDocs(n)
	size := 0
	for _, d := range docs {
		size += len(d)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "doc", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	sb.AppendValues(docs, nil)
	col := sb.NewArray()
	sb.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, n)
	col.Release()
	defer rec.Release()
	ctx := sql.NewEmptyContext()
	for _, f := range benchFilters() {
		b.Run(f.name+"/impl=tree", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			kept := 0
			for b.Loop() {
				kept = 0
				for _, d := range docs {
					j, err := pgexpr.ParseStoredJSONB(d)
					if err != nil {
						b.Fatal(err)
					}
					op, err := pgexpr.NewJSONOp(f.op, expression.NewLiteral(j, types.JSON), expression.NewLiteral(f.arg, f.at))
					if err != nil {
						b.Fatal(err)
					}
					v, err := op.Eval(ctx, nil)
					if err != nil {
						b.Fatal(err)
					}
					if f.ok(v) {
						kept++
					}
				}
			}
			b.ReportMetric(float64(kept), "rows")
		})
		b.Run(f.name+"/impl=scan", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size))
			p := exec.Params{Mem: memory.DefaultAllocator}
			kept := 0
			for b.Loop() {
				scan, err := exec.NewScan(p, exec.Source{Batches: []arrow.RecordBatch{rec}}, schema, []string{"doc"}, nil)
				if err != nil {
					b.Fatal(err)
				}
				flt, err := exec.NewFilter(p, scan, f.vec)
				if err != nil {
					b.Fatal(err)
				}
				kept = countRows(b, flt)
			}
			b.ReportMetric(float64(kept), "rows")
		})
	}
}

func countRows(tb testing.TB, op exec.Operator) int {
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	defer op.Close()
	n := 0
	for {
		rec, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			tb.Fatal(err)
		}
		n += int(rec.NumRows())
	}
}
