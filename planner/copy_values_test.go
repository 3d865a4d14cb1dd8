package planner_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"openwit/internal/copyval"
	"openwit/internal/pgerror"
	"openwit/planner"
)

// TestCopyInAppendValues checks that unboxed rows store what boxed rows
// store and fail with the same errors.
func TestCopyInAppendValues(t *testing.T) {
	h := newHarness(t)
	for _, name := range []string{"t", "t_boxed", "t_values"} {
		h.mustQuery("CREATE TABLE " + name + " (ts timestamptz NOT NULL, a int2, b int4, c int8, f float8, r real, ok bool, s text, j jsonb, d date, by bytea, n numeric(6,2)) WITH (shard_duration = '1m')")
	}
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	row := func(i int) []any {
		if i%3 == 2 {
			return []any{base.Add(time.Duration(i) * 7 * time.Second), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
		}
		return []any{base.Add(time.Duration(i) * 7 * time.Second), int64(i - 100), int64(i * 1000), int64(i) << 40, float64(i) / 4, float64(i) / 8,
			i%2 == 0, fmt.Sprintf("s%d", i), fmt.Sprintf(`{"i":%d}`, i), base.AddDate(0, 0, i), []byte{byte(i), 0}, fmt.Sprintf("%d.25", i)}
	}
	for _, mode := range []string{"boxed", "values"} {
		in, err := h.beginCopy("COPY t_" + mode + " FROM STDIN")
		if err != nil {
			t.Fatal(err)
		}
		for i := range 500 {
			r := row(i)
			if mode == "boxed" {
				err = in.Append(ctx, r)
			} else {
				vals := make([]copyval.Value, len(r))
				for k, v := range r {
					vals[k] = copyval.Of(v)
				}
				err = in.AppendValues(ctx, vals)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n, err := in.Commit(ctx); err != nil || n != 500 {
			t.Fatalf("%s: Commit %d, %v", mode, n, err)
		}
		got := h.mustQuery("SELECT count(*), count(a), sum(a), sum(b), sum(c), sum(f), sum(r), count(*) FILTER (WHERE ok), sum(length(s)), sum(length(j::text)), min(d), max(d), sum(length(by)), sum(n) FROM t_" + mode)
		if want := "500|334|49933|83333000|91625602477457408|20833.25|10416.625|167|1262|3266|2024-01-01T00:00:00Z|2025-05-14T00:00:00Z|668|83416.50"; got != want {
			t.Errorf("%s: %s, want %s", mode, got, want)
		}
	}

	// Errors are those of Append, value by value.
	bad := []struct {
		name string
		row  []any
		code string
	}{
		{"null in not null", []any{nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}, pgerror.NotNullViolation},
		{"int2 range", []any{base, int64(40000), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}, pgerror.DatatypeMismatch},
		{"int4 range", []any{base, nil, int64(1) << 40, nil, nil, nil, nil, nil, nil, nil, nil, nil}, pgerror.DatatypeMismatch},
		{"real range", []any{base, nil, nil, nil, nil, 1e300, nil, nil, nil, nil, nil, nil}, pgerror.NumericOutOfRange},
		{"bad json", []any{base, nil, nil, nil, nil, nil, nil, nil, "{", nil, nil, nil}, pgerror.InvalidTextRepr},
		{"timestamp range", []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}, pgerror.DatetimeOverflow},
		{"numeric overflow", []any{base, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "12345.5"}, pgerror.NumericOutOfRange},
		{"string for int", []any{base, nil, nil, "7", nil, nil, nil, nil, nil, nil, nil, nil}, pgerror.DatatypeMismatch},
	}
	for _, tt := range bad {
		var msgs [2]string
		for m := range 2 {
			in, err := h.beginCopy("COPY t FROM STDIN")
			if err != nil {
				t.Fatal(err)
			}
			if m == 0 {
				err = in.Append(ctx, tt.row)
			} else {
				vals := make([]copyval.Value, len(tt.row))
				for k, v := range tt.row {
					vals[k] = copyval.Of(v)
				}
				err = in.AppendValues(ctx, vals)
			}
			in.Abort()
			if pgerror.Code(err) != tt.code {
				t.Errorf("%s (mode %d): %v, want %s", tt.name, m, err, tt.code)
			}
			if err != nil {
				msgs[m] = err.Error()
			}
		}
		if msgs[0] != msgs[1] {
			t.Errorf("%s: boxed %q, values %q", tt.name, msgs[0], msgs[1])
		}
	}
	if got := h.mustQuery("SELECT count(*) FROM t"); got != "0" {
		t.Errorf("after failed COPYs: %s rows", got)
	}
}

// BenchmarkCopyInAppend appends 256Ki log rows (the bench's shape: 0.1 s
// apart, over 8 one-hour shards) to a COPY and aborts it: the sink's CPU
// per row, boxed (Append) and unboxed (AppendValues), including the
// provisional WAL records written every 64Ki rows.
func BenchmarkCopyInAppend(b *testing.B) {
	h := newHarness(b)
	h.mustQuery("CREATE TABLE logs (ts timestamptz NOT NULL, service text, host text, level text, status int4, latency_ms float8, trace_id text, message text)")
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 256 << 10
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{base.Add(time.Duration(i) * 100 * time.Millisecond), "checkout", fmt.Sprintf("checkout-%d", i%10), "info", int64(200), float64(i%1000) + 0.25,
			fmt.Sprintf("%032x", i), fmt.Sprintf("GET /api/v1/items/%d completed in 12ms", i)}
	}
	run := func(b *testing.B, appendRow func(*planner.CopyIn, []any) error) {
		b.ReportAllocs()
		for b.Loop() {
			in, err := h.beginCopy("COPY logs FROM STDIN")
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range rows {
				if err := appendRow(in, r); err != nil {
					b.Fatal(err)
				}
			}
			in.Abort()
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/row")
	}
	b.Run("boxed", func(b *testing.B) {
		boxed := make([]any, 8)
		run(b, func(in *planner.CopyIn, r []any) error {
			// The old reader boxed every value per row.
			for k, v := range r {
				switch x := v.(type) {
				case string:
					boxed[k] = string([]byte(x)[:len(x):len(x)])
				default:
					boxed[k] = x
				}
			}
			return in.Append(ctx, boxed)
		})
	})
	b.Run("values", func(b *testing.B) {
		vals := make([]copyval.Value, 8)
		run(b, func(in *planner.CopyIn, r []any) error {
			for k, v := range r {
				vals[k] = copyval.Of(v)
			}
			return in.AppendValues(ctx, vals)
		})
	})
}
