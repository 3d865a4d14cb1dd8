package pqfile

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fullSampleDistinct is mostlyDistinct without its early stop: every
// sample position is read.
func fullSampleDistinct(batches []arrow.RecordBatch, col int, rows int64) bool {
	step := max(rows/dictSample, 1)
	seen := map[string]struct{}{}
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
					got, want := mostlyDistinct(batches, 0, int64(rows)), fullSampleDistinct(batches, 0, int64(rows))
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
