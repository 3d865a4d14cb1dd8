package sqltests

import (
	"strings"
	"testing"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestXid8OperatorErrors compares xid8 with other types on PostgreSQL 15
// and OpenWit and wants the same error: 42883 "operator does not exist:
// xid8 > integer" with PostgreSQL's hint (PostgreSQL also gives the
// operator's position, which OpenWit does not).
func TestXid8OperatorErrors(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "xid8_errors"))
	srv := testserver.Start(t, testserver.Options{})
	oconn := testserver.Connect(t, srv.DSN())
	for _, q := range []string{
		"SELECT pg_current_xact_id() > 0",
		"SELECT pg_current_xact_id() = 1::bigint",
		"SELECT 5 <> pg_current_xact_id()",
		"SELECT 2.5 <= pg_current_xact_id()",
	} {
		want := functionError(t, pconn, q)
		got := functionError(t, oconn, q)
		want = want[:strings.LastIndex(want, " position=")]
		got = got[:strings.LastIndex(got, " position=")]
		if !strings.HasPrefix(want, "42883 ") {
			t.Fatalf("%s on PostgreSQL: %s, want 42883", q, want)
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
}
