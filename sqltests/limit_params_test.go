package sqltests

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestLimitParams runs LIMIT and OFFSET given as parameters of the extended
// protocol (pgx prepares and binds them) against PostgreSQL 15 and OpenWit
// and wants the same rows, or the same SQLSTATE.
func TestLimitParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "limit_params"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE r (id int, grp text)")
		mustExecConn(t, c, "INSERT INTO r VALUES (1, 'x'), (2, 'y'), (3, 'x'), (4, NULL), (5, 'y')")
	}
	cases := []struct {
		sql  string
		args []any
	}{
		{"SELECT id FROM r ORDER BY id LIMIT $1", []any{2}},
		{"SELECT id FROM r ORDER BY id LIMIT $1 OFFSET $2", []any{2, 1}},
		{"SELECT id FROM r ORDER BY id OFFSET $1", []any{3}},
		{"SELECT id FROM r ORDER BY id LIMIT $1", []any{nil}},
		{"SELECT id FROM r ORDER BY id LIMIT $1 + 1", []any{1}},
		{"SELECT id FROM r WHERE grp = $1 ORDER BY id LIMIT $2", []any{"x", 1}},
		{"SELECT id FROM r ORDER BY id LIMIT (SELECT count(*) FROM r WHERE grp = $1)", []any{"y"}},
		{"SELECT id FROM r ORDER BY id LIMIT $1", []any{-1}},
		{"SELECT id FROM r ORDER BY id OFFSET $1", []any{-1}},
	}
	for _, c := range cases {
		want := limitParamsRun(t, pconn, c.sql, c.args)
		got := limitParamsRun(t, oconn, c.sql, c.args)
		if got != want {
			t.Errorf("%s %v:\n got %s\nwant %s", c.sql, c.args, got, want)
		}
	}
}

// limitParamsRun renders the rows of sql (or its SQLSTATE) as text.
func limitParamsRun(t *testing.T, c *pgx.Conn, sql string, args []any) string {
	t.Helper()
	rows, err := c.Query(t.Context(), sql, args...)
	if err != nil {
		return limitParamsErr(t, err)
	}
	var out []string
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rows.Err(); err != nil {
		return limitParamsErr(t, err)
	}
	return "rows [" + strings.Join(out, " ") + "]"
}

func limitParamsErr(t *testing.T, err error) string {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		t.Fatalf("not a server error: %v", err)
	}
	return "error " + pe.Code
}
