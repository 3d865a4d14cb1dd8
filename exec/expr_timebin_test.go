package exec

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// refBin is floor((x - origin) / width) * width + origin in big steps the
// test trusts: float-free, by repeated correction.
func refBin(x, origin, width int64) int64 {
	q := (x - origin) / width
	if (x-origin)%width != 0 && x < origin {
		q--
	}
	return origin + q*width
}

// TestTimeBin: the bins of random timestamps (before and after the
// origin, on and next to bin edges, NULLs) are floor bins; out-of-range
// steps are an error, not a wrapped value; the expression survives the
// fragment's JSON; no Arrow memory is left behind.
func TestTimeBin(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := rand.New(rand.NewPCG(7, 9))
	for _, width := range []int64{1, 500_000, 60e6, 86_400e6, 7 * 86_400e6} {
		for _, origin := range []int64{0, 946_684_800e6, -1_234_567, 37} {
			typ := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
			b := array.NewTimestampBuilder(mem, typ)
			var want []any
			for i := range 3000 {
				var x int64
				switch i % 5 {
				case 0:
					b.AppendNull()
					want = append(want, nil)
					continue
				case 1: // on an edge
					x = origin + (r.Int64N(2e6)-1e6)*width
				case 2: // next to an edge
					x = origin + (r.Int64N(2e6)-1e6)*width - 1
				default:
					x = origin + r.Int64N(4e15) - 2e15
				}
				b.Append(arrow.Timestamp(x))
				want = append(want, refBin(x, origin, width))
			}
			col := b.NewArray()
			b.Release()
			schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: typ, Nullable: true}}, nil)
			rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(col.Len()))
			col.Release()
			e := TimeBin(Col(0), width, time.UnixMicro(origin))
			var back Expr
			raw, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			v, err := compileValue(&back, schema)
			if err != nil {
				t.Fatal(err)
			}
			out, err := v.eval(mem, rec)
			if err != nil {
				t.Fatal(err)
			}
			got := out.(*array.Timestamp)
			for i := range got.Len() {
				if want[i] == nil {
					if !got.IsNull(i) {
						t.Fatalf("width %d origin %d row %d: %v, want NULL", width, origin, i, got.Value(i))
					}
					continue
				}
				if int64(got.Value(i)) != want[i].(int64) {
					t.Fatalf("width %d origin %d row %d: %d, want %d", width, origin, i, got.Value(i), want[i])
				}
			}
			out.Release()
			rec.Release()
		}
	}
	for _, tc := range []struct{ x, origin, width int64 }{
		{math.MinInt64 + 5, 0, 10},           // floor below the smallest timestamp
		{math.MaxInt64 - 3, -100, 7},         // x - origin overflows
		{math.MinInt64 + 50, 100, 1_000_000}, // x - origin overflows downwards
	} {
		if _, ok := binStart(tc.x, tc.origin, tc.width); ok {
			t.Errorf("binStart(%d, %d, %d) did not report the overflow", tc.x, tc.origin, tc.width)
		}
	}
	if got, ok := binStart(-15, 0, 10); !ok || got != -20 {
		t.Errorf("binStart(-15, 0, 10) = %d, %v; want -20", got, ok)
	}
	if got := TimeBin(Col(0), 60e6, time.Unix(0, 0)).format([]string{"ts"}); got != "time_bin('60000000us', ts, '1970-01-01 00:00:00Z')" {
		t.Errorf("format: %s", got)
	}
}
