package main

import (
	"reflect"
	"strings"
	"testing"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestArrayTypesPsql compares psql's \d+ of a table with the array columns
// of docs/design/083 (numeric, numeric(10,2), timestamptz, timestamp,
// date, varchar(64), bool), psql's rendering of their values in a session
// TimeZone other than UTC, and their pg_attribute and
// information_schema.columns rows with PostgreSQL.
func TestArrayTypesPsql(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "arraytypes")
	pgc := testserver.Connect(t, pgDSN)
	owc := testserver.Connect(t, ow.DSN())
	for _, c := range []string{
		"CREATE TABLE spans (ts timestamptz NOT NULL, bounds numeric[], cents numeric(10,2)[] NOT NULL, events timestamptz[], local timestamp[], days date[], tags varchar(64)[], flags bool[])",
		`INSERT INTO spans VALUES ('2024-01-01 00:00:01+00', '{0.005,1,NULL}', '{1.005,-2}', '{"2024-01-01 10:00:00+00",NULL}', '{"2024-01-01 10:00:00.5"}', '{2024-01-01}', '{"a b",NULL,""}', '{t,NULL}'),
			('2024-01-01 00:00:02+00', NULL, '{}', '{}', NULL, '{}', NULL, '{}')`,
		"ALTER TABLE spans ADD COLUMN limits numeric(5,1)[]",
	} {
		mustExec(t, pgc, c)
		mustExec(t, owc, c)
	}
	for _, args := range [][]string{
		{"-c", `\d+ spans`},
		{"-c", "SET TimeZone = 'Europe/Berlin'", "-c", "SELECT * FROM spans ORDER BY ts"},
	} {
		p, o := psqlOut(t, pgDSN, args...), psqlOut(t, ow.DSN(), args...)
		if p != o {
			t.Errorf("psql %v:\nPostgreSQL:\n%s\nOpenWit:\n%s", args, p, o)
		}
		for _, want := range []string{"numeric(10,2)[]", "2024-01-01 11:00:00+01"} {
			if args[1] == `\d+ spans` && want[0] == 'n' || args[1] != `\d+ spans` && want[0] == '2' {
				if !strings.Contains(o, want) {
					t.Errorf("psql %v: OpenWit's output has no %q:\n%s", args, want, o)
				}
			}
		}
	}
	for _, q := range []string{
		"SELECT attname, atttypid::int, atttypmod, attndims, attnotnull, attalign, attlen, attcollation::int, format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'spans'::regclass AND attnum > 0 ORDER BY attnum",
		"SELECT column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_name = 'spans' ORDER BY ordinal_position",
	} {
		if p, o := textRows(t, pgc, q), textRows(t, owc, q); !reflect.DeepEqual(p, o) {
			t.Errorf("%s:\nPostgreSQL %v\nOpenWit    %v", q, p, o)
		}
	}
}
