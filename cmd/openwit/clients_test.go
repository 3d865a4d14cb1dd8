package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openwit/internal/testserver"
)

// The real drivers users run, against the real server, with no special
// connection options: each script creates a table, inserts with typed
// parameters through the driver's prepared statements, reads back with
// streaming where the driver has it, and prints "ok". .ci/run installs the
// clients.

const jdbcSource = `
import java.sql.*;
public class T {
  static void check(boolean c, String m) { if (!c) throw new RuntimeException(m); }
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/openwit?user=openwit";
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE jdbc_logs (ts timestamptz NOT NULL, service text, status int, latency float8)");
      }
      try (PreparedStatement p = c.prepareStatement("INSERT INTO jdbc_logs VALUES (?, ?, ?, ?)")) {
        for (int i = 0; i < 500; i++) {
          p.setTimestamp(1, new Timestamp(1709251200000L + i * 1000L));
          p.setString(2, i % 2 == 0 ? "api" : "web");
          p.setInt(3, 200 + (i % 3) * 100);
          p.setDouble(4, i * 0.5);
          p.executeUpdate();
        }
      }
      try (PreparedStatement p = c.prepareStatement("SELECT count(*), sum(status) FROM jdbc_logs WHERE service = ? AND status >= ?")) {
        p.setString(1, "api");
        p.setInt(2, 300);
        try (ResultSet rs = p.executeQuery()) {
          check(rs.next(), "no row");
          check(rs.getLong(1) == 166, "count " + rs.getLong(1));
        }
      }
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.setFetchSize(50);
        int n = 0;
        try (ResultSet rs = s.executeQuery("SELECT ts, service, status, latency FROM jdbc_logs ORDER BY ts")) {
          while (rs.next()) {
            check(rs.getTimestamp(1).getTime() == 1709251200000L + n * 1000L, "ts at " + n);
            n++;
          }
        }
        check(n == 500, "streamed " + n);
      }
      c.commit();
      DatabaseMetaData md = c.getMetaData();
      check(md.getDatabaseProductName().equals("PostgreSQL"), md.getDatabaseProductName());
    }
    System.out.println("ok");
  }
}
`

const psycopgScript = `
import os, datetime
import psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=os.environ["PGPORT"], user="openwit", dbname="openwit")
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE TABLE py_logs (ts timestamptz NOT NULL, service text, status int, latency float8)")
base = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
rows = [(base + datetime.timedelta(seconds=i), "api" if i % 2 == 0 else "web", 200 + (i % 3) * 100, i * 0.5) for i in range(300)]
cur.executemany("INSERT INTO py_logs VALUES (%s, %s, %s, %s)", rows)
cur.execute("SELECT service, count(*), max(latency) FROM py_logs GROUP BY service ORDER BY service")
got = cur.fetchall()
assert got == [("api", 150, 149.0), ("web", 150, 149.5)], got
cur.execute("SELECT min(ts) FROM py_logs WHERE status = %s", (300,))
assert cur.fetchone()[0] == base + datetime.timedelta(seconds=1), "min ts"
print("ok")
`

const nodeScript = `
const { Client } = require('pg');
(async () => {
  const c = new Client({ host: '127.0.0.1', port: Number(process.env.PGPORT), user: 'openwit', database: 'openwit' });
  await c.connect();
  await c.query('CREATE TABLE node_logs (ts timestamptz NOT NULL, service text, status int)');
  for (let i = 0; i < 100; i++) {
    await c.query('INSERT INTO node_logs VALUES ($1, $2, $3)', [new Date(Date.UTC(2024, 2, 1, 0, 0, i)), i % 2 ? 'web' : 'api', 200 + i]);
  }
  const r = await c.query('SELECT count(*)::int AS n, max(status) AS m FROM node_logs WHERE service = $1', ['web']);
  if (r.rows[0].n !== 50 || r.rows[0].m !== 299) throw new Error(JSON.stringify(r.rows));
  const t = await c.query("SELECT date_trunc('minute', ts) AS bucket, count(*) FROM node_logs GROUP BY 1 ORDER BY 1");
  if (t.rows.length !== 2) throw new Error('buckets ' + JSON.stringify(t.rows));
  await c.end();
  console.log('ok');
})().catch(e => { console.error(e); process.exit(1); });
`

func runRealClient(t *testing.T, s *testserver.Server, env []string, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin:/usr/local/bin", "HOME=" + t.TempDir(), "TZ=UTC",
		"PGPORT=" + strconv.Itoa(s.PGPort)}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil || strings.TrimSpace(out.String()) != "ok" {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s\nserver log:\n%s", name, err, out.String(), errb.String(), s.Log())
	}
}

func TestClientPgjdbc(t *testing.T) {
	t.Parallel()
	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatal("pgjdbc missing (bash .ci/run installs libpostgresql-jdbc-java)")
	}
	s := testserver.Start(t, testserver.Options{})
	src := filepath.Join(t.TempDir(), "T.java")
	if err := os.WriteFile(src, []byte(jdbcSource), 0o600); err != nil {
		t.Fatal(err)
	}
	runRealClient(t, s, nil, "java", "-cp", jar, src)
}

func TestClientPsycopg2(t *testing.T) {
	t.Parallel()
	if exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run() != nil {
		t.Fatal("psycopg2 missing (bash .ci/run installs python3-psycopg2)")
	}
	s := testserver.Start(t, testserver.Options{})
	runRealClient(t, s, nil, "/usr/bin/python3", "-c", psycopgScript)
}

func TestClientNodePg(t *testing.T) {
	t.Parallel()
	nodePath := os.Getenv("NODE_PATH")
	if nodePath == "" {
		t.Fatal("NODE_PATH with the pg module is not set (bash .ci/run installs it)")
	}
	s := testserver.Start(t, testserver.Options{})
	runRealClient(t, s, []string{"NODE_PATH=" + nodePath}, "node", "-e", nodeScript)
}
