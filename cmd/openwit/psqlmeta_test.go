package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// psqlAt runs psql on dsn with env and stdin, in unaligned mode with
// headers, and returns its stdout, stderr and exit code.
func psqlAt(tb testing.TB, dsn, stdin string, env []string, args ...string) (stdout, stderr string, code int) {
	tb.Helper()
	return psqlRun(tb, stdin, env, append([]string{dsn, "-X", "-A"}, args...)...)
}

// TestPsqlMetaCommands runs psql's meta-commands that read the catalogs of
// docs/design/100 against OpenWit and PostgreSQL 15, each with the same
// table: no command fails, each prints PostgreSQL's title and header, and
// those whose answer does not depend on what the server has built in
// print exactly what PostgreSQL prints.
func TestPsqlMetaCommands(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	pgDSN := pg.CreateDB(t, "psqlmeta")
	for _, dsn := range []string{pgDSN, ow.DSN()} {
		if _, stderr, code := psqlAt(t, dsn, "", nil, "-v", "ON_ERROR_STOP=1",
			"-c", "CREATE TABLE t (ts timestamptz NOT NULL, v int)", "-c", "INSERT INTO t VALUES (now(), 42)",
			"-c", "COMMENT ON TABLE t IS 'the table'"); code != 0 {
			t.Fatalf("setup on %s: %s", dsn, stderr)
		}
	}
	tests := []struct {
		cmd  string
		head string // the title and column header lines psql prints
		same bool   // stdout and stderr equal PostgreSQL's
	}{
		{`\dd`, "Object descriptions\nSchema|Name|Object|Description\n", true},
		{`\dL`, "List of languages\nName|Owner|Trusted|Description\n", false},
		{`\sf now`, "CREATE OR REPLACE FUNCTION pg_catalog.now()\n", true},
		{`\sf+ now`, "        CREATE OR REPLACE FUNCTION pg_catalog.now()\n", true},
		{`\sf upper(text)`, "CREATE OR REPLACE FUNCTION pg_catalog.upper(text)\n", true},
		{`\do`, "List of operators\nSchema|Name|Left arg type|Right arg type|Result type|Description\n", true},
		{`\do +`, "List of operators\nSchema|Name|Left arg type|Right arg type|Result type|Description\n", false},
		{`\do * integer integer`, "List of operators\nSchema|Name|Left arg type|Right arg type|Result type|Description\n", true},
		{`\do * bigint bigint`, "List of operators\nSchema|Name|Left arg type|Right arg type|Result type|Description\n", true},
		{`\do * "timestamp with time zone" *`, "List of operators\nSchema|Name|Left arg type|Right arg type|Result type|Description\n", true},
		{`\dC`, "List of casts\nSource type|Target type|Function|Implicit?\n", false},
		{`\dc`, "List of conversions\nSchema|Name|Source|Destination|Default?\n", true},
		{`\dF`, "List of text search configurations\nSchema|Name|Description\n", false},
		{`\dFd`, "List of text search dictionaries\nSchema|Name|Description\n", false},
		{`\dFp`, "List of text search parsers\nSchema|Name|Description\n", false},
		{`\dFt`, "List of text search templates\nSchema|Name|Description\n", false},
		{`\dF public.*`, "List of text search configurations\nSchema|Name|Description\n", true},
		{`\des`, "List of foreign servers\nName|Owner|Foreign-data wrapper\n", true},
		{`\dew`, "List of foreign-data wrappers\nName|Owner|Handler|Validator\n", true},
		{`\det`, "List of foreign tables\nSchema|Table|Server\n", true},
		{`\drds`, "Did not find any settings.\n", true},
		{`\lo_list`, "Large objects\nID|Owner|Description\n", true},
		{`\dl`, "Large objects\nID|Owner|Description\n", true},
		{"SELECT current_setting('max_index_keys')", "current_setting\n32\n", true},
		{"SELECT pg_last_wal_replay_lsn()", "pg_last_wal_replay_lsn\n\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			out, stderr, code := psqlAt(t, ow.DSN(), "", nil, "-v", "ON_ERROR_STOP=1", "-c", tt.cmd)
			// psql prints \drds's "Did not find any settings." on stderr.
			if code != 0 || strings.Contains(out+stderr, "ERROR") {
				t.Fatalf("psql -c %q exited %d\nstdout %q\nstderr %q", tt.cmd, code, out, stderr)
			}
			if !strings.HasPrefix(out+stderr, tt.head) {
				t.Errorf("psql -c %q printed %q, want it to start with %q", tt.cmd, out+stderr, tt.head)
			}
			want, wantErr, _ := psqlAt(t, pgDSN, "", nil, "-v", "ON_ERROR_STOP=1", "-c", tt.cmd)
			if !strings.HasPrefix(want+wantErr, tt.head) {
				t.Errorf("PostgreSQL printed %q for %q: the expected header %q is wrong", want, tt.cmd, tt.head)
			}
			if tt.same && (out != want || stderr != wantErr) {
				t.Errorf("psql -c %q:\nOpenWit    %q %q\nPostgreSQL %q %q", tt.cmd, out, stderr, want, wantErr)
			}
		})
	}
	// Errors: PostgreSQL's messages for a function \sf cannot show.
	for _, cmd := range []string{`\sf nosuch`, `\sf "NOW"`, `\sf generate_series`, `\sf upper(integer)`, `\sf sum(bigint)`} {
		t.Run(cmd, func(t *testing.T) {
			_, stderr, code := psqlAt(t, ow.DSN(), "", nil, "-v", "VERBOSITY=verbose", "-c", cmd)
			_, wantErr, wantCode := psqlAt(t, pgDSN, "", nil, "-v", "VERBOSITY=verbose", "-c", cmd)
			// LOCATION names PostgreSQL's source file and line.
			wantErr, _, _ = strings.Cut(wantErr, "LOCATION:")
			if code != wantCode || !strings.HasPrefix(stderr, wantErr) || wantErr == "" {
				t.Errorf("psql -c %q: OpenWit exited %d with %q; PostgreSQL %d with %q", cmd, code, stderr, wantCode, wantErr)
			}
		})
	}
	// \ef hands the definition to the editor: the file it gets is the
	// same as from PostgreSQL.
	t.Run(`\ef`, func(t *testing.T) {
		edited := func(dsn string) string {
			dir := t.TempDir()
			editor := filepath.Join(dir, "editor")
			if err := os.WriteFile(editor, []byte("#!/bin/sh\ncat \"$1\" > "+filepath.Join(dir, "got")+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := psqlAt(t, dsn, "\\ef now\n", []string{"PSQL_EDITOR=" + editor})
			if code != 0 || strings.Contains(stderr, "ERROR") {
				t.Fatalf(`\ef now: exited %d, %q %q`, code, out, stderr)
			}
			b, err := os.ReadFile(filepath.Join(dir, "got"))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
		got, want := edited(ow.DSN()), edited(pgDSN)
		if got != want || !strings.HasPrefix(got, "CREATE OR REPLACE FUNCTION pg_catalog.now()") {
			t.Errorf(`\ef now edits %q, PostgreSQL %q`, got, want)
		}
	})
	// pg_current_wal_lsn is this node's durable WAL position: it moves on
	// with every acknowledged write.
	t.Run("pg_current_wal_lsn", func(t *testing.T) {
		lsn := func() string {
			out, stderr, code := psqlAt(t, ow.DSN(), "", nil, "-t", "-c", "SELECT pg_current_wal_lsn()")
			if code != 0 {
				t.Fatalf("pg_current_wal_lsn: %s", stderr)
			}
			return strings.TrimSpace(out)
		}
		before := lsn()
		if _, stderr, code := psqlAt(t, ow.DSN(), "", nil, "-c", "INSERT INTO t VALUES (now(), 43)"); code != 0 {
			t.Fatal(stderr)
		}
		after := lsn()
		var hi1, lo1, hi2, lo2 uint64
		if _, err := fmt.Sscanf(before, "%X/%X", &hi1, &lo1); err != nil {
			t.Fatalf("pg_current_wal_lsn() = %q, not an LSN: %v", before, err)
		}
		if _, err := fmt.Sscanf(after, "%X/%X", &hi2, &lo2); err != nil {
			t.Fatalf("pg_current_wal_lsn() = %q, not an LSN: %v", after, err)
		}
		if hi2<<32|lo2 <= hi1<<32|lo1 {
			t.Errorf("pg_current_wal_lsn() went from %s to %s over an INSERT", before, after)
		}
	})
}

// TestOperatorsAndCasts checks every row of OpenWit's pg_operator and
// pg_cast against OpenWit itself: the operator applied to values of its
// argument types, and the cast, evaluate and have the result type the
// row names (the rows are PostgreSQL's: docs/design/100).
func TestOperatorsAndCasts(t *testing.T) {
	t.Parallel()
	ow := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, ow.DSN())
	// A value of each type the rows use; operators that fail on these
	// values in PostgreSQL too are listed in failsAsInPostgres.
	samples := map[string]string{
		"boolean": "true", "smallint": "2::int2", "integer": "3", "bigint": "4::int8", "real": "1.5::float4",
		"double precision": "2.5::float8", "numeric": "1.25::numeric", "text": "'ab'::text", "character varying": "'ab'::varchar",
		"character": "'ab'::char(2)", "date": "'2024-01-02'::date", "timestamp without time zone": "'2024-01-02 03:04:05'::timestamp",
		"timestamp with time zone": "'2024-01-02 03:04:05+00'::timestamptz", "interval": "'1 day'::interval",
		"uuid": "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "inet": "'10.0.0.1'::inet", "cidr": "'10.0.0.0/8'::cidr",
		"jsonb": `'{"a":1}'::jsonb`, "json": `'{"a":1}'::json`, "bytea": `'\x01'::bytea`, "name": "'ab'::name", "oid": "5::oid",
		"text[]": "ARRAY['a']::text[]", "integer[]": "ARRAY[1]::int4[]",
	}
	failsAsInPostgres := map[string]string{
		`'{"a":1}'::jsonb - 3`: "cannot delete from object using integer index",
	}
	type op struct{ oid, name, kind, left, right, result string }
	ops := queryRows(t, conn, `SELECT oid::text, oprname, oprkind, format_type(oprleft, NULL), format_type(oprright, NULL),
		format_type(oprresult, NULL) FROM pg_operator ORDER BY oid`, func(r pgx.CollectableRow) (op, error) {
		var o op
		err := r.Scan(&o.oid, &o.name, &o.kind, &o.left, &o.right, &o.result)
		return o, err
	})
	if len(ops) < 300 {
		t.Fatalf("pg_operator has %d rows, want the few hundred of OpenWit's types", len(ops))
	}
	check := func(what, expr, want string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		defer cancel()
		var got string
		err := conn.QueryRow(ctx, "SELECT pg_typeof("+expr+")::text").Scan(&got)
		if msg, ok := failsAsInPostgres[expr]; ok {
			if err == nil || !strings.Contains(err.Error(), msg) {
				t.Errorf("%s: %s gave %v, want PostgreSQL's error %q", what, expr, err, msg)
			}
			return
		}
		if err != nil || got != want {
			t.Errorf("%s: pg_typeof(%s) = %q, %v; want %q", what, expr, got, err, want)
		}
	}
	for _, o := range ops {
		r, ok := samples[o.right]
		l, lok := samples[o.left]
		if !ok || o.kind == "b" && !lok {
			t.Errorf("operator %s %s(%s, %s): no sample value of its types", o.oid, o.name, o.left, o.right)
			continue
		}
		expr := o.name + " " + r
		if o.kind == "b" {
			expr = l + " " + o.name + " " + r
		}
		check("operator "+o.oid, expr, o.result)
	}
	type cast struct{ oid, source, target string }
	casts := queryRows(t, conn, `SELECT oid::text, format_type(castsource, NULL), format_type(casttarget, NULL) FROM pg_cast ORDER BY oid`,
		func(r pgx.CollectableRow) (cast, error) {
			var c cast
			err := r.Scan(&c.oid, &c.source, &c.target)
			return c, err
		})
	if len(casts) < 50 {
		t.Fatalf("pg_cast has %d rows", len(casts))
	}
	for _, c := range casts {
		s, ok := samples[c.source]
		if !ok {
			t.Errorf("cast %s: no sample value of %s", c.oid, c.source)
			continue
		}
		if c.source == "jsonb" && c.target != "json" {
			// A jsonb object cast to a scalar fails, as in PostgreSQL.
			s = `'1'::jsonb`
			if c.target == "boolean" {
				s = `'true'::jsonb`
			}
		}
		check("cast "+c.oid, "("+s+")::"+c.target, c.target)
	}
}
