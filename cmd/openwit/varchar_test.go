package main

import (
	"bytes"
	"context"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// charTypesDDL has a column of every type OpenWit stores, for psql's
// \d+ (Storage) and for the character type queries below.
const charTypesDDL = "CREATE TABLE st (ts timestamptz NOT NULL, b bool, s int2, i int4, l int8, r float4, d float8, n numeric(10,2), t text, v varchar(5), c char(4), j jsonb, y bytea, dt date)"

// charTypesQueries are compared with PostgreSQL: the result columns' type
// OIDs and modifiers (RowDescription) and the rows as text.
var charTypesQueries = []string{
	"SELECT max(v), min(v), max(c), min(c) FROM st",
	"SELECT CASE WHEN i = 1 THEN v ELSE v END, CASE WHEN i = 1 THEN c ELSE c END, CASE WHEN i = 1 THEN v ELSE 'x' END, CASE WHEN i = 1 THEN v ELSE t END, CASE WHEN i = 1 THEN t ELSE v END, CASE WHEN i = 1 THEN c ELSE t END FROM st ORDER BY ts",
	"SELECT coalesce(v, v), coalesce(c, c), coalesce(v, 'z'), coalesce(c, t), nullif(v, 'ab'), nullif(c, 'ab'), nullif(c, t) FROM st ORDER BY ts",
	"SELECT greatest(v, v), greatest(c, c), least(v, 'a'), greatest(v, t) FROM st ORDER BY ts",
	"SELECT v FROM st UNION ALL SELECT v FROM st ORDER BY 1",
	"SELECT i, c = 'ab', c = v, c = t, c < 'ab ', c || '|', c::text, length(c), octet_length(c) FROM st ORDER BY ts",
	"SELECT i FROM st WHERE c = 'ab' ORDER BY ts",
	"SELECT i FROM st WHERE c LIKE 'ab' OR c LIKE '%b  ' ORDER BY ts",
	`SELECT '{}'::int[], '{1,2,3}'::int[], '{a,b}'::text[], ARRAY[1,2]::text[], '{1,NULL}'::int8[], '{"a b","c,d"}'::text[]`,
}

// psqlOut runs psql on dsn with -X -A and returns its stdout.
func psqlOut(tb testing.TB, dsn string, args ...string) string {
	tb.Helper()
	path, err := exec.LookPath("psql")
	if err != nil {
		tb.Fatalf("psql is required for the end-to-end tests: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, append([]string{dsn, "-X", "-A"}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + tb.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || errb.Len() > 0 {
		tb.Fatalf("psql %q: %v: %s", args, err, errb.String())
	}
	return out.String()
}

// TestCharTypesMatchPostgres compares OpenWit with PostgreSQL on char(n),
// varchar(n) and array casts: result column types (OID and modifier) and
// rows of min/max, CASE, COALESCE, NULLIF, GREATEST, LEAST, UNION,
// comparisons and casts to arrays, in the vectorized and the row engine;
// and psql's \d+ of a table with every column type (Storage: plain,
// main or extended, from pg_attribute.attstorage).
func TestCharTypesMatchPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "chartypes")
	pgc := testserver.Connect(t, pgDSN)
	owc := testserver.Connect(t, ow.DSN())
	const rows = "INSERT INTO st (ts, i, t, v, c) VALUES ('2024-01-01 00:00:01+00', 1, 'ab', 'ab', 'ab'), ('2024-01-01 00:00:02+00', 2, 'ab  ', 'ab  ', 'ab  '), ('2024-01-01 00:00:03+00', 3, 'b', 'b ', 'b'), ('2024-01-01 00:00:04+00', 4, NULL, NULL, NULL), ('2024-01-01 00:00:05+00', 5, '', '', '')"
	for _, c := range []string{charTypesDDL, rows} {
		mustExec(t, pgc, c)
		mustExec(t, owc, c)
	}

	if p, o := psqlOut(t, pgDSN, "-c", `\d+ st`), psqlOut(t, ow.DSN(), "-c", `\d+ st`); p != o {
		t.Errorf("psql \\d+ st:\nPostgreSQL:\n%s\nOpenWit:\n%s", p, o)
	}
	const storage = "SELECT attname, attstorage, attalign FROM pg_attribute WHERE attrelid = 'st'::regclass AND attnum > 0 ORDER BY attnum"
	if p, o := textRows(t, pgc, storage), textRows(t, owc, storage); !reflect.DeepEqual(p, o) {
		t.Errorf("pg_attribute: PostgreSQL %v, OpenWit %v", p, o)
	}

	compare := func(mode string) {
		t.Helper()
		for _, q := range charTypesQueries {
			if p, o := fieldTypes(t, pgc, q), fieldTypes(t, owc, q); !reflect.DeepEqual(p, o) {
				t.Errorf("%s: %s: result columns:\nPostgreSQL %v\nOpenWit    %v", mode, q, p, o)
			}
			if p, o := textRows(t, pgc, q), textRows(t, owc, q); !reflect.DeepEqual(p, o) {
				t.Errorf("%s: %s: rows:\nPostgreSQL %q\nOpenWit    %q", mode, q, p, o)
			}
		}
	}
	compare("vectorized")
	mustExec(t, owc, "SET openwit.vectorize = off")
	compare("row engine")
}
