package sqltests

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestSleepVoidClients runs pg_sleep through real clients against
// PostgreSQL 15 and OpenWit and wants the same answers: pgx (extended
// protocol) reads the void column as OID 2278 with an empty value, psql
// prints an empty column, pgjdbc reads it as "void" with an empty string,
// and a CancelRequest ends a long pg_sleep with 57014.
func TestSleepVoidClients(t *testing.T) {
	pg := testpg.Start(t)
	pgDSN := pg.CreateDB(t, "sleep_void")
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	servers := []struct {
		name, dsn string
		port      int
		db, user  string
	}{
		{"postgres", pgDSN, pg.Port, "sleep_void", "postgres"},
		{"openwit", srv.DSN(), srv.PGPort, "openwit", "openwit"},
	}
	var want map[string]string
	for _, s := range servers {
		got := map[string]string{}
		c := testserver.Connect(t, s.dsn)

		rows, err := c.Query(t.Context(), "SELECT pg_sleep($1) AS v, pg_sleep(NULL) AS n, pg_sleep_for($2) AS f", 0, "-1 second")
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			got["pgx values"] = sprintVals(vals)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		fds := rows.FieldDescriptions()
		got["pgx oids"] = strconv.Itoa(int(fds[0].DataTypeOID)) + " " + strconv.Itoa(int(fds[1].DataTypeOID)) + " " + strconv.Itoa(int(fds[2].DataTypeOID))

		got["cancel"] = sleepCancelled(t, c)

		out, err := exec.Command("psql", s.dsn, "-X", "-c", "SELECT pg_sleep(0), 1 AS one").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: psql: %v\n%s", s.name, err, out)
		}
		got["psql"] = string(out)

		got["jdbc"] = runSleepJDBC(t, s.port, s.db, s.user)

		if want == nil {
			want = got
			if want["pgx oids"] != "2278 2278 2278" || want["cancel"] != "57014" {
				t.Fatalf("PostgreSQL's answers are not what this test expects: %v", want)
			}
			continue
		}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: %s:\n got %q\nwant %q", s.name, k, got[k], w)
			}
		}
	}
}

func sprintVals(vals []any) string {
	var b bytes.Buffer
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" ")
		}
		if v == nil {
			b.WriteString("NULL")
			continue
		}
		b.WriteString(strconv.Quote(toString(v)))
	}
	return b.String()
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case int32:
		return strconv.Itoa(int(x))
	}
	return "?"
}

// sleepCancelled runs a long pg_sleep and sends CancelRequests from
// another goroutine until it returns; it returns the SQLSTATE.
func sleepCancelled(t *testing.T, c *pgx.Conn) string {
	t.Helper()
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = c.PgConn().CancelRequest(ctx)
				cancel()
			}
		}
	}()
	_, err := c.Exec(t.Context(), "SELECT pg_sleep(600)")
	close(done)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("pg_sleep(600) with CancelRequest: want a server error, got %v", err)
	}
	return pe.Code
}

const sleepJava = `import java.sql.*;
public class V {
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/" + System.getenv("PGDATABASE");
    try (Connection c = DriverManager.getConnection(url, System.getenv("PGUSER"), "")) {
      try (PreparedStatement p = c.prepareStatement("SELECT pg_sleep(?), pg_sleep(NULL)")) {
        p.setDouble(1, 0.0);
        try (ResultSet r = p.executeQuery()) {
          ResultSetMetaData m = r.getMetaData();
          while (r.next()) {
            String v = r.getString(1);
            boolean n1 = r.wasNull();
            Object o = r.getObject(2);
            System.out.println(m.getColumnTypeName(1) + " [" + v + "] " + n1 + " " + o);
          }
        }
      }
      try (Statement s = c.createStatement()) {
        s.execute("SET statement_timeout = '50ms'");
        try {
          s.executeQuery("SELECT pg_sleep(600)");
          System.out.println("no error");
        } catch (SQLException e) {
          System.out.println(e.getSQLState());
        }
      }
    }
  }
}
`

// runSleepJDBC runs sleepJava with pgjdbc (extended protocol) and returns
// its output.
func runSleepJDBC(t *testing.T, port int, db, user string) string {
	t.Helper()
	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatal("pgjdbc missing (libpostgresql-jdbc-java)")
	}
	src := filepath.Join(t.TempDir(), "V.java")
	if err := os.WriteFile(src, []byte(sleepJava), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", "-cp", jar, src)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/local/bin", "HOME=" + t.TempDir(), "TZ=UTC",
		"PGPORT=" + strconv.Itoa(port), "PGDATABASE=" + db, "PGUSER=" + user}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("java against port %d: %v\n%s", port, err, out)
	}
	return string(out)
}
