package pgwire

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestClientsPasswordTLS logs in with SCRAM-SHA-256 over verified TLS from
// the other real drivers of the client matrix (each also checks that a
// wrong password is refused with 28P01).
func TestClientsPasswordTLS(t *testing.T) {
	ts, certs := startSecureServer(t, true)
	env := []string{"CAFILE=" + certs.CAFile}

	t.Run("psycopg2", func(t *testing.T) {
		const python = "/usr/bin/python3"
		if err := exec.Command(python, "-c", "import psycopg2").Run(); err != nil {
			t.Fatal("missing test client (bash .ci/run installs it): python3-psycopg2 not installed")
		}
		runClient(t, ts, env, python, "-c", `
import os, psycopg2, psycopg2.errors
kw = dict(host="localhost", port=os.environ["PGPORT"], dbname="openwit", sslmode="verify-full", sslrootcert=os.environ["CAFILE"])
conn = psycopg2.connect(user="alice", password="wonderland", channel_binding="require", **kw)
cur = conn.cursor()
cur.execute("select 1")
assert cur.fetchone() == (1,)
try:
    psycopg2.connect(user="alice", password="nope", **kw)
    raise SystemExit("wrong password accepted")
except psycopg2.OperationalError as e:
    assert 'password authentication failed for user "alice"' in str(e), str(e)
print("ok")
`)
	})

	t.Run("node-postgres", func(t *testing.T) {
		nodePath := os.Getenv("NODE_PATH")
		if nodePath == "" {
			t.Fatal("missing test client (bash .ci/run installs it): NODE_PATH with the pg module not set")
		}
		script := filepath.Join(t.TempDir(), "auth.js")
		if err := os.WriteFile(script, []byte(`
const { Client } = require("pg");
const fs = require("fs");
const ssl = { ca: fs.readFileSync(process.env.CAFILE), servername: "localhost" };
(async () => {
  const c = new Client({ host: "localhost", port: +process.env.PGPORT, user: "bob", password: "builder", database: "openwit", ssl });
  await c.connect();
  const r = await c.query("select 1");
  if (r.rows.length !== 1 || r.rows[0]["?column?"] !== 1) throw new Error("select 1: " + JSON.stringify(r.rows));
  await c.end();
  const bad = new Client({ host: "localhost", port: +process.env.PGPORT, user: "bob", password: "nope", database: "openwit", ssl });
  try {
    await bad.connect();
    throw new Error("wrong password accepted");
  } catch (e) {
    if (e.code !== "28P01") throw e;
  }
  console.log("ok");
})().catch((e) => { console.error(e); process.exit(1); });
`), 0o600); err != nil {
			t.Fatal(err)
		}
		runClient(t, ts, append(env, "NODE_PATH="+nodePath), "node", script)
	})

	t.Run("pgjdbc", func(t *testing.T) {
		const jar = "/usr/share/java/postgresql.jar"
		if _, err := os.Stat(jar); err != nil {
			t.Fatal("missing test client (bash .ci/run installs it): libpostgresql-jdbc-java not installed")
		}
		src := filepath.Join(t.TempDir(), "A.java")
		if err := os.WriteFile(src, []byte(`
import java.sql.*;
import java.util.Properties;

public class A {
  public static void main(String[] args) throws Exception {
    String url = "jdbc:postgresql://localhost:" + System.getenv("PGPORT") + "/openwit";
    Properties p = new Properties();
    p.setProperty("user", "alice");
    p.setProperty("password", "wonderland");
    p.setProperty("sslmode", "verify-full");
    p.setProperty("sslrootcert", System.getenv("CAFILE"));
    try (Connection c = DriverManager.getConnection(url, p);
         ResultSet rs = c.createStatement().executeQuery("select 1")) {
      if (!rs.next() || rs.getInt(1) != 1) throw new RuntimeException("select 1");
    }
    p.setProperty("password", "nope");
    try {
      DriverManager.getConnection(url, p).close();
      throw new RuntimeException("wrong password accepted");
    } catch (SQLException e) {
      if (!"28P01".equals(e.getSQLState())) throw e;
    }
    System.out.println("ok");
  }
}
`), 0o600); err != nil {
			t.Fatal(err)
		}
		runClient(t, ts, env, "java", "-cp", jar, src)
	})
}
