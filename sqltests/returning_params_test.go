package sqltests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestReturningParams runs INSERT ... RETURNING over the extended protocol
// (pgx prepares, describes and binds) against PostgreSQL 15 and OpenWit:
// the Describe of the prepared statement (parameter types, result names and
// types), the rows and the command tag must be the same, outside and
// inside a transaction block (design 066).
func TestReturningParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "returning_params"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE rp (ts timestamptz NOT NULL, svc text, status int, lat float8)")
	}
	cases := []struct {
		sql  string
		args []any
		tx   string // "", "commit" or "rollback"
	}{
		{"INSERT INTO rp VALUES ($1, $2, $3, $4) RETURNING *", []any{"2024-01-01 00:00:00+00", "api", 200, 1.5}, ""},
		{"INSERT INTO rp (ts, svc, status) VALUES ($1, $2, $3) RETURNING status * 2 AS twice, svc, lat", []any{"2024-01-01 00:00:01+00", "web", 7}, ""},
		{"INSERT INTO rp (ts, svc) VALUES ($1, $2), ($1, $3) RETURNING svc || $2, ts", []any{"2024-01-01 00:00:02+00", "a", "b"}, ""},
		{"INSERT INTO rp (ts, svc, status) VALUES ($1, $2, $3) RETURNING svc, status", []any{"2024-01-01 00:00:03+00", "in-tx", 1}, "commit"},
		{"INSERT INTO rp (ts, svc, status) VALUES ($1, $2, $3) RETURNING svc, status", []any{"2024-01-01 00:00:04+00", "undone", 2}, "rollback"},
		{"INSERT INTO rp (ts, svc, status) VALUES ($1, $2, $3) RETURNING status", []any{"2024-01-01 00:00:05+00", "bad", "x"}, ""},
		{"SELECT svc, status FROM rp ORDER BY ts, svc", nil, ""},
	}
	for _, c := range cases {
		want := returningRun(t, pconn, c.sql, c.args, c.tx)
		got := returningRun(t, oconn, c.sql, c.args, c.tx)
		t.Logf("%s: %s", c.sql, got)
		if got != want {
			t.Errorf("%s %v (%s):\n got %s\nwant %s", c.sql, c.args, c.tx, got, want)
		}
	}
}

// returningRun prepares sql, describes it, runs it with args (in a block
// ended as tx says when tx is set) and renders all of it as text.
func returningRun(t *testing.T, c *pgx.Conn, sql string, args []any, tx string) string {
	t.Helper()
	ctx := t.Context()
	sd, err := c.Prepare(ctx, "", sql)
	if err != nil {
		return limitParamsErr(t, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "params %v fields", sd.ParamOIDs)
	for _, f := range sd.Fields {
		fmt.Fprintf(&b, " %s:%d", f.Name, f.DataTypeOID)
	}
	if tx != "" {
		mustExecConn(t, c, "BEGIN")
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		if tx != "" {
			mustExecConn(t, c, "ROLLBACK")
		}
		return b.String() + " " + limitParamsErr(t, err)
	}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, " row %v", vals)
	}
	if err := rows.Err(); err != nil {
		if tx != "" {
			mustExecConn(t, c, "ROLLBACK")
		}
		return b.String() + " " + limitParamsErr(t, err)
	}
	fmt.Fprintf(&b, " tag %q", rows.CommandTag().String())
	if tx != "" {
		mustExecConn(t, c, strings.ToUpper(tx))
		var n int64
		if err := c.QueryRow(ctx, "SELECT count(*) FROM rp WHERE svc = $1", args[1]).Scan(&n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, " after %s: %d", tx, n)
	}
	return b.String()
}
