package main

import (
	"testing"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestDefaultsPsqlMatchPostgres (design 075): psql's \d and \d+ of a table
// with DEFAULTs of many shapes, set by CREATE TABLE, ALTER COLUMN ... SET
// DEFAULT and ADD COLUMN ... DEFAULT, print byte for byte what PostgreSQL
// prints (the Default column is pg_get_expr(adbin, adrelid, true)).
func TestDefaultsPsqlMatchPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "defaults")
	pgc := testserver.Connect(t, pgDSN)
	owc := testserver.Connect(t, ow.DSN())
	for _, c := range []string{
		"SET TimeZone = 'UTC'",
		`CREATE TABLE dflt (
			ts timestamptz NOT NULL DEFAULT now(),
			host text DEFAULT 'none',
			code varchar(10) DEFAULT 'x',
			n int DEFAULT -1,
			m int DEFAULT 2 + 3 * 4,
			big bigint DEFAULT 2 ^ 3,
			f float8 DEFAULT 0,
			g float8 DEFAULT 2 * pi(),
			ok boolean DEFAULT true,
			day date DEFAULT CURRENT_DATE,
			since timestamptz DEFAULT '2020-01-01',
			ago timestamptz DEFAULT now() - interval '1 hour',
			doc jsonb DEFAULT '{"a":1}',
			tags text[] DEFAULT '{}',
			who text DEFAULT current_user,
			label text DEFAULT upper('abc') || '-' || 1,
			pick text DEFAULT CASE WHEN 1 > 2 THEN 'a' ELSE 'b' END
		)`,
		"ALTER TABLE dflt ALTER COLUMN host SET DEFAULT 'unknown'",
		"ALTER TABLE dflt ALTER COLUMN n SET DEFAULT -3",
		"ALTER TABLE dflt ADD COLUMN region varchar(8) DEFAULT 'eu'",
		"ALTER TABLE dflt ADD COLUMN w float8 DEFAULT 1 + 1",
	} {
		mustExec(t, pgc, c)
		mustExec(t, owc, c)
	}
	for _, args := range [][]string{
		{"-c", `\d dflt`},
		{"-c", `\d+ dflt`},
		{"-P", "format=aligned", "-c", `\d dflt`},
	} {
		p, o := psqlOut(t, pgDSN, args...), psqlOut(t, ow.DSN(), args...)
		if p != o {
			t.Errorf("psql %q:\nPostgreSQL:\n%s\nOpenWit:\n%s", args, p, o)
		}
		if len(p) < 100 {
			t.Errorf("psql %q printed too little: %q", args, p)
		}
	}
}
