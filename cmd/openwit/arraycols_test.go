package main

import (
	"reflect"
	"testing"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestArrayColumnsPsql compares psql's \d+ of a table with array columns
// of every element type OpenWit stores, their pg_attribute rows, and psql's
// rendering of the values with PostgreSQL (docs/design/072).
func TestArrayColumnsPsql(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "arraycols")
	pgc := testserver.Connect(t, pgDSN)
	owc := testserver.Connect(t, ow.DSN())
	for _, c := range []string{
		"CREATE TABLE at (ts timestamptz NOT NULL, t text[], v varchar[], s int2[], i int4[], l int8[], r float4[], d float8[], b bool[], dt date[] NOT NULL)",
		`INSERT INTO at VALUES ('2024-01-01 00:00:01+00', '{a,"b c",NULL,""}', '{x}', '{1}', '{2,NULL}', '{3}', '{0.5}', '{1e-7}', '{t}', '{2024-01-01}'), ('2024-01-01 00:00:02+00', NULL, '{}', NULL, NULL, NULL, NULL, NULL, NULL, '{}')`,
	} {
		mustExec(t, pgc, c)
		mustExec(t, owc, c)
	}
	for _, args := range [][]string{{"-c", `\d+ at`}, {"-c", "SELECT * FROM at ORDER BY ts"}} {
		if p, o := psqlOut(t, pgDSN, args...), psqlOut(t, ow.DSN(), args...); p != o {
			t.Errorf("psql %s:\nPostgreSQL:\n%s\nOpenWit:\n%s", args[1], p, o)
		}
	}
	const attrs = "SELECT attname, atttypid::int, attndims, attstorage, attalign, attlen, attcollation::int FROM pg_attribute WHERE attrelid = 'at'::regclass AND attnum > 0 ORDER BY attnum"
	if p, o := textRows(t, pgc, attrs), textRows(t, owc, attrs); !reflect.DeepEqual(p, o) {
		t.Errorf("pg_attribute:\nPostgreSQL %v\nOpenWit    %v", p, o)
	}
}
