package planner_test

import (
	"context"
	"math"
	"testing"
	"time"

	"openwit/internal/pgerror"
	"openwit/planner"
)

// beginCopy prepares sql (one COPY FROM) and starts it.
func (h *harness) beginCopy(sql string) (*planner.CopyIn, error) {
	h.t.Helper()
	ps, err := h.s.Prepare(context.Background(), sql, nil)
	if err != nil {
		return nil, err
	}
	return ps[0].BeginCopyFrom(context.Background())
}

func TestCopyInAtomic(t *testing.T) {
	h := newHarnessConfig(t, planner.Config{CopyMaxBytes: 64 << 10})
	h.mustQuery("CREATE TABLE t (ts timestamptz NOT NULL, v int8, s text) WITH (shard_duration = '1m')")
	ctx := context.Background()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	// Rows over several shards commit together, with the unlisted column NULL.
	in, err := h.beginCopy("COPY t (ts, v) FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		if err := in.Append(ctx, []any{base.Add(time.Duration(i) * time.Second), int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.mustQuery("SELECT count(*) FROM t"); got != "0" {
		t.Fatalf("rows visible before Commit: %s", got)
	}
	if n, err := in.Commit(ctx); err != nil || n != 300 {
		t.Fatalf("Commit: %d, %v", n, err)
	}
	if got := h.mustQuery("SELECT count(*), count(s), sum(v) FROM t"); got != "300|0|44850" {
		t.Fatalf("after Commit: %s", got)
	}

	// A COPY above CopyMaxBytes fails while rows arrive and writes nothing.
	in, err = h.beginCopy("COPY t (ts, s) FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	long := string(make([]byte, 1000))
	var appendErr error
	for i := 0; i < 1000 && appendErr == nil; i++ {
		appendErr = in.Append(ctx, []any{base, long})
	}
	if pgerror.Code(appendErr) != pgerror.ProgramLimitExceeded {
		t.Fatalf("oversized COPY: %v, want 54000", appendErr)
	}
	in.Abort()
	in.Abort() // idempotent
	if got := h.mustQuery("SELECT count(*) FROM t"); got != "300" {
		t.Fatalf("after an aborted COPY: %s", got)
	}

	// Values the column cannot hold are refused with the column's name.
	in, err = h.beginCopy("COPY t FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Abort()
	if err := in.Append(ctx, []any{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), nil, nil}); pgerror.Code(err) != pgerror.DatetimeOverflow {
		t.Fatalf("timestamptz after 9999: %v, want 22008", err)
	}
	if err := in.Append(ctx, []any{time.Date(0, 12, 31, 23, 59, 59, 0, time.UTC), nil, nil}); pgerror.Code(err) != pgerror.DatetimeOverflow {
		t.Fatalf("timestamptz before 0001: %v, want 22008", err)
	}
	// Before 1970 and after 2038 (MySQL TIMESTAMP's range) are values.
	for _, ts := range []time.Time{time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if err := in.Append(ctx, []any{ts, nil, nil}); err != nil {
			t.Fatalf("timestamptz %s: %v", ts, err)
		}
	}
	if err := in.Append(ctx, []any{nil, int64(1), "x"}); pgerror.Code(err) != pgerror.NotNullViolation {
		t.Fatalf("NULL time column: %v, want 23502", err)
	}
}

// TestCopyInReal checks that COPY stores real's infinities, NaN and -0, and
// refuses finite values past real's range (22003) as PostgreSQL does.
func TestCopyInReal(t *testing.T) {
	h := newHarness(t)
	h.mustQuery("CREATE TABLE f (ts timestamptz NOT NULL, r real)")
	ctx := context.Background()
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	in, err := h.beginCopy("COPY f FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1), 1.5} {
		if err := in.Append(ctx, []any{ts, v}); err != nil {
			t.Fatalf("append %v: %v", v, err)
		}
	}
	if err := in.Append(ctx, []any{ts, 1e39}); pgerror.Code(err) != pgerror.NumericOutOfRange {
		t.Fatalf("1e39 into real: %v, want 22003", err)
	}
	in.Abort()

	in, err = h.beginCopy("COPY f FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), math.Copysign(0, -1)} {
		if err := in.Append(ctx, []any{ts, v}); err != nil {
			t.Fatalf("append %v: %v", v, err)
		}
	}
	if n, err := in.Commit(ctx); err != nil || n != 4 {
		t.Fatalf("Commit: %d, %v", n, err)
	}
	if got := h.mustQuery("SELECT r::text AS v FROM f ORDER BY r"); got != "-Infinity\n-0\nInfinity\nNaN" {
		t.Fatalf("stored: %q", got)
	}
}
