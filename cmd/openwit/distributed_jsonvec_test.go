package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testserver"
)

// TestDistributedJSON: JSON filters and group keys travel to search
// workers in the fragments (design 073) and answer what one process
// answers.
func TestDistributedJSON(t *testing.T) {
	t.Parallel()
	shared := t.TempDir()
	objects := "file://" + filepath.Join(shared, "objects")
	var addrs []string
	for i := 0; i < 2; i++ {
		addr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
		testserver.Start(t, testserver.Options{Args: []string{
			"--roles", "search", "--search-addr", addr, "--object-store", objects,
		}})
		addrs = append(addrs, addr)
	}
	coord := testserver.Start(t, testserver.Options{Args: []string{
		"--roles", "gateway,coordinator", "--search-workers", strings.Join(addrs, ","),
		"--object-store", objects, "--flush-age", "10ms",
	}})
	single := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "10ms"}})
	cc, sc := testserver.Connect(t, coord.DSN()), testserver.Connect(t, single.DSN())
	for _, conn := range []*pgx.Conn{cc, sc} {
		mustExec(t, conn, `CREATE TABLE ev (ts timestamptz NOT NULL, doc jsonb)`)
		for b := 0; b < 6; b++ {
			var sb strings.Builder
			sb.WriteString("INSERT INTO ev VALUES ")
			for i := 0; i < 400; i++ {
				n := b*400 + i
				if i > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, `('2024-01-01 00:00:00+00'::timestamptz + interval '%d minute', '{"svc": "%s", "status": "%d", "k8s": {"pod": "p-%d"}%s}')`,
					n, []string{"api", "web", "db"}[n%3], []int{200, 404, 500}[n%7%3], n%5, map[bool]string{true: `, "error": {"code": 1}`}[n%11 == 0])
			}
			mustExec(t, conn, sb.String())
		}
	}
	for _, s := range []*testserver.Server{coord, single} {
		waitMetric(t, s.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
	}
	plan := strings.Join(queryText(t, cc, `EXPLAIN SELECT doc ->> 'svc', count(*) FROM ev WHERE doc @> '{"status": "500"}' GROUP BY 1`), "\n")
	if !strings.Contains(plan, "search workers=2") || !strings.Contains(plan, `filter=doc @> '{"status": "500"}'`) || !strings.Contains(plan, `group=[(doc ->> 'svc')]`) {
		t.Fatalf("the coordinator does not push the JSON expressions to the workers:\n%s", plan)
	}
	for _, q := range []string{
		`SELECT count(*) FROM ev WHERE doc ->> 'svc' = 'api'`,
		`SELECT doc ->> 'svc', count(*) FROM ev WHERE doc @> '{"status": "500"}' GROUP BY 1 ORDER BY 1`,
		`SELECT doc -> 'k8s' ->> 'pod', count(*) FROM ev WHERE doc ? 'error' GROUP BY 1 ORDER BY 1`,
		`SELECT count(*) FROM ev WHERE (doc ->> 'status')::int >= 404 AND doc #>> '{k8s,pod}' <> 'p-0'`,
		`SELECT ts, doc ->> 'svc' FROM ev WHERE doc ->> 'svc' IN ('db', 'web') ORDER BY ts DESC LIMIT 7`,
	} {
		got, want := queryText(t, cc, q), queryText(t, sc, q)
		if len(want) == 0 || (len(want) == 1 && want[0] == "0") {
			t.Errorf("%s: no rows on the single process; the query checks nothing", q)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\ndistributed %v\nsingle      %v", q, got, want)
		}
	}
	// A cast of bad text fails on a worker with the SQLSTATE and message
	// of a single process.
	for _, conn := range []*pgx.Conn{cc, sc} {
		mustExec(t, conn, `INSERT INTO ev VALUES ('2024-01-03 00:00:00+00', '{"svc": "bad", "status": "n/a"}')`)
	}
	for _, s := range []*testserver.Server{coord, single} {
		waitMetric(t, s.HTTPURL(), "openwit_ingest_buffered_rows", func(v float64) bool { return v == 0 })
	}
	q := `SELECT count(*) FROM ev WHERE (doc ->> 'status')::int >= 404`
	for name, conn := range map[string]*pgx.Conn{"distributed": cc, "single": sc} {
		var n int64
		err := conn.QueryRow(t.Context(), q).Scan(&n)
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22P02" || pe.Message != `invalid input syntax for type integer: "n/a"` {
			t.Errorf("%s: %s: %v, want 22P02", name, q, err)
		}
	}
}
