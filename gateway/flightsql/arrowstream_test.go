package flightsql_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/prometheus/client_golang/prometheus"

	fsql "openwit/gateway/flightsql"
)

// arrowResults reads the server's count of results streamed straight
// from the executor.
func arrowResults(tb testing.TB, reg *prometheus.Registry) float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "openwit_flightsql_arrow_results_total" {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	tb.Fatal("metric openwit_flightsql_arrow_results_total not registered")
	return 0
}

// TestArrowStreamMatchesRows runs queries whose plans are fully vectorized
// twice: streamed from the executor's record batches, and through the row
// engine (SET openwit.vectorize = off, which converts rows to Arrow). The
// schemas (metadata included) and the values must be identical.
func TestArrowStreamMatchesRows(t *testing.T) {
	ctx := context.Background()
	st := newStack(t)
	reg := prometheus.NewRegistry()
	a, _ := st.start(t, fsql.Config{Trust: true, Registerer: reg, BatchRows: 3000})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	exec(t, cl, `CREATE TABLE typed (ts timestamptz NOT NULL, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
		n numeric(10,2), t text, j jsonb, by bytea, d date, tl timestamp)`)
	exec(t, cl, `CREATE TABLE small (ts timestamptz NOT NULL, v int8, s text)`)
	// Parquet files and buffered rows, so both kinds of sources are read.
	recs := logBatches(20_000, 4_000)
	appendTo := func(table string, n int) {
		if _, err := cl.ExecuteIngest(ctx, reader(t, logSchema, recs[:n]...), &flightsql.ExecuteIngestOpts{
			Table: table, TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend},
		}); err != nil {
			t.Fatal(err)
		}
	}
	appendTo("logs", 4)
	exec(t, cl, `INSERT INTO typed VALUES
		('2024-03-01 10:20:30.123456+00', true, -2, 4, 8000000000, 1.5, 2.25, 12345.67, 'hé', '{"a": 1}', 'ab', '2024-02-29', '2024-03-01 01:02:03.5'),
		('2024-03-01 10:20:31+00', NULL, NULL, 5, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		('2024-03-01 10:20:32+00', false, 7, 6, -1, -0.5, 1e300, -0.01, '', '[]', '', '1970-01-01', '1999-12-31 23:59:59')`)
	if err := st.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := cl.ExecuteIngest(ctx, reader(t, logSchema, recs[4]), &flightsql.ExecuteIngestOpts{Table: "logs",
		TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	exec(t, cl, `INSERT INTO small VALUES ('2024-01-01 00:00:01+00', 1, 'a'), ('2024-01-01 00:00:02+00', 2, NULL),
		('2024-01-01 00:00:03+00', 3, 'c'), ('2024-01-01 00:00:04+00', NULL, 'd')`)

	tests := []struct {
		sql     string
		arrow   bool // the plan is fully vectorized
		ordered bool // the result order is defined
	}{
		{sql: `SELECT count(*) FROM logs`, arrow: true, ordered: true},
		{sql: `SELECT count(*) AS n FROM logs WHERE level = 'error' AND latency_ms > 50`, arrow: true, ordered: true},
		{sql: `SELECT level, count(*) AS n FROM logs GROUP BY level`, arrow: true},
		{sql: `SELECT min(ts), max(ts), count(latency_ms), min(msg) FROM logs WHERE status = 404`, arrow: true, ordered: true},
		{sql: `SELECT count(DISTINCT service) FROM logs`, arrow: true, ordered: true},
		{sql: `SELECT ts, msg FROM logs ORDER BY ts LIMIT 100`, arrow: true, ordered: true},
		{sql: `SELECT ts, service, latency_ms FROM logs ORDER BY ts DESC LIMIT 7000`, arrow: true, ordered: true},
		{sql: `SELECT ts, service, latency_ms FROM logs WHERE level = 'warn'`, arrow: true},
		{sql: `SELECT msg AS m, ts AS "time" FROM logs WHERE status >= 404`, arrow: true},
		{sql: `SELECT * FROM logs`, arrow: true},
		{sql: `SELECT latency_ms, ts FROM logs`, arrow: true},
		{sql: `SELECT * FROM small LIMIT 3`, arrow: true, ordered: true},
		{sql: `SELECT s, v FROM small LIMIT 0`, arrow: true, ordered: true},
		{sql: `SELECT ts, b, i2, i4, i8, f4, f8, n, t, by, d, tl FROM typed WHERE i4 > 0`, arrow: true},
		{sql: `SELECT ts, b, i2, i4, i8, f4, f8, n, t, by, d, tl FROM typed`, arrow: true},
		{sql: `SET TimeZone = 'Asia/Tokyo'; SELECT ts, tl, d FROM typed WHERE tl < '2000-01-01 00:00:00' OR ts > '2024-03-01 19:20:31+09'`, arrow: true},
		{sql: `SELECT min(tl), max(d), min(f4), count(b) FROM typed`, arrow: true, ordered: true},
		// Not fully vectorized: the row path runs either way.
		{sql: `SELECT * FROM typed WHERE i4 > 0`}, // jsonb is rendered by the row path
		{sql: `SELECT level, count(*) FROM logs GROUP BY level ORDER BY level`, ordered: true},
		{sql: `SELECT sum(status), avg(latency_ms) FROM logs`, ordered: true},
		{sql: `SELECT upper(level) FROM logs WHERE status = 500`},
		{sql: `SELECT count(DISTINCT n) FROM typed`, arrow: true, ordered: true}, // count(DISTINCT numeric): design 096
		{sql: `SELECT max(n), count(*) FROM typed`, arrow: true, ordered: true},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			before := arrowResults(t, reg)
			vs, vrows := query(t, cl, tt.sql)
			streamed := arrowResults(t, reg) - before
			if tt.arrow && streamed != 1 {
				t.Errorf("not streamed from the executor's batches")
			}
			if !tt.arrow && streamed != 0 {
				t.Errorf("streamed from the executor's batches, want the row path")
			}
			rs, rrows := query(t, cl, "SET openwit.vectorize = off; "+tt.sql)
			if arrowResults(t, reg)-before != streamed {
				t.Errorf("the row engine's result was streamed from the executor")
			}
			if !vs.Equal(rs) || fmt.Sprint(vs.Metadata()) != fmt.Sprint(rs.Metadata()) {
				t.Fatalf("schemas differ:\nexecutor: %s\nrows:     %s", vs, rs)
			}
			for i, f := range vs.Fields() {
				if fmt.Sprint(f.Metadata) != fmt.Sprint(rs.Field(i).Metadata) {
					t.Errorf("field %s metadata: %v vs %v", f.Name, f.Metadata, rs.Field(i).Metadata)
				}
			}
			v, r := render(vrows, tt.ordered), render(rrows, tt.ordered)
			if len(vrows) != len(rrows) || v != r {
				t.Errorf("results differ (%d vs %d rows):\nexecutor: %.600s\nrows:     %.600s", len(vrows), len(rrows), v, r)
			}
			if len(vrows) == 0 && !strings.Contains(tt.sql, "LIMIT 0") {
				t.Errorf("no rows")
			}
		})
	}
}

// render prints rows one a line, sorted unless ordered.
func render(rows [][]any, ordered bool) string {
	lines := make([]string, len(rows))
	for i, r := range rows {
		lines[i] = fmt.Sprintf("%#v", r)
	}
	if !ordered {
		slices.Sort(lines)
	}
	return strings.Join(lines, "\n")
}
