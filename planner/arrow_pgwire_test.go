package planner_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// plainValue reads row i of col as pgwire.RecordRows names its values.
func plainValue(t *testing.T, col arrow.Array, i int) any {
	if col.IsNull(i) {
		return nil
	}
	switch a := col.(type) {
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i)) // Next widens float4 values
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC()
	case *array.Date32:
		return a.Value(i).ToTime().UTC()
	}
	t.Fatalf("unexpected column type %s", col.DataType())
	return nil
}

// TestRecordRowsValues: a fully vectorized query whose columns the wire
// can encode from Arrow offers its batches (Rows.RecordSchema), and their
// values are exactly what Next returns for the same query; a query with a
// column whose value Next converts (numeric, jsonb) does not.
func TestRecordRowsValues(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE typed (ts timestamptz NOT NULL, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
		t text, v varchar(5), c char(3), d date, tl timestamp, n numeric(10,2), j jsonb) WITH (time_column = 'ts')`)
	h.mustQuery(`INSERT INTO typed VALUES
		('2024-03-01 10:20:30.123456+00', true, -2, 4, 8000000000, 1.1, 2.25, 'hé', 'ab', 'x', '2024-02-29', '2024-03-01 01:02:03.5', 1.5, '{"a": 1}'),
		('2024-03-01 10:20:31+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		('2024-03-01 10:20:32+00', false, 32767, -2147483648, -1, 'NaN', '-Infinity', '', '', 'abc', 'infinity', '-infinity', 0, '[]')`)
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`INSERT INTO typed VALUES ('2024-03-01 10:20:33+00', true, 1, 2, 3, 4.5, 5.5, 'buffered', 'b', 'c', '2000-01-01', '2000-01-01 00:00:00', 2, 'null')`)
	const plain = `SELECT ts, b, i2, i4, i8, f4, f8, t, v, c, d, tl FROM typed ORDER BY ts LIMIT 10`
	for _, tt := range []struct {
		sql     string
		records bool
	}{
		{plain, true},
		{`SELECT * FROM typed LIMIT 2`, false}, // numeric and jsonb
		{`SELECT ts, n FROM typed`, false},
		{`SELECT upper(t) FROM typed`, false}, // not fully vectorized
	} {
		stmts, err := h.s.Prepare(ctx, tt.sql, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := stmts[0].Execute(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := rows.RecordSchema() != nil; got != tt.records {
			t.Errorf("%s: RecordSchema offered %v, want %v", tt.sql, got, tt.records)
		}
		rows.Close()
	}

	// The batches' values against Next's, row by row.
	stmts, err := h.s.Prepare(ctx, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := stmts[0].Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var fromRecords [][]any
	for {
		rec, err := rows.NextRecord(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range int(rec.NumRows()) {
			row := make([]any, rec.NumCols())
			for c, col := range rec.Columns() {
				row[c] = plainValue(t, col, i)
			}
			fromRecords = append(fromRecords, row)
		}
		rec.Release()
	}
	rows.Close()
	rows, err = stmts[0].Execute(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for ; ; n++ {
		row, err := rows.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(fromRecords) {
			t.Fatalf("Next returned more than the %d rows of the batches", len(fromRecords))
		}
		for c, v := range row {
			w := fromRecords[n][c]
			if tv, ok := v.(time.Time); ok {
				if wt, ok := w.(time.Time); !ok || !tv.Equal(wt) || tv.Location() != wt.Location() {
					t.Errorf("row %d column %d: Next %v, batch %v", n, c, v, w)
				}
				continue
			}
			if f, ok := v.(float64); ok && f != f {
				if wf, ok := w.(float64); !ok || wf == wf {
					t.Errorf("row %d column %d: Next NaN, batch %v", n, c, w)
				}
				continue
			}
			if v != w {
				t.Errorf("row %d column %d: Next %#v, batch %#v", n, c, v, w)
			}
		}
	}
	if n != 4 || len(fromRecords) != 4 {
		t.Errorf("Next returned %d rows, the batches %d; want 4", n, len(fromRecords))
	}
}
