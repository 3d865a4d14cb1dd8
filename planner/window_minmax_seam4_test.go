package planner_test

import (
	"context"
	"testing"

	"openwit/planner/pgtypes"
)

// TestWindowMinMax: min and max over a window with ORDER BY and no frame
// clause stop at the current row's last peer (PostgreSQL's default frame
// RANGE UNBOUNDED PRECEDING; go-mysql-server read the whole partition),
// and over a cidr argument they are inet, in the window form as in the
// aggregate: described as inet, printed without a full mask (design 095).
func TestWindowMinMax(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE wmm (ts timestamptz NOT NULL, g int, c cidr)`)
	h.mustQuery(`INSERT INTO wmm VALUES
		('2024-01-01 00:00:00+00', 1, '10.0.0.0/8'),
		('2024-01-01 00:00:01+00', 1, '10.1.2.3/32'),
		('2024-01-01 00:00:02+00', 2, '::/0'),
		('2024-01-01 00:00:03+00', 2, NULL),
		('2024-01-01 00:00:03+00', 0, '9.0.0.0/8')`)
	for _, c := range []struct{ q, want string }{
		{`SELECT g, max(g) OVER (ORDER BY ts) FROM wmm ORDER BY ts, g`, "1|1\n1|1\n2|2\n0|2\n2|2"},
		{`SELECT g, min(g) OVER (ORDER BY ts DESC) FROM wmm ORDER BY ts, g`, "1|0\n1|0\n2|0\n0|0\n2|0"},
		{`SELECT g, max(g) OVER (PARTITION BY g > 0 ORDER BY ts) FROM wmm ORDER BY ts, g`, "1|1\n1|1\n2|2\n0|0\n2|2"},
		{`SELECT g, max(g) OVER (ORDER BY g) FROM wmm ORDER BY ts, g`, "1|1\n1|1\n2|2\n0|0\n2|2"},
		{`SELECT g, max(g) OVER (ORDER BY ts ROWS UNBOUNDED PRECEDING) FROM wmm ORDER BY ts, g`, "1|1\n1|1\n2|2\n0|2\n2|2"},
		{`SELECT g, max(g) OVER () FROM wmm ORDER BY ts, g`, "1|2\n1|2\n2|2\n0|2\n2|2"},
		{`SELECT g, min(c) OVER (PARTITION BY g) FROM wmm ORDER BY ts, g`, "1|10.0.0.0/8\n1|10.0.0.0/8\n2|::/0\n0|9.0.0.0/8\n2|::/0"},
		{`SELECT g, max(c) OVER (ORDER BY ts) FROM wmm ORDER BY ts, g`, "1|10.0.0.0/8\n1|10.1.2.3\n2|::/0\n0|::/0\n2|::/0"},
		{`SELECT g, max(c) OVER (PARTITION BY g ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM wmm ORDER BY ts, g`, "1|10.0.0.0/8\n1|10.1.2.3\n2|::/0\n0|9.0.0.0/8\n2|::/0"},
	} {
		if got := sameInBothEngines(t, h, c.q); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.q, got, c.want)
		}
	}
	for _, q := range []string{
		`SELECT min(c) OVER () FROM wmm`,
		`SELECT max(c) OVER (ORDER BY ts) FROM wmm`,
		`SELECT max(c) OVER w FROM wmm WINDOW w AS (ORDER BY ts ROWS 1 PRECEDING)`,
		`SELECT min(c) FROM wmm GROUP BY g`,
	} {
		ps, err := h.s.Prepare(context.Background(), q, nil)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if cols := ps[0].Columns(); len(cols) != 1 || cols[0].TypeOID != pgtypes.OIDInet {
			t.Errorf("%s: columns %+v, want one inet", q, cols)
		}
	}
}
