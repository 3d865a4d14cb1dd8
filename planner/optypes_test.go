package planner_test

import (
	"testing"

	"openwit/internal/pgerror"
)

// TestOperandTypes checks the type errors of operandTypes and that the
// catalogs, whose arrays are text here, still compare with numbers (the
// subscript comparison is the one psql's \d sends for publications).
func TestOperandTypes(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE ot (ts timestamptz, id int, name text)`)
	h.mustQuery(`INSERT INTO ot VALUES ('2026-01-01 00:00:00+00', 1, 'a')`)
	for _, c := range []struct{ sql, code string }{
		{`SELECT id FROM ot WHERE name > 1`, pgerror.UndefinedFunction},
		{`SELECT id FROM ot WHERE 1 = name`, pgerror.UndefinedFunction},
		{`SELECT CASE WHEN id THEN 1 END FROM ot`, pgerror.DatatypeMismatch},
		{`SELECT id FROM ot WHERE id > 0 AND 'x'`, pgerror.InvalidTextRepr},
	} {
		_, err := h.query(c.sql)
		if got := pgerror.Code(err); err == nil || got != c.code {
			t.Errorf("%s: got %v (%s), want %s", c.sql, err, got, c.code)
		}
	}
	for _, c := range []struct{ sql, want string }{
		{`SELECT id FROM ot WHERE name > '0' AND id = '1' AND 'yes'`, "1"},
		{`SELECT count(*) FROM pg_catalog.pg_attribute a, pg_catalog.pg_proc p WHERE a.attrelid = 'ot'::regclass AND p.proname = 'lower' AND a.attnum = p.proargtypes[0]`, "0"},
	} {
		if got, err := h.query(c.sql); err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.sql, got, err, c.want)
		}
	}
}
