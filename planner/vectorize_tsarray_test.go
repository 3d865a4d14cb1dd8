package planner_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTimestampArrayVectorized: x op ANY/ALL over timestamptz[] and
// timestamp[] columns (a constant of the element's own type) and their
// subscripts run in the vectorized executor and return what the row engine
// returns, in UTC and in another session TimeZone, over Parquet files and
// buffered rows.
func TestTimestampArrayVectorized(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE tav (ts timestamptz NOT NULL, seen timestamptz[], local timestamp[])`)
	rng := rand.New(rand.NewPCG(8, 9))
	insert := func(n int) {
		var b strings.Builder
		b.WriteString("INSERT INTO tav VALUES ")
		arr := func(suffix string) string {
			switch rng.IntN(8) {
			case 0:
				return "NULL"
			case 1:
				return "'{}'"
			}
			parts := make([]string, 1+rng.IntN(3))
			for i := range parts {
				if rng.IntN(6) == 0 {
					parts[i] = "NULL"
				} else {
					parts[i] = fmt.Sprintf(`"2024-01-0%d %02d:00:00%s"`, 1+rng.IntN(3), rng.IntN(24), suffix)
				}
			}
			return "'{" + strings.Join(parts, ",") + "}'"
		}
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "('2024-01-01 00:00:00+00'::timestamptz + interval '%d second', %s, %s)", rng.IntN(86400), arr("+00"), arr(""))
		}
		h.mustQuery(b.String())
	}
	insert(400)
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	insert(200)
	for _, zone := range []string{"UTC", "America/New_York"} {
		h.mustQuery(`SET TimeZone = '` + zone + `'`)
		for _, tc := range []struct{ q, pushed string }{
			{`SELECT count(*) FROM tav WHERE timestamptz '2024-01-02 05:00:00+00' = ANY(seen)`, `= ANY(seen)`},
			{`SELECT count(*) FROM tav WHERE timestamptz '2024-01-02 00:00:00-05' < ALL(seen)`, `< ALL(seen)`},
			{`SELECT count(*) FROM tav WHERE timestamp '2024-01-03 10:00:00' <= ANY(local)`, `<= ANY(local)`},
			{`SELECT count(*) FROM tav WHERE timestamp '2024-01-01 00:00:00' <> ALL(local)`, `<> ALL(local)`},
			{`SELECT ts, seen FROM tav WHERE timestamptz '2024-01-01 12:00:00+00' > ANY(seen) ORDER BY ts LIMIT 5`, `> ANY(seen)`},
			{`SELECT count(*) FROM tav WHERE seen[2] >= timestamptz '2024-01-02 00:00:00+00'`, `seen[2]`},
			{`SELECT count(*) FROM tav WHERE local[1] < timestamp '2024-01-02 00:00:00'`, `local[1]`},
		} {
			plan := h.mustQuery("EXPLAIN " + tc.q)
			if !strings.Contains(plan, "VectorizedScan") || !strings.Contains(plan, tc.pushed) {
				t.Errorf("%s (%s): not pushed (want %q):\n%s", tc.q, zone, tc.pushed, plan)
			}
			vec := h.mustQuery(tc.q)
			h.mustQuery(`SET openwit.vectorize = off`)
			row := h.mustQuery(tc.q)
			h.mustQuery(`SET openwit.vectorize = on`)
			if vec != row {
				t.Errorf("%s (%s): vectorized\n%s\nrow engine\n%s", tc.q, zone, vec, row)
			}
			if vec == "" || vec == "0" {
				t.Errorf("%s (%s): no rows; the data lost its point", tc.q, zone)
			}
		}
		// timestamp against timestamptz elements converts in the session
		// TimeZone: the row engine's, with the same answer.
		q := `SELECT count(*) FROM tav WHERE timestamp '2024-01-02 05:00:00' = ANY(seen)`
		vec := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = off`)
		row := h.mustQuery(q)
		h.mustQuery(`SET openwit.vectorize = on`)
		if vec != row {
			t.Errorf("%s (%s): %s, row engine %s", q, zone, vec, row)
		}
	}
}
