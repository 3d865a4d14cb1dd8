package pqfile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fullSampleDistinct is mostlyDistinct as it was before design 056:
// every sample position is read, into a map of its own.
func fullSampleDistinct(batches []arrow.RecordBatch, col int, rows int64) bool {
	step := max(rows/dictSample, 1)
	seen := make(map[string]struct{}, min(rows, dictSample))
	n := 0
	var pos, base int64
	for _, b := range batches {
		a := b.Column(col).(*array.String)
		for ; pos < base+b.NumRows(); pos += step {
			if i := int(pos - base); a.IsValid(i) {
				seen[a.Value(i)] = struct{}{}
				n++
			}
		}
		base += b.NumRows()
	}
	return n >= dictMinSample && float64(len(seen)) >= plainDistinct*float64(n)
}

// TestMostlyDistinctStopsEarlyWithTheSameAnswer: the early stop gives the
// full sample's answer for columns around the threshold (distinct shares
// from 50% to 100%, with and without NULLs, in one or several batches).
func TestMostlyDistinctStopsEarlyWithTheSameAnswer(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	r := rand.New(rand.NewPCG(5, 6))
	answers := map[bool]int{}
	for _, rows := range []int{300, 600, 4096, 9000, 28_000} {
		for _, cardinality := range []float64{0.001, 0.5, 0.8, 0.86, 0.88, 0.9, 0.92, 0.95, 1} {
			for _, nulls := range []int{0, 7} {
				b := array.NewStringBuilder(mem)
				for i := range rows {
					switch {
					case nulls > 0 && i%nulls == 0:
						b.AppendNull()
					case r.Float64() < cardinality:
						b.Append(fmt.Sprintf("v%d", r.Uint64()))
					default:
						b.Append(fmt.Sprintf("r%d", r.IntN(8)))
					}
				}
				col := b.NewArray()
				b.Release()
				rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(rows))
				col.Release()
				cut := int64(rows / 3)
				parts := []arrow.RecordBatch{rec.NewSlice(0, cut), rec.NewSlice(cut, int64(rows))}
				for _, batches := range [][]arrow.RecordBatch{{rec}, parts} {
					got, want := mostlyDistinct(batches, 0, int64(rows), map[string]struct{}{"stale": {}}), fullSampleDistinct(batches, 0, int64(rows))
					if got != want {
						t.Errorf("%d rows, %.3f new values, NULL every %d, %d batches: mostlyDistinct %v, full sample %v",
							rows, cardinality, nulls, len(batches), got, want)
					}
					answers[want]++
				}
				for _, p := range parts {
					p.Release()
				}
				rec.Release()
			}
		}
	}
	if answers[true] == 0 || answers[false] == 0 {
		t.Fatalf("the cases do not cover both answers: %v", answers)
	}
}

// BenchmarkDictChoice times the dictionary choice of the five string
// columns of one hourly file of `openwit bench ingest` (28k rows: service,
// host and level repeat a few values, trace ids and messages are distinct)
// as Write makes it, against the full-sample version it replaced.
func BenchmarkDictChoice(b *testing.B) {
	const rows = 28_000
	r := rand.New(rand.NewPCG(1, 2))
	fields := []arrow.Field{}
	gens := []func() string{
		func() string { return fmt.Sprintf("svc-%d", r.IntN(8)) },
		func() string { return fmt.Sprintf("host-%d", r.IntN(80)) },
		func() string { return []string{"info", "warn", "error", "debug"}[r.IntN(4)] },
		func() string { return fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64()) },
		func() string {
			return fmt.Sprintf("GET /api/v1/orders/%d completed in %dms", r.IntN(100000), r.IntN(900))
		},
	}
	var cols []arrow.Array
	for i, g := range gens {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.BinaryTypes.String})
		sb := array.NewStringBuilder(memory.DefaultAllocator)
		for range rows {
			sb.Append(g())
		}
		cols = append(cols, sb.NewArray())
		sb.Release()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rows)
	defer rec.Release()
	batches := []arrow.RecordBatch{rec}
	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var seen map[string]struct{}
			for i := range gens {
				if seen == nil {
					seen = make(map[string]struct{}, min(rows, 2*dictSample))
				}
				mostlyDistinct(batches, i, rows, seen)
			}
		}
	})
	b.Run("full-sample", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i := range gens {
				fullSampleDistinct(batches, i, rows)
			}
		}
	})
}
