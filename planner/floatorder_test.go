package planner_test

import (
	"testing"
)

// TestFloatOrderNaN: ORDER BY, LIMIT, GROUP BY ... ORDER BY and min/max
// over a float column holding NaN, ±Infinity, -0 and NULL give
// PostgreSQL's order (NaN above Infinity, NULLs last ascending) in both
// engines, buffered and flushed. go-mysql-server's own comparison makes
// NaN neither smaller nor larger than anything, and its sorts then leave
// rows where they stood (the differential test found it).
func TestFloatOrderNaN(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE nf (ts timestamptz NOT NULL, f float8, r float4) WITH (time_column = 'ts')`)
	h.mustQuery(`INSERT INTO nf VALUES ('2026-01-01 00:00:01+00', 0.1, 0.1), ('2026-01-01 00:00:02+00', 'NaN', 'NaN'),
		('2026-01-01 00:00:03+00', 1.5, 1.5), ('2026-01-01 00:00:04+00', -2.25, -2.25), ('2026-01-01 00:00:05+00', 'Infinity', 3.5),
		('2026-01-01 00:00:06+00', NULL, NULL), ('2026-01-01 00:00:07+00', '-Infinity', -3.5), ('2026-01-01 00:00:08+00', 'NaN', 'NaN'),
		('2026-01-01 00:00:09+00', 0, 0)`)
	cases := []struct{ q, want string }{
		{`SELECT f FROM nf ORDER BY f, ts`, "-Inf\n-2.25\n0\n0.1\n1.5\n+Inf\nNaN\nNaN\nNULL"},
		{`SELECT f FROM nf ORDER BY f DESC, ts`, "NULL\nNaN\nNaN\n+Inf\n1.5\n0.1\n0\n-2.25\n-Inf"},
		{`SELECT r FROM nf ORDER BY r DESC NULLS LAST, ts LIMIT 3`, "NaN\nNaN\n3.5"},
		{`SELECT f FROM nf ORDER BY f NULLS FIRST, ts LIMIT 4`, "NULL\n-Inf\n-2.25\n0"},
		{`SELECT f, count(*) FROM nf GROUP BY f ORDER BY f DESC LIMIT 3`, "NULL|1\nNaN|2\n+Inf|1"},
		{`SELECT max(f), min(f), max(r), min(r) FROM nf`, "NaN|-Inf|NaN|-3.5"},
		{`SELECT max(f) FROM nf WHERE f < 'NaN'`, "+Inf"},
	}
	check := func(when string) {
		t.Helper()
		for _, mode := range []string{"on", "off"} {
			h.mustQuery(`SET openwit.vectorize = ` + mode)
			for _, c := range cases {
				if got := h.mustQuery(c.q); got != c.want {
					t.Errorf("%s, vectorize %s: %s:\n%s\nwant\n%s", when, mode, c.q, got, c.want)
				}
			}
		}
		h.mustQuery(`SET openwit.vectorize = on`)
	}
	check("buffered")
	if err := h.ing.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	check("flushed")
}
