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

// TestFunctionErrors calls functions that do not exist, or exist for
// other argument types, on PostgreSQL 15 and OpenWit and wants the same
// error: SQLSTATE 42883, the message with the arguments' types (an untyped
// string literal is "unknown"), the hint and the cursor position psql
// prints under the query.
func TestFunctionErrors(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "function_errors"))
	srv := testserver.Start(t, testserver.Options{})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE fe (ts timestamptz NOT NULL, n int, s text)")
	}
	for _, q := range []string{
		"SELECT nosuchfn('a', 1)",
		"SELECT nosuchfn()",
		"SELECT 1, nosuchfn(1.5, now(), NULL)",
		"SELECT n FROM fe WHERE nosuchfn(n, s) > 0",
		"SELECT count(*) FROM fe GROUP BY nosuchfn(ts)",
		"SELECT 'é', nosuchfn(true)",
		// Functions that exist for other types: OpenWit gives no
		// position (the call's expression must stay equal to the same
		// call elsewhere in the query, GROUP BY upper(x) and so on).
		"SELECT upper(1)",
		"SELECT lower(n) FROM fe",
	} {
		want := functionError(t, pconn, q)
		got := functionError(t, oconn, q)
		if strings.HasPrefix(q, "SELECT upper") || strings.HasPrefix(q, "SELECT lower") {
			want = want[:strings.LastIndex(want, " position=")]
			got = got[:strings.LastIndex(got, " position=")]
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
}

func functionError(t *testing.T, c *pgx.Conn, q string) string {
	t.Helper()
	_, err := c.Exec(t.Context(), q)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return fmt.Sprintf("no server error (%v)", err)
	}
	return fmt.Sprintf("%s %q hint=%q position=%d", pe.Code, pe.Message, pe.Hint, pe.Position)
}
