package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testserver"
)

// Transactional writes (docs/design/059-transactional-writes.md) through
// real clients and real processes.

// countRows returns count(*) and sum(n) of table tw as conn sees it.
func countRows(tb testing.TB, conn interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, where string) (n, sum int64) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var s *int64
	if err := conn.QueryRow(ctx, "SELECT count(*), sum(n) FROM tw WHERE "+where).Scan(&n, &s); err != nil {
		tb.Fatalf("count: %v", err)
	}
	if s != nil {
		sum = *s
	}
	return n, sum
}

func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// TestTxnWritesPgx: pgx's Begin/Rollback/Commit (parameters through the
// extended protocol), read-your-writes on committed Parquet files plus the
// block's rows (count, sum, GROUP BY, EXPLAIN), isolation from another
// session, an aborted block, and a pipelined batch (one implicit
// transaction up to Sync, as in PostgreSQL).
func TestTxnWritesPgx(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "200ms"}})
	ctx := t.Context()
	a := testserver.Connect(t, s.DSN())
	b := testserver.Connect(t, s.DSN())
	mustExec(t, a, "CREATE TABLE tw (ts timestamptz NOT NULL, g text, n int8)")
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		mustExec(t, a, "INSERT INTO tw VALUES ($1, $2, $3)", base.Add(time.Duration(i)*time.Second), "old", int64(i))
	}
	// The committed rows become a Parquet file: the block's scans then
	// combine files (count from the catalog) with its staged rows.
	deadline := time.Now().Add(time.Minute)
	for {
		if _, rows := parquetFiles(t, s.DataDir); rows == 100 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the committed rows were not flushed to Parquet within a minute")
		}
		time.Sleep(100 * time.Millisecond)
	}

	insert := func(tx pgx.Tx, g string, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			if _, err := tx.Exec(ctx, "INSERT INTO tw VALUES ($1, $2, $3)", base.Add(time.Hour+time.Duration(i)*time.Second), g, int64(i)); err != nil {
				t.Fatalf("insert in block: %v", err)
			}
		}
	}

	t.Run("rollback", func(t *testing.T) {
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insert(tx, "rb", 1000, 1010)
		if n, sum := countRows(t, tx, "true"); n != 110 || sum != 4950+10045 {
			t.Errorf("inside the block: count %d sum %d, want 110 and %d", n, sum, 4950+10045)
		}
		var groups int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM (SELECT g FROM tw GROUP BY g) s").Scan(&groups); err != nil || groups != 2 {
			t.Errorf("groups inside the block: %d %v, want 2", groups, err)
		}
		var plan strings.Builder
		rows, err := tx.Query(ctx, "EXPLAIN SELECT count(*) FROM tw WHERE g = $1", "rb")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(line + "\n")
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		if !strings.Contains(plan.String(), "buffered rows") {
			t.Errorf("EXPLAIN in the block does not show the staged rows:\n%s", plan.String())
		}
		if n, _ := countRows(t, tx, "g = 'rb'"); n != 10 {
			t.Errorf("count of the staged rows alone: %d, want 10", n)
		}
		if n, _ := countRows(t, b, "true"); n != 100 {
			t.Errorf("another session sees %d rows, want the 100 committed", n)
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := countRows(t, a, "true"); n != 100 {
			t.Errorf("after ROLLBACK: %d rows, want 100", n)
		}
	})

	t.Run("commit", func(t *testing.T) {
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insert(tx, "c", 2000, 2005)
		if n, _ := countRows(t, b, "g = 'c'"); n != 0 {
			t.Errorf("another session sees %d uncommitted rows", n)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, sum := countRows(t, b, "g = 'c'"); n != 5 || sum != 10010 {
			t.Errorf("after COMMIT another session sees count %d sum %d, want 5 and 10010", n, sum)
		}
	})

	t.Run("aborted", func(t *testing.T) {
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		insert(tx, "ab", 3000, 3003)
		if _, err := tx.Exec(ctx, "INSERT INTO tw SELECT ts, 'ab', 1 / (n - n) FROM tw WHERE g = 'old'"); sqlState(err) != "22012" {
			t.Fatalf("division by zero in the block: %v, want 22012", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO tw VALUES ($1, 'ab', 1)", base); sqlState(err) != "25P02" {
			t.Errorf("statement after the failure: %v, want 25P02", err)
		}
		if err := tx.Commit(ctx); !errors.Is(err, pgx.ErrTxCommitRollback) {
			t.Errorf("COMMIT of the failed block: %v, want pgx.ErrTxCommitRollback (PostgreSQL answers ROLLBACK)", err)
		}
		if n, _ := countRows(t, a, "g = 'ab'"); n != 0 {
			t.Errorf("the failed block left %d rows", n)
		}
	})

	t.Run("pipeline", func(t *testing.T) {
		// One Sync: one implicit transaction. A statement failing when it
		// runs undoes the INSERT before it.
		batch := &pgx.Batch{}
		batch.Queue("INSERT INTO tw VALUES ($1, 'p', 1)", base)
		batch.Queue("SELECT 1 / (n - n) FROM tw WHERE g = $1", "old") // fails when it runs
		if err := a.SendBatch(ctx, batch).Close(); sqlState(err) != "22012" {
			t.Fatalf("failing batch: %v, want 22012", err)
		}
		if n, _ := countRows(t, b, "g = 'p'"); n != 0 {
			t.Errorf("the failed pipeline left %d rows", n)
		}
		batch = &pgx.Batch{}
		batch.Queue("INSERT INTO tw VALUES ($1, 'p', 1)", base)
		batch.Queue("INSERT INTO tw VALUES ($1, 'p', 2)", base)
		batch.Queue("SELECT count(*) FROM tw WHERE g = 'p'")
		br := a.SendBatch(ctx, batch)
		for range 2 {
			if _, err := br.Exec(); err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		if err := br.QueryRow().Scan(&n); err != nil || n != 2 {
			t.Errorf("the pipeline reads its own writes: %d %v, want 2", n, err)
		}
		if err := br.Close(); err != nil {
			t.Fatal(err)
		}
		if n, sum := countRows(t, b, "g = 'p'"); n != 2 || sum != 3 {
			t.Errorf("after the pipeline: count %d sum %d, want 2 and 3", n, sum)
		}
	})

	t.Run("create table", func(t *testing.T) {
		// CREATE TABLE in a block that does not commit is undone (design
		// 095), unless another session wrote rows to the table meanwhile.
		exists := func(name string) bool {
			t.Helper()
			var reg *string
			if err := b.QueryRow(ctx, "SELECT to_regclass($1)::text", name).Scan(&reg); err != nil {
				t.Fatal(err)
			}
			return reg != nil
		}
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExecTx(t, tx, "CREATE TABLE ddl_rb (ts timestamptz NOT NULL, n int)")
		mustExecTx(t, tx, "INSERT INTO ddl_rb VALUES ($1, 1)", base)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if exists("ddl_rb") {
			t.Error("ddl_rb exists after ROLLBACK")
		}

		// Another session's committed rows keep the table (and the rows).
		tx, err = a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExecTx(t, tx, "CREATE TABLE ddl_kept (ts timestamptz NOT NULL, n int)")
		mustExec(t, b, "INSERT INTO ddl_kept VALUES ($1, 7)", base)
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		var n int64
		if err := b.QueryRow(ctx, "SELECT sum(n) FROM ddl_kept").Scan(&n); err != nil || n != 7 {
			t.Errorf("ddl_kept after ROLLBACK: sum %d %v, want the other session's 7", n, err)
		}

		// A failing pipeline (one implicit block) undoes its CREATE TABLE.
		batch := &pgx.Batch{}
		batch.Queue("CREATE TABLE ddl_pipe (ts timestamptz NOT NULL, n int)")
		batch.Queue("SELECT 1 / (n - n) FROM tw WHERE g = $1", "old")
		if err := a.SendBatch(ctx, batch).Close(); sqlState(err) != "22012" {
			t.Fatalf("failing batch: %v, want 22012", err)
		}
		if exists("ddl_pipe") {
			t.Error("ddl_pipe exists after its pipeline failed")
		}

		// A connection closed inside the block rolls it back.
		c := testserver.Connect(t, s.DSN())
		mustExec(t, c, "BEGIN")
		mustExec(t, c, "CREATE TABLE ddl_closed (ts timestamptz NOT NULL, n int)")
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for exists("ddl_closed") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond) // the server sees the close asynchronously
		}
		if exists("ddl_closed") {
			t.Error("ddl_closed exists after its connection closed inside the block")
		}
		// The name is free again.
		mustExec(t, b, "CREATE TABLE ddl_rb (ts timestamptz NOT NULL, n int)")
	})

	t.Run("alter table", func(t *testing.T) {
		// ALTER TABLE in a block that does not commit is undone (design
		// 101): the definition before the block's first ALTER comes back,
		// and a dropped column's buffered values with it.
		cols := func(name string) string {
			t.Helper()
			var s string
			if err := b.QueryRow(ctx, `SELECT coalesce(string_agg(attname || ':' || format_type(atttypid, atttypmod), ',' ORDER BY attnum), '')
				FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped`, name).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		mustExec(t, b, "CREATE TABLE alt (ts timestamptz NOT NULL, a int, b text)")
		mustExec(t, b, "INSERT INTO alt VALUES ($1, 1, 'x')", base) // buffered, not in a file
		const start = "ts:timestamp with time zone,a:integer,b:text"
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExecTx(t, tx, "ALTER TABLE alt ADD COLUMN c int DEFAULT 5")
		mustExecTx(t, tx, "ALTER TABLE alt DROP COLUMN a")
		mustExecTx(t, tx, "ALTER TABLE alt RENAME COLUMN b TO bb")
		mustExecTx(t, tx, "ALTER TABLE alt RENAME TO alt2")
		mustExecTx(t, tx, "CREATE TABLE alt (ts timestamptz NOT NULL, z int)")
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got := cols("alt"); got != start {
			t.Errorf("alt after ROLLBACK: %s, want %s", got, start)
		}
		if got := cols("alt2"); got != "" {
			t.Errorf("alt2 after ROLLBACK: %s, want no table", got)
		}
		var av int64
		var bv string
		if err := b.QueryRow(ctx, "SELECT a, b FROM alt").Scan(&av, &bv); err != nil || av != 1 || bv != "x" {
			t.Errorf("alt's row after ROLLBACK: %d %q %v, want 1 x", av, bv, err)
		}
		// The dropped-again column's name is free: adding it anew gives
		// NULL for the stored row, not the block's DEFAULT.
		mustExec(t, b, "ALTER TABLE alt ADD COLUMN c int")
		var cv *int64
		if err := b.QueryRow(ctx, "SELECT c FROM alt").Scan(&cv); err != nil || cv != nil {
			t.Errorf("re-added c: %v %v, want NULL", cv, err)
		}

		// Another session's ALTER after the block's keeps the table as it
		// is: the block's change is not undone over it.
		tx, err = a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		mustExecTx(t, tx, "ALTER TABLE alt ADD COLUMN d text")
		mustExec(t, b, "ALTER TABLE alt ADD COLUMN e text")
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if got, want := cols("alt"), start+",c:integer,d:text,e:text"; got != want {
			t.Errorf("alt after a ROLLBACK and another session's ALTER: %s, want %s", got, want)
		}

		// A failing pipeline and a connection closed in a block undo theirs.
		batch := &pgx.Batch{}
		batch.Queue("ALTER TABLE alt ADD COLUMN f int")
		batch.Queue("SELECT 1 / (n - n) FROM tw WHERE g = $1", "old")
		if err := a.SendBatch(ctx, batch).Close(); sqlState(err) != "22012" {
			t.Fatalf("failing batch: %v, want 22012", err)
		}
		c := testserver.Connect(t, s.DSN())
		mustExec(t, c, "BEGIN")
		mustExec(t, c, "ALTER TABLE alt DROP COLUMN e")
		if err := c.Close(ctx); err != nil {
			t.Fatal(err)
		}
		want := start + ",c:integer,d:text,e:text"
		deadline := time.Now().Add(30 * time.Second)
		for cols("alt") != want && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond) // the server sees the close asynchronously
		}
		if got := cols("alt"); got != want {
			t.Errorf("alt after a failed pipeline and a closed connection: %s, want %s", got, want)
		}
	})
}

// TestDropTableRollback: DROP TABLE in a block sets the table aside until
// COMMIT (design 102). ROLLBACK, a failed pipeline, a closed connection
// and a SIGKILL of the server inside the block each give it back with its
// rows (in files and in the buffers); meanwhile its name is free and no
// listing shows it; COMMIT drops it.
func TestDropTableRollback(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-rows", "2"}})
	ctx := t.Context()
	a := testserver.Connect(t, s.DSN())
	b := testserver.Connect(t, s.DSN())
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	mustExec(t, a, "CREATE TABLE dt (ts timestamptz NOT NULL, n int)")
	mustExec(t, a, "INSERT INTO dt VALUES ($1, 1), ($1, 2)", base) // a file
	mustExec(t, a, "INSERT INTO dt VALUES ($1, 4)", base)          // buffered
	sum := func(c *pgx.Conn) string {
		t.Helper()
		var n int64
		if err := c.QueryRow(ctx, "SELECT sum(n) FROM dt").Scan(&n); err != nil {
			return sqlState(err)
		}
		return fmt.Sprint(n)
	}
	listed := func() string {
		t.Helper()
		var s string
		if err := b.QueryRow(ctx, `SELECT coalesce(string_agg(relname, ',' ORDER BY relname), '') FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := sum(a); got != "7" {
		t.Fatalf("sum before: %s, want 7", got)
	}

	tx, err := a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExecTx(t, tx, "DROP TABLE dt")
	if _, err := tx.Exec(ctx, "SELECT count(*) FROM dt"); sqlState(err) != "42P01" {
		t.Fatalf("dt in the block after its DROP: %v, want 42P01", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(b); got != "7" {
		t.Errorf("sum after ROLLBACK: %s, want 7", got)
	}

	// DROP and CREATE of the same name: the new table is listed, the old
	// one is not; ROLLBACK gives the old one back.
	tx, err = a.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExecTx(t, tx, "DROP TABLE dt")
	mustExecTx(t, tx, "CREATE TABLE dt (ts timestamptz NOT NULL, n int, m text)")
	if got := listed(); got != "dt" {
		t.Errorf("listed in the block: %q, want only dt", got)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(b); got != "7" {
		t.Errorf("sum after DROP, CREATE, ROLLBACK: %s, want 7", got)
	}

	// A failed pipeline and a closed connection give it back too.
	batch := &pgx.Batch{}
	batch.Queue("DROP TABLE dt")
	batch.Queue("SELECT 1 / (n - n) FROM dt")
	if err := a.SendBatch(ctx, batch).Close(); sqlState(err) != "42P01" {
		t.Fatalf("failing batch: %v, want 42P01", err)
	}
	if got := sum(b); got != "7" {
		t.Errorf("sum after a failed pipeline: %s, want 7", got)
	}
	c := testserver.Connect(t, s.DSN())
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "DROP TABLE dt")
	if err := c.Close(ctx); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for sum(b) != "7" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // the server sees the close asynchronously
	}
	if got := sum(b); got != "7" {
		t.Errorf("sum after a connection closed in the block: %s, want 7", got)
	}

	// A SIGKILL inside the block: the restarted server gives it back.
	c = testserver.Connect(t, s.DSN())
	mustExec(t, c, "BEGIN")
	mustExec(t, c, "DROP TABLE dt")
	a.Close(ctx)
	b.Close(ctx)
	s.Kill()
	s.Restart()
	b = testserver.Connect(t, s.DSN())
	deadline = time.Now().Add(30 * time.Second)
	for sum(b) != "7" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond) // given back in the background
	}
	if got := sum(b); got != "7" {
		t.Fatalf("sum after a SIGKILL in the block and a restart: %s, want 7", got)
	}
	if got := listed(); got != "dt" {
		t.Errorf("listed after the restart: %q, want dt", got)
	}

	// COMMIT drops it, under the name it was set aside with (its table
	// id: the oid less PostgreSQL's first user oid, 16384).
	var oid int64
	if err := b.QueryRow(ctx, "SELECT 'dt'::regclass::oid::int8").Scan(&oid); err != nil {
		t.Fatal(err)
	}
	hidden := fmt.Sprintf("openwit_dropped_%d", oid-16384)
	a = testserver.Connect(t, s.DSN())
	tx, err = b.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mustExecTx(t, tx, "DROP TABLE dt")
	var n int64
	if err := a.QueryRow(ctx, "SELECT sum(n) FROM "+hidden).Scan(&n); err != nil || n != 7 {
		t.Errorf("%s in the block: sum %d %v, want 7", hidden, n, err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(b); got != "42P01" {
		t.Errorf("dt after COMMIT: %s, want 42P01", got)
	}
	if err := a.QueryRow(ctx, "SELECT sum(n) FROM "+hidden).Scan(&n); sqlState(err) != "42P01" {
		t.Errorf("%s after COMMIT: %v, want 42P01", hidden, err)
	}
}

func mustExecTx(tb testing.TB, tx pgx.Tx, sql string, args ...any) {
	tb.Helper()
	if _, err := tx.Exec(tb.Context(), sql, args...); err != nil {
		tb.Fatalf("%s: %v", abbrev(sql), err)
	}
}

const psycopgTxnScript = `
import os, datetime
import psycopg2, psycopg2.errors
def connect():
    return psycopg2.connect(host="127.0.0.1", port=os.environ["PGPORT"], user="openwit", dbname="openwit")
conn, other = connect(), connect()
other.autocommit = True
oc = other.cursor()
def count(cur):
    cur.execute("SELECT count(*) FROM py_tw")
    return cur.fetchone()[0]
cur = conn.cursor()
cur.execute("CREATE TABLE py_tw (ts timestamptz NOT NULL, n int)")
conn.commit()
base = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
rows = [(base + datetime.timedelta(seconds=i), i) for i in range(20)]
# psycopg2 opens a block (BEGIN) before the first statement.
cur.executemany("INSERT INTO py_tw VALUES (%s, %s)", rows)
assert count(cur) == 20, "own writes"
assert count(oc) == 0, "another session sees uncommitted rows"
conn.rollback()
assert count(cur) == 0, "after rollback"
conn.rollback()
cur.executemany("INSERT INTO py_tw VALUES (%s, %s)", rows)
conn.commit()
assert count(oc) == 20, "after commit"
cur.execute("INSERT INTO py_tw VALUES (%s, %s)", (base, 100))
try:
    cur.execute("SELECT 1 / 0")
    raise AssertionError("1/0 succeeded")
except psycopg2.errors.DivisionByZero:
    pass
try:
    cur.execute("SELECT 1")
    raise AssertionError("statement in an aborted block succeeded")
except psycopg2.errors.InFailedSqlTransaction:
    pass
conn.rollback()
assert count(oc) == 20, "the failed block left rows"
print("ok")
`

const jdbcTxnSource = `
import java.sql.*;
public class T {
  static void check(boolean c, String m) { if (!c) throw new RuntimeException(m); }
  static long count(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM jdbc_tw")) {
      rs.next();
      return rs.getLong(1);
    }
  }
  static void insert(Connection c, int from, int n) throws SQLException {
    try (PreparedStatement p = c.prepareStatement("INSERT INTO jdbc_tw VALUES (?, ?)")) {
      for (int i = from; i < from + n; i++) {
        p.setTimestamp(1, new Timestamp(1709251200000L + i * 1000L));
        p.setInt(2, i);
        p.addBatch();
      }
      p.executeBatch();
    }
  }
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/openwit?user=openwit";
    try (Connection c = DriverManager.getConnection(url); Connection o = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE jdbc_tw (ts timestamptz NOT NULL, n int)");
      }
      c.setAutoCommit(false);
      insert(c, 0, 100);
      check(count(c) == 100, "own writes " + count(c));
      check(count(o) == 0, "another connection sees " + count(o));
      c.rollback();
      check(count(c) == 0, "after rollback " + count(c));
      insert(c, 0, 100);
      Savepoint sp = c.setSavepoint();
      insert(c, 100, 50);
      c.rollback(sp);
      check(count(c) == 100, "after rollback to savepoint " + count(c));
      c.commit();
      check(count(o) == 100, "after commit another connection sees " + count(o));
    }
    System.out.println("ok");
  }
}
`

// TestTxnWritesClients: psycopg2's default mode (a block opened before
// the first statement, conn.commit/rollback), pgjdbc with autocommit off
// (executeBatch, rollback, a savepoint, commit), and psql's
// ON_ERROR_ROLLBACK (a savepoint around every statement of a block).
func TestTxnWritesClients(t *testing.T) {
	t.Parallel()
	if exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run() != nil {
		t.Fatal("psycopg2 missing (bash .ci/run installs python3-psycopg2)")
	}
	s := testserver.Start(t, testserver.Options{})
	runRealClient(t, s, nil, "/usr/bin/python3", "-c", psycopgTxnScript)

	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatal("pgjdbc missing (bash .ci/run installs libpostgresql-jdbc-java)")
	}
	src := filepath.Join(t.TempDir(), "T.java")
	if err := os.WriteFile(src, []byte(jdbcTxnSource), 0o600); err != nil {
		t.Fatal(err)
	}
	runRealClient(t, s, nil, "java", "-cp", jar, src)

	script := filepath.Join(t.TempDir(), "block.sql")
	if err := os.WriteFile(script, []byte(`CREATE TABLE psql_tw (ts timestamptz NOT NULL, x int);
BEGIN;
INSERT INTO psql_tw VALUES ('2024-01-01 00:00:00+00', 1);
SELECT 1 / 0;
INSERT INTO psql_tw VALUES ('2024-01-01 00:00:01+00', 2);
COMMIT;
BEGIN;
INSERT INTO psql_tw VALUES ('2024-01-01 00:00:02+00', 4);
ROLLBACK;
SELECT count(*), sum(x) FROM psql_tw;
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errs, code := runPsql(t, s, "-q", "-v", "ON_ERROR_ROLLBACK=on", "-f", script)
	if code != 0 || !strings.Contains(errs, "division by zero") || strings.TrimSpace(out) != "2|3" {
		t.Errorf("psql ON_ERROR_ROLLBACK: exit %d, out %q (want 2|3: the failed statement alone undone), stderr %q", code, out, errs)
	}
}

// TestTxnWritesCrash: a block's rows are durable only once COMMIT
// returned. Staged rows vanish with a SIGKILL, a SIGTERM or a closed
// connection; committed ones (explicit block and a multi-statement simple
// query) survive a SIGKILL exactly once.
func TestTxnWritesCrash(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE tw (ts timestamptz NOT NULL, k text, n int8)")
	mustExec(t, conn, "INSERT INTO tw VALUES ('2024-01-01 00:00:00+00', 'before', 1)")

	stage := func(conn *pgx.Conn, k string) {
		t.Helper()
		mustExec(t, conn, "BEGIN")
		for i := range 50 {
			mustExec(t, conn, "INSERT INTO tw VALUES ($1, $2, $3)", time.Date(2024, 1, 1, i, 0, 0, 0, time.UTC), k, int64(i))
		}
	}
	check := func(want map[string]int64) {
		t.Helper()
		c := testserver.Connect(t, s.DSN())
		defer c.Close(ctx)
		got := map[string]int64{}
		for _, r := range queryRows(t, c, "SELECT k, count(*), count(DISTINCT n) FROM tw GROUP BY k", func(r pgx.CollectableRow) ([3]any, error) {
			var k string
			var n, d int64
			err := r.Scan(&k, &n, &d)
			return [3]any{k, n, d}, err
		}) {
			k, n, d := r[0].(string), r[1].(int64), r[2].(int64)
			if n != d {
				t.Errorf("%s: %d rows but %d distinct: a row was replayed twice", k, n, d)
			}
			got[k] = n
		}
		for k, n := range want {
			if got[k] != n {
				t.Errorf("%s: %d rows, want %d (all: %v)", k, got[k], n, got)
			}
		}
		for k, n := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: %d rows that should not exist", k, n)
			}
		}
	}

	// Closed without COMMIT: dropped at once.
	c1 := testserver.Connect(t, s.DSN())
	stage(c1, "closed")
	if err := c1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	check(map[string]int64{"before": 1})

	// SIGKILL with a block open: its rows never reached the WAL.
	stage(testserver.Connect(t, s.DSN()), "killed")
	s.Kill()
	s.Restart()
	check(map[string]int64{"before": 1})

	// SIGTERM (flushes every buffer to Parquet) with a block open.
	stage(testserver.Connect(t, s.DSN()), "stopped")
	s.Stop()
	s.Restart()
	check(map[string]int64{"before": 1})

	// Committed, then SIGKILL: replayed from the WAL exactly once.
	c2 := testserver.Connect(t, s.DSN())
	stage(c2, "committed")
	mustExec(t, c2, "COMMIT")
	if _, err := c2.Exec(ctx, "INSERT INTO tw VALUES ('2024-01-02 00:00:00+00', 'implicit', 1); INSERT INTO tw VALUES ('2024-01-02 01:00:00+00', 'implicit', 2)"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s.Restart()
	want := map[string]int64{"before": 1, "committed": 50, "implicit": 2}
	check(want)
	// And again: a second replay does not duplicate them.
	s.Kill()
	s.Restart()
	check(want)
}

// TestTxnWritesLimit: a block staging more than --txn-write-limit fails
// the statement that passes it with 54000 (nothing of that statement is
// staged, the block is aborted), ROLLBACK leaves nothing, and the same
// rows written in several blocks, or by COPY in a block, stay within it.
func TestTxnWritesLimit(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--txn-write-limit", "256KiB"}})
	ctx := t.Context()
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE tw (ts timestamptz NOT NULL, k text, n int8)")
	// About 100 KiB of text per statement.
	insert := "INSERT INTO tw SELECT '2024-01-01 00:00:00+00'::timestamptz + g * interval '1 second', repeat('x', 100), g FROM generate_series(1, 1000) g"
	mustExec(t, conn, "BEGIN")
	mustExec(t, conn, insert)
	mustExec(t, conn, insert)
	_, err := conn.Exec(ctx, insert)
	if sqlState(err) != "54000" {
		t.Fatalf("third statement of the block: %v, want 54000", err)
	}
	if _, err := conn.Exec(ctx, "SELECT 1"); sqlState(err) != "25P02" {
		t.Errorf("after the limit: %v, want 25P02", err)
	}
	mustExec(t, conn, "ROLLBACK")
	if n, _ := countRows(t, conn, "true"); n != 0 {
		t.Errorf("after ROLLBACK: %d rows", n)
	}
	for range 3 {
		mustExec(t, conn, "BEGIN")
		mustExec(t, conn, insert)
		mustExec(t, conn, "COMMIT")
	}
	if n, _ := countRows(t, conn, "true"); n != 3000 {
		t.Errorf("three blocks committed %d rows, want 3000", n)
	}

	// COPY in a block is staged too: rolled back, then committed.
	copyRows := func(tx pgx.Tx, from int) int64 {
		t.Helper()
		rows := make([][]any, 100)
		for i := range rows {
			rows[i] = []any{time.Date(2024, 2, 1, 0, 0, from+i, 0, time.UTC), "copy", int64(from + i)}
		}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"tw"}, []string{"ts", "k", "n"}, pgx.CopyFromRows(rows))
		if err != nil {
			t.Fatalf("COPY in a block: %v", err)
		}
		return n
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	copyRows(tx, 0)
	if n, _ := countRows(t, tx, "k = 'copy'"); n != 100 {
		t.Errorf("the block sees %d of its copied rows, want 100", n)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := countRows(t, conn, "k = 'copy'"); n != 0 {
		t.Errorf("after ROLLBACK: %d copied rows", n)
	}
	if tx, err = conn.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	copyRows(tx, 0)
	copyRows(tx, 100)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, sum := countRows(t, conn, "k = 'copy'"); n != 200 || sum != 199*200/2 {
		t.Errorf("after COMMIT: count %d sum %d, want 200 and %d", n, sum, 199*200/2)
	}
}
