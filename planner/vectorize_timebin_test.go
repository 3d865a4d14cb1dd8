package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTimeBinVectorized: Grafana's $__timeGroup expression, its variants
// and date_bin group on the vectorized path (EXPLAIN shows a time_bin key)
// and give the row engine's answer over Parquet files and buffered rows,
// with timestamps on bin edges, a microsecond before them and before 1970.
func TestTimeBinVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE m (ts timestamptz NOT NULL, at timestamp, v float8, svc text) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(5, 8))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO m VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			var off string
			switch rng.IntN(4) {
			case 0: // a bin edge of every width below
				off = fmt.Sprintf("interval '%d seconds'", 3600*rng.IntN(60))
			case 1: // a microsecond before one
				off = fmt.Sprintf("interval '%d seconds' - interval '1 microsecond'", 3600*rng.IntN(60))
			case 2: // before 1970
				off = fmt.Sprintf("interval '%d seconds' - interval '60 years'", rng.IntN(200000))
			default:
				off = fmt.Sprintf("interval '%d.%06d seconds'", rng.IntN(200000), rng.IntN(1000000))
			}
			at := "NULL"
			if rng.IntN(6) > 0 {
				at = fmt.Sprintf("'2024-03-01 00:00:00'::timestamp + interval '%d seconds'", rng.IntN(100000))
			}
			fmt.Fprintf(&b, "('2024-03-01 00:00:00+00'::timestamptz + %s, %s, %d, '%s')", off, at, rng.IntN(1000), []string{"api", "web"}[rng.IntN(2)])
		}
		h.mustQuery(b.String())
	}
	insert(500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(300) // fresh rows in the ingest buffers
	queries := []string{
		`SELECT floor(extract(epoch from ts)/60)*60 AS "time", count(*) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT floor(extract(epoch from ts)/300)*300 AS "time", svc, sum(v) FROM m WHERE ts BETWEEN '2024-03-01T00:00:00Z' AND '2024-03-02T00:00:00Z' GROUP BY 1, 2 ORDER BY 1, 2`,
		`SELECT floor(extract(epoch from ts)/0.5)*0.5 AS "time", max(v) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT floor(extract(epoch from ts)/86400) AS day, avg(v) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT to_timestamp(floor(extract(epoch from ts)/3600)*3600) AS hour, count(*) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT 60 * floor(extract(epoch from at)/60) AS "time", count(*) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT date_bin('15 minutes', ts, timestamptz '2001-02-03 04:05:06.789+00') AS b, count(*), min(v) FROM m GROUP BY 1 ORDER BY 1`,
		`SELECT date_bin('2 hours 7 minutes', at, timestamp '2000-01-01') AS b, count(*) FROM m GROUP BY 1 ORDER BY 1`,
	}
	for _, q := range queries {
		plan := h.mustQuery("EXPLAIN " + q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "time_bin(") {
			t.Errorf("%s: no time_bin key:\n%s", q, plan)
		}
		vec := sameInBothEngines(t, h, q)
		if strings.Count(vec, "\n") < 3 {
			t.Errorf("%s: %q: too few groups for the data to mean anything", q, vec)
		}
	}
	// Shapes whose groups are not bins keep the row engine's grouping: a
	// float divisor, a multiple by zero, a non-epoch field, a width that is
	// not whole microseconds, a stride with months.
	for _, q := range []string{
		`SELECT floor(extract(epoch from ts)/60::float8)*60 AS "time", count(*) FROM m GROUP BY 1`,
		`SELECT floor(extract(epoch from ts)/60)*0 AS z, count(*) FROM m GROUP BY 1`,
		`SELECT floor(extract(hour from ts)/6) AS q, count(*) FROM m GROUP BY 1`,
		`SELECT floor(extract(epoch from ts)/0.0000001) AS q, count(*) FROM m GROUP BY 1`,
	} {
		if plan := h.mustQuery("EXPLAIN " + q); strings.Contains(plan, "time_bin(") {
			t.Errorf("%s: grouped by a time bin:\n%s", q, plan)
		}
		sameInBothEngines(t, h, q+" ORDER BY 1")
	}
	if _, err := h.query(`SELECT date_bin('1 month', ts, timestamptz '2000-01-01'), count(*) FROM m GROUP BY 1`); err == nil || !strings.Contains(err.Error(), "months") {
		t.Errorf("date_bin by a month: %v, want the row engine's error", err)
	}
}

// TestCaseWhenVectorized: aggregates with FILTER (WHERE ...) and over
// CASE WHEN p THEN x END run in the executor (EXPLAIN shows the CASE in
// the VectorizedScan) and give the row engine's answer over Parquet files
// and buffered rows, with NULLs in the condition and in the values.
func TestCaseWhenVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE e (ts timestamptz NOT NULL, level text, status int, v float8) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(9, 2))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO e VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			level := []string{"'error'", "'info'", "'warn'", "NULL"}[rng.IntN(4)]
			status := []string{"200", "500", "503", "NULL"}[rng.IntN(4)]
			v := "NULL"
			if rng.IntN(5) > 0 {
				v = fmt.Sprintf("%d.5", rng.IntN(1000))
			}
			fmt.Fprintf(&b, "('2024-03-01 00:00:00+00'::timestamptz + interval '%d seconds', %s, %s, %s)", rng.IntN(20000), level, status, v)
		}
		h.mustQuery(b.String())
	}
	insert(400)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(200)
	for _, q := range []string{
		`SELECT level, count(*) FILTER (WHERE status >= 500) FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT floor(extract(epoch from ts)/3600)*3600 AS "time", count(*) FILTER (WHERE level = 'error') AS errors, count(*) AS total FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT level, sum(v) FILTER (WHERE status = 200), avg(v) FILTER (WHERE v > 500), min(v) FILTER (WHERE level <> 'info'), max(status) FILTER (WHERE v IS NOT NULL) FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT count(CASE WHEN level = 'warn' THEN 'x' END), sum(CASE WHEN status = 503 THEN v END), count(v) FILTER (WHERE level IS NULL) FROM e`,
		`SELECT status, count(DISTINCT level) FILTER (WHERE v < 300) FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT level, sum(CASE WHEN status >= 500 THEN 1 ELSE 0 END), max(CASE WHEN status = 200 THEN v ELSE -1 END), min(CASE WHEN v > 100 THEN status ELSE 0 END) FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT floor(extract(epoch from ts)/3600)*3600 AS "time", 100.0 * sum(CASE WHEN level = 'error' THEN 1 ELSE 0 END) / count(*) AS error_pct FROM e GROUP BY 1 ORDER BY 1`,
		`SELECT sum(CASE WHEN level IS NULL THEN v ELSE 0.5 END), sum(CASE WHEN status = 503 THEN 2 ELSE status END) FROM e`,
	} {
		plan := h.mustQuery("EXPLAIN " + q)
		if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "CASE WHEN") {
			t.Errorf("%s: the CASE is not pushed:\n%s", q, plan)
		}
		sameInBothEngines(t, h, q)
	}
}

// TestZoneTruncVectorized: date_trunc of a timestamptz in a session whose
// TimeZone is not UTC groups on the executor by the local wall clock and
// gives the row engine's answer, across daylight-saving changes (the
// repeated hour included), in a zone with a half-hour offset and one with a
// half-hour DST change.
func TestZoneTruncVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE z (ts timestamptz NOT NULL, v int) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(4, 4))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO z VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			// Around New York's and Lord Howe's changes of 2024.
			base := []string{"2024-03-10 04:00:00+00", "2024-11-03 03:00:00+00", "2024-04-06 13:00:00+00", "2024-10-05 14:00:00+00"}[rng.IntN(4)]
			fmt.Fprintf(&b, "('%s'::timestamptz + interval '%d seconds', %d)", base, rng.IntN(6*3600), rng.IntN(100))
		}
		h.mustQuery(b.String())
	}
	insert(500)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(200)
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"} {
		h.mustQuery(`SET TIME ZONE '` + zone + `'`)
		for _, unit := range []string{"minute", "hour", "day"} {
			q := `SELECT date_trunc('` + unit + `', ts) AS t, count(*), sum(v) FROM z GROUP BY 1 ORDER BY 1`
			plan := h.mustQuery("EXPLAIN " + q)
			if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, "date_trunc('"+unit+"', ts, '"+zone+"')") {
				t.Errorf("%s in %s: not grouped on the executor:\n%s", q, zone, plan)
			}
			t.Run(zone+"/"+unit, func(t *testing.T) { sameInBothEngines(t, h, q) })
		}
	}
	// A unit the executor does not have stays on the row engine (week to
	// year are TestCalendarKeysVectorized's).
	if plan := h.mustQuery(`EXPLAIN SELECT date_trunc('decade', ts), count(*) FROM z GROUP BY 1`); strings.Contains(plan, "date_trunc('decade', ts, ") {
		t.Errorf("decade pushed:\n%s", plan)
	}
}

// sameInBothEngines runs q vectorized and on the row engine, reports a
// difference and returns the vectorized answer.
func sameInBothEngines(t *testing.T, h *harness, q string) string {
	t.Helper()
	vec := h.mustQuery(q)
	h.mustQuery(`SET openwit.vectorize = off`)
	row := h.mustQuery(q)
	h.mustQuery(`SET openwit.vectorize = on`)
	if vec != row {
		t.Errorf("%s: vectorized\n%s\nrow engine\n%s", q, vec, row)
	}
	return vec
}
