package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestCalendarKeysVectorized: date_trunc to a week, month, quarter or
// year, extract of calendar fields and date_bin group on the executor in
// sessions outside UTC (and in UTC) and give the row engine's answer over
// Parquet files and buffered rows, around local midnights of month, year
// and DST changes, for timestamptz and timestamp columns with NULLs.
func TestCalendarKeysVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE k (ts timestamptz NOT NULL, at timestamptz, lt timestamp, v int) WITH (time_column = 'ts')`)
	rng := rand.New(rand.NewPCG(3, 11))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO k VALUES ")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			// Around New Year, quarter ends, New York's and Lord Howe's
			// changes of 2024, and 1970.
			base := []string{"2023-12-31 20:00:00+00", "2024-03-31 18:00:00+00", "2024-03-10 04:00:00+00", "2024-11-03 03:00:00+00", "2024-04-06 13:00:00+00", "2024-06-30 16:00:00+00", "1969-12-31 12:00:00+00"}[rng.IntN(7)]
			ts := fmt.Sprintf("'%s'::timestamptz + interval '%d seconds'", base, rng.IntN(16*3600))
			at, lt := "NULL", "NULL"
			if rng.IntN(5) > 0 {
				at = ts
			}
			if rng.IntN(5) > 0 {
				lt = fmt.Sprintf("'2024-02-28 20:00:00'::timestamp + interval '%d minutes'", rng.IntN(3*24*60))
			}
			fmt.Fprintf(&b, "(%s, %s, %s, %d)", ts, at, lt, rng.IntN(100))
		}
		h.mustQuery(b.String())
	}
	insert(700)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(300)
	for _, zone := range []string{"America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"} {
		h.mustQuery(`SET TIME ZONE '` + zone + `'`)
		for _, tc := range []struct{ q, key string }{
			{`SELECT date_trunc('week', ts) AS t, count(*), sum(v) FROM k GROUP BY 1 ORDER BY 1`, "date_trunc('week', ts, '" + zone + "')"},
			{`SELECT date_trunc('month', at) AS t, count(*) FROM k GROUP BY 1 ORDER BY 1`, "date_trunc('month', at, '" + zone + "')"},
			{`SELECT date_trunc('quarter', ts) AS t, date_trunc('year', ts) AS y, count(*) FROM k GROUP BY 1, 2 ORDER BY 1, 2`, "date_trunc('year', ts, '" + zone + "')"},
			{`SELECT date_trunc('month', lt) AS t, count(*) FROM k GROUP BY 1 ORDER BY 1`, "date_trunc('month', lt, 'UTC')"},
			{`SELECT extract(hour from ts) AS h, count(*), min(v) FROM k GROUP BY 1 ORDER BY 1`, "extract(hour from ts, '" + zone + "')"},
			{`SELECT extract(dow from at) AS d, extract(day from at) AS dd, count(*) FROM k GROUP BY 1, 2 ORDER BY 1, 2`, "extract(day from at, '" + zone + "')"},
			{`SELECT extract(isodow from ts) AS d, extract(doy from ts) AS y, extract(month from ts) AS m, extract(quarter from ts) AS q, extract(year from ts) AS yy, count(*) FROM k GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`, "extract(isodow from ts, '" + zone + "')"},
			{`SELECT date_part('hour', lt) AS h, count(*) FROM k GROUP BY 1 ORDER BY 1`, "extract(hour from lt, 'UTC')"},
			{`SELECT date_bin('1 day', ts, '2024-01-01') AS b, count(*) FROM k GROUP BY 1 ORDER BY 1`, "time_bin("},
			{`SELECT date_bin('90 minutes', at, timestamptz '2024-01-01 00:17:00') AS b, count(*) FROM k GROUP BY 1 ORDER BY 1`, "time_bin("},
			{`SELECT date_bin('1 day', lt, '2024-01-01 06:00') AS b, count(*) FROM k GROUP BY 1 ORDER BY 1`, "time_bin("},
		} {
			plan := h.mustQuery("EXPLAIN " + tc.q)
			if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.key) {
				t.Errorf("%s in %s: no %s key:\n%s", tc.q, zone, tc.key, plan)
			}
			vec := sameInBothEngines(t, h, tc.q)
			if strings.Count(vec, "\n") < 2 {
				t.Errorf("%s in %s: %q: too few groups for the data to mean anything", tc.q, zone, vec)
			}
		}
	}
}
