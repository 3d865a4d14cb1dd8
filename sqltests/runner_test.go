package sqltests

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// runnerPG starts one PostgreSQL for the runner tests and returns a function
// that connects to a new database.
func runnerPG(t *testing.T) func(tb testing.TB, name string) *pgx.Conn {
	pg := testpg.Start(t)
	return func(tb testing.TB, name string) *pgx.Conn {
		conn := testserver.Connect(tb, pg.CreateDB(tb, name))
		tb.Cleanup(func() { conn.Close(context.Background()) })
		return conn
	}
}

func mustParse(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("test.slt", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunner(t *testing.T) {
	newConn := runnerPG(t)
	r := Runner{Target: TargetPostgres}

	t.Run("passing script", func(t *testing.T) {
		s := mustParse(t, `statement ok
CREATE TABLE logs (service text, status int, latency float8, ok bool)

statement ok
INSERT INTO logs VALUES ('api gateway', 200, 1.25, true), ('', NULL, NULL, false), ('  pad ', 500, 2, NULL)

query TIRB rowsort
SELECT service, status, latency, ok FROM logs
----
api gateway 200 1.250 t
(empty) NULL NULL f
␠␠pad␠ 500 2.000 NULL

query TI
SELECT service, status FROM logs WHERE status = 200
----
api gateway
200

query I valuesort
SELECT status FROM logs WHERE status IS NOT NULL
----
500
200

query T nosort label1
SELECT 'x'
----
x

query T nosort label1
SELECT 'x'
----
x

statement error 22012
SELECT 1/0

query error ^division by zero$
SELECT 1/0

skipif postgres
statement ok
this is not SQL

onlyif openwit
query I
SELECT 1
----
2

onlyif postgres
halt

statement ok
this is not SQL either
`)
		fails, err := r.Run(t.Context(), newConn(t, "passing"), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fails {
			t.Error(f)
		}
	})

	t.Run("failures name file, line, sql, expected and got", func(t *testing.T) {
		s := mustParse(t, `statement ok
CREATE TABLE t (a int, b text)

statement ok
INSERT INTO t VALUES (1, 'x'), (2, 'y')

query IT
SELECT a, b FROM t ORDER BY a
----
1 x
2 z

query I
SELECT a, b FROM t
----

query R
SELECT b FROM t
----

statement ok
SELECT * FROM nope

statement error
SELECT 1

statement error 42P01
SELECT 1/0

query T nosort label2
SELECT 'a'
----
a

query T nosort label2
SELECT 'b'
----
b

query I
SELECT 1
`)
		fails, err := r.Run(t.Context(), newConn(t, "failing"), s)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			line int
			msg  []string
		}{
			{7, []string{"test.slt:7: results differ at row 2 (expected 2 rows, got 2)", "expected: 2 z", "got:      2 y", "sql:\n    SELECT a, b FROM t ORDER BY a"}},
			{13, []string{`query returned 2 columns, type string "I" has 1`}},
			{17, []string{`value "x" of a column typed R is not a number`}},
			{21, []string{`unexpected error: relation "nope" does not exist (SQLSTATE 42P01)`}},
			{24, []string{"expected an error, but it succeeded"}},
			{27, []string{"expected SQLSTATE 42P01, got division by zero (SQLSTATE 22012)"}},
			{35, []string{`results differ from those of line 30, which has the same label "label2"`}},
			{40, []string{"expected 0 rows, got 1"}},
		}
		if len(fails) != len(want) {
			for _, f := range fails {
				t.Log(f)
			}
			t.Fatalf("got %d failures, want %d", len(fails), len(want))
		}
		for i, w := range want {
			f := fails[i]
			if f.Line != w.line {
				t.Errorf("failure %d at line %d, want %d: %v", i, f.Line, w.line, f)
			}
			for _, m := range w.msg {
				if !strings.Contains(f.Error(), m) {
					t.Errorf("failure %d:\n%v\nwant it to contain %q", i, f, m)
				}
			}
		}
	})

	t.Run("a lost connection stops the file", func(t *testing.T) {
		s := mustParse(t, `statement ok
SELECT pg_terminate_backend(pg_backend_pid())

statement ok
SELECT 1
`)
		fails, err := r.Run(t.Context(), newConn(t, "lost"), s)
		if err == nil || !strings.Contains(err.Error(), "test.slt:1: connection lost") {
			t.Errorf("error = %v, want connection lost at line 1", err)
		}
		if len(fails) != 1 {
			t.Errorf("got %d failures, want 1: %v", len(fails), fails)
		}
	})

	t.Run("rewrite", func(t *testing.T) {
		src := `# header comment

statement ok
CREATE TABLE t (a int, b text, c float8)

statement ok
INSERT INTO t VALUES (2, 'two words', 0.5), (1, NULL, 1), (3, '', NULL)

# stale results are replaced
query ITR
SELECT a, b, c FROM t ORDER BY a
----
9 stale NULL

# classic layout becomes one row per line, sorted
query IT rowsort
SELECT a, b FROM t
----
1
NULL

# no ---- line yet
query I valuesort
SELECT a FROM t

query I
SELECT a FROM t WHERE a > 10
----
1

skipif postgres
query I
SELECT 'kept as written'
----
42

statement error 42P01
SELECT * FROM nope

query T
SELECT a FROM t WHERE a = 2
----`
		want := `# header comment

statement ok
CREATE TABLE t (a int, b text, c float8)

statement ok
INSERT INTO t VALUES (2, 'two words', 0.5), (1, NULL, 1), (3, '', NULL)

# stale results are replaced
query ITR
SELECT a, b, c FROM t ORDER BY a
----
1 NULL 1.000
2 two words 0.500
3 (empty) NULL

# classic layout becomes one row per line, sorted
query IT rowsort
SELECT a, b FROM t
----
1 NULL
2 two words
3 (empty)

# no ---- line yet
query I valuesort
SELECT a FROM t
----
1
2
3

query I
SELECT a FROM t WHERE a > 10
----

skipif postgres
query I
SELECT 'kept as written'
----
42

statement error 42P01
SELECT * FROM nope

query T
SELECT a FROM t WHERE a = 2
----
2
`
		s := mustParse(t, src)
		out, fails, err := r.Rewrite(t.Context(), newConn(t, "rewrite"), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fails {
			t.Error(f)
		}
		if string(out) != want {
			t.Errorf("rewrite:\n%s\nwant:\n%s", out, want)
		}
		// The rewritten script passes, and rewriting it again changes nothing.
		s2 := mustParse(t, string(out))
		fails, err = r.Run(t.Context(), newConn(t, "rewrite_check"), s2)
		if err != nil || len(fails) > 0 {
			t.Errorf("rewritten script: err %v, failures %v", err, fails)
		}
		again, _, err := r.Rewrite(t.Context(), newConn(t, "rewrite_again"), s2)
		if err != nil || string(again) != string(out) {
			t.Errorf("second rewrite changed the script (err %v):\n%s", err, again)
		}
	})

	t.Run("rewrite keeps records that failed otherwise", func(t *testing.T) {
		src := "query I\nSELECT * FROM nope\n----\n7\n\nstatement ok\nSELECT 1/0\n"
		out, fails, err := r.Rewrite(t.Context(), newConn(t, "rewrite_fail"), mustParse(t, src))
		if err != nil {
			t.Fatal(err)
		}
		if len(fails) != 2 {
			t.Errorf("got %d failures, want 2: %v", len(fails), fails)
		}
		if string(out) != src {
			t.Errorf("rewrite changed failed records:\n%s", out)
		}
	})

	t.Run("harness", func(t *testing.T) {
		dir := t.TempDir()
		sub := filepath.Join(dir, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, src := range map[string]string{
			filepath.Join(dir, "a.slt"):    "query I\nSELECT 1\n----\n0\n",
			filepath.Join(sub, "b.slt"):    "statement ok\nCREATE TABLE t (a int)\n",
			filepath.Join(dir, "notes.md"): "not a script",
		} {
			if err := os.WriteFile(name, []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		files, err := Files(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 2 || files[0] != filepath.Join(dir, "a.slt") || files[1] != filepath.Join(sub, "b.slt") {
			t.Fatalf("Files = %v", files)
		}
		// Rewrite from PostgreSQL fixes a.slt; each file gets its own
		// database, so sub/b.slt's table cannot clash with another file's.
		run := 0
		h := Harness{Runner: r, Rewrite: true, Connect: func(tb testing.TB, file string) *pgx.Conn {
			return newConn(tb, fmt.Sprintf("run%d_%s", run, dbName(strings.TrimPrefix(file, dir))))
		}}
		h.RunDir(t, dir)
		got, err := os.ReadFile(filepath.Join(dir, "a.slt"))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != "query I\nSELECT 1\n----\n1\n" {
			t.Errorf("a.slt after rewrite:\n%s", got)
		}
		h.Rewrite, run = false, 1
		h.RunDir(t, dir)
	})
}

func TestHarnessRefusesRewriteFromOpenWit(t *testing.T) {
	connect := func(testing.TB, string) *pgx.Conn { return nil }
	if err := (Harness{Runner: Runner{Target: TargetOpenWit}, Rewrite: true, Connect: connect}).validate(); err == nil {
		t.Error("rewrite against openwit accepted")
	}
	if err := (Harness{Runner: Runner{Target: TargetPostgres}, Rewrite: true, Connect: connect}).validate(); err != nil {
		t.Errorf("rewrite against postgres refused: %v", err)
	}
	if err := (Harness{Runner: Runner{Target: TargetOpenWit}, Connect: connect}).validate(); err != nil {
		t.Errorf("checking against openwit refused: %v", err)
	}
}

func TestDBName(t *testing.T) {
	for in, want := range map[string]string{
		"testdata/ddl.slt":          "slt_testdata_ddl",
		"testdata/Sub/Group-By.slt": "slt_testdata_sub_group_by",
	} {
		if got := dbName(in); got != want {
			t.Errorf("dbName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := dbName(strings.Repeat("x", 100) + ".slt"); len(got) != 63 {
		t.Errorf("long name has %d bytes, want 63", len(got))
	}
}
