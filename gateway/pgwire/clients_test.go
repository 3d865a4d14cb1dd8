package pgwire

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests drive the server with other real drivers when they are
// installed (Debian python3-psycopg2 and libpostgresql-jdbc-java, npm pg
// found through NODE_PATH); each is skipped otherwise.

// runClient runs a client program with PGHOST/PGPORT pointing at ts and
// expects it to print "ok".
func runClient(t *testing.T, ts *testServer, env []string, name string, args ...string) {
	t.Helper()
	host, port, _ := net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "TZ=UTC", "PGHOST=" + host, "PGPORT=" + port}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", name, err, out.String(), errb.String())
	}
}

const psycopg2Script = `
import os, datetime, decimal, uuid
import psycopg2, psycopg2.errors
conn = psycopg2.connect(host=os.environ["PGHOST"], port=os.environ["PGPORT"], user="openwit", dbname="openwit")
cur = conn.cursor()
cur.execute("select types")  # after an implicit BEGIN
row = cur.fetchone()
want = [True, -12, 123456, 1 << 40, 1.5, 3.25, decimal.Decimal("12345.6789"), "hello", "world", "pg_catalog", "x"]
assert list(row[:11]) == want, row
assert bytes(row[11]) == b"\x00\x01\x02\xff", row[11]
assert row[12] == datetime.date(2024, 2, 29), row[12]
assert row[13] == datetime.datetime(2024, 2, 29, 13, 14, 15, 123456), row[13]
assert row[14] == datetime.datetime(2024, 2, 29, 13, 14, 15, 500000, tzinfo=datetime.timezone.utc), row[14]
assert row[15] == datetime.timedelta(days=1, hours=2, minutes=3, seconds=4), row[15]
assert row[16] == {"a": 1} and row[17] == {"b": 2}, row[16:18]
assert row[18] == 26 and row[19] == "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", row[18:20]
assert row[20] == ["a", "b c", ""], row[20]
assert cur.fetchone() == (None,) * 21
assert conn.get_transaction_status() == 2  # INTRANS
conn.commit()
try:
    cur.execute("error")
    raise SystemExit("error did not fail")
except psycopg2.errors.DivisionByZero as e:
    assert e.diag.message_detail == "the detail", e.diag.message_detail
    assert e.diag.statement_position == "8"
try:
    cur.execute("select 1")
    raise SystemExit("statement ran in a failed transaction")
except psycopg2.errors.InFailedSqlTransaction:
    pass
conn.rollback()
conn.autocommit = True
cur.execute("select series 3; select 1")
assert cur.fetchall() == [(1,)]
cur.execute("set TimeZone 'Asia/Tokyo'")
cur.execute("select types")
assert cur.fetchone()[14].utcoffset() == datetime.timedelta(hours=9)
print("ok")
`

func TestPsycopg2(t *testing.T) {
	// Debian's interpreter, where python3-psycopg2 installs.
	const python = "/usr/bin/python3"
	if exec.Command(python, "-c", "import psycopg2").Run() != nil {
		t.Fatal("missing test client (bash .ci/run installs it): " + "python3-psycopg2 not installed")
	}
	ts := startServer(t)
	script := filepath.Join(t.TempDir(), "t.py")
	if err := os.WriteFile(script, []byte(psycopg2Script), 0o600); err != nil {
		t.Fatal(err)
	}
	runClient(t, ts, nil, python, script)
}

const nodePgScript = `
const assert = require("assert");
const { Client } = require("pg");
(async () => {
  const c = new Client({ host: process.env.PGHOST, port: +process.env.PGPORT, user: "openwit", database: "openwit" });
  await c.connect();
  let r = await c.query("select types");
  const row = r.rows[0];
  assert.strictEqual(row.b, true);
  assert.strictEqual(row.i4, 123456);
  assert.strictEqual(row.i8, "1099511627776");
  assert.strictEqual(row.f8, 3.25);
  assert.strictEqual(row.num, "12345.6789");
  assert.deepStrictEqual(row.by, Buffer.from([0, 1, 2, 255]));
  assert.strictEqual(row.tstz.toISOString(), "2024-02-29T13:14:15.500Z");
  assert.deepStrictEqual(row.js, { a: 1 });
  assert.deepStrictEqual(row.arr, ["a", "b c", ""]);
  assert.strictEqual(r.rows[1].b, null);
  // Extended protocol: unnamed and named statements with text parameters.
  r = await c.query("echo int8 text bool $1 $2 $3", ["42", "hi", true]);
  assert.deepStrictEqual(r.rows[0], { p1: "42", p2: "hi", p3: true });
  for (let i = 0; i < 3; i++) {
    r = await c.query({ name: "named", text: "echo int4 $1", values: [i] });
    assert.strictEqual(r.rows[0].p1, i);
  }
  await assert.rejects(c.query("error"), (e) => e.code === "22012" && e.position === "8" && e.hint === "the hint");
  await assert.rejects(c.query("echo int4 $1", ["x"]), (e) => e.code === "22P02");
  r = await c.query("select series 3");
  assert.strictEqual(r.rowCount, 3);
  await c.query("set application_name = 'node'");
  await c.end();
  console.log("ok");
})().catch((e) => { console.error(e); process.exit(1); });
`

func TestNodePg(t *testing.T) {
	nodePath := os.Getenv("NODE_PATH")
	if nodePath == "" {
		t.Fatal("missing test client (bash .ci/run installs it): " + "NODE_PATH with the pg module not set")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("missing test client (bash .ci/run installs it): " + "node not installed")
	}
	ts := startServer(t)
	script := filepath.Join(t.TempDir(), "t.js")
	if err := os.WriteFile(script, []byte(nodePgScript), 0o600); err != nil {
		t.Fatal(err)
	}
	runClient(t, ts, []string{"NODE_PATH=" + nodePath}, "node", script)
}

const pgjdbcSource = `
import java.math.BigDecimal;
import java.sql.*;

public class T {
  static void check(boolean ok, Object what) { if (!ok) throw new AssertionError(String.valueOf(what)); }

  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/openwit";
    try (Connection c = DriverManager.getConnection(url, "openwit", "")) {
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select types")) {
        check(rs.next(), "row");
        check(rs.getBoolean("b"), "b");
        check(rs.getShort("i2") == -12, rs.getShort("i2"));
        check(rs.getLong("i8") == 1L << 40, rs.getLong("i8"));
        check(rs.getFloat("f4") == 1.5f, rs.getFloat("f4"));
        check(rs.getBigDecimal("num").equals(new BigDecimal("12345.6789")), rs.getBigDecimal("num"));
        check(rs.getString("txt").equals("hello"), rs.getString("txt"));
        check(java.util.Arrays.equals(rs.getBytes("by"), new byte[] {0, 1, 2, (byte) 255}), "bytea");
        check(rs.getDate("d").toString().equals("2024-02-29"), rs.getDate("d"));
        check(rs.getTimestamp("tstz").toInstant().toString().equals("2024-02-29T13:14:15.500Z"), rs.getTimestamp("tstz").toInstant());
        check(rs.getObject("u").toString().equals("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), rs.getObject("u"));
        String[] arr = (String[]) rs.getArray("arr").getArray();
        check(arr.length == 3 && arr[1].equals("b c"), "array");
        check(rs.next() && rs.getObject("b") == null, "null row");
      }
      // Past prepareThreshold pgjdbc switches to named server statements
      // and binary transfer.
      try (PreparedStatement ps = c.prepareStatement("echo int8 text timestamptz ? ? ?")) {
        for (int i = 0; i < 8; i++) {
          ps.setLong(1, i);
          ps.setString(2, "s" + i);
          ps.setTimestamp(3, Timestamp.from(java.time.Instant.parse("2024-01-02T03:04:05.678Z")));
          try (ResultSet rs = ps.executeQuery()) {
            check(rs.next(), "echo row");
            check(rs.getLong(1) == i && rs.getString(2).equals("s" + i), rs.getString(2));
            check(rs.getTimestamp(3).toInstant().toString().equals("2024-01-02T03:04:05.678Z"), rs.getTimestamp(3).toInstant());
          }
        }
      }
      // Cursor-style fetching: portals with a row limit inside a transaction.
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.setFetchSize(7);
        long sum = 0;
        int n = 0;
        try (ResultSet rs = s.executeQuery("select series 100")) {
          while (rs.next()) { sum += rs.getLong(1); n++; }
        }
        check(n == 100 && sum == 5050, n + " " + sum);
        try {
          s.executeQuery("error");
          check(false, "error did not fail");
        } catch (SQLException e) {
          check(e.getSQLState().equals("22012"), e.getSQLState());
        }
        c.rollback();
      }
      c.setAutoCommit(true);
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select 1")) {
        check(rs.next() && rs.getInt(1) == 1, "select 1");
      }
    }
    System.out.println("ok");
  }
}
`

func TestPgjdbc(t *testing.T) {
	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatal("missing test client (bash .ci/run installs it): " + "libpostgresql-jdbc-java not installed")
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Fatal("missing test client (bash .ci/run installs it): " + "java not installed")
	}
	ts := startServer(t)
	src := filepath.Join(t.TempDir(), "T.java")
	if err := os.WriteFile(src, []byte(pgjdbcSource), 0o600); err != nil {
		t.Fatal(err)
	}
	runClient(t, ts, nil, "java", "-cp", jar, src)
}
