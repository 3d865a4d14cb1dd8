package planner_test

import (
	"context"
	"strings"
	"testing"

	"openwit/planner/pgtypes"
)

// TestCaseTimestampTZResultTypes: a CASE of timestamp and timestamptz
// results is timestamptz (the timestamp branch converted in the session
// TimeZone), also under an aggregate, through a derived table, a CTE, a
// sort and a window: every result column is described as timestamptz and
// returns time values, as in PostgreSQL (design 095). Before, the
// references above the aggregate kept go-mysql-server's LONGTEXT and the
// client got Go's time format.
func TestCaseTimestampTZResultTypes(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE ctz (ts timestamptz NOT NULL, a int)`)
	h.mustQuery(`INSERT INTO ctz VALUES ('2024-01-01 00:00:00+00', 1), ('2024-01-02 00:00:00+00', -1), ('2024-01-03 00:00:00+00', 2)`)
	const c = `CASE WHEN a > 0 THEN ts ELSE ts::timestamp END`
	for _, q := range []string{
		`SELECT max(` + c + `) FROM ctz`,
		`SELECT min(` + c + `) FROM ctz GROUP BY a > 0 ORDER BY 1`,
		`SELECT max(x) FROM (SELECT ` + c + ` x FROM ctz) s`,
		`SELECT max(x) FROM (SELECT CASE WHEN a > 0 THEN ts ELSE ts END x FROM ctz) s`,
		`SELECT x FROM (SELECT ` + c + ` x FROM ctz) s ORDER BY 1`,
		`SELECT x FROM (SELECT ` + c + ` x FROM ctz) s ORDER BY x DESC LIMIT 1`,
		`WITH w AS (SELECT ` + c + ` x FROM ctz) SELECT max(x) FROM w`,
		`SELECT max(x) FROM (SELECT max(` + c + `) x FROM ctz GROUP BY a) s`,
		`SELECT max(` + c + `) OVER (PARTITION BY a > 0) FROM ctz ORDER BY 1`,
	} {
		ps, err := h.s.Prepare(context.Background(), q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if cols := ps[0].Columns(); len(cols) != 1 || cols[0].TypeOID != pgtypes.OIDTimestampTZ {
			t.Errorf("%s: columns %+v, want one timestamptz", q, cols)
		}
		got := sameInBothEngines(t, h, q)
		if got == "" || !strings.HasPrefix(got, "2024-01-0") {
			t.Errorf("%s: got %q, want time values", q, got)
		}
	}
}
