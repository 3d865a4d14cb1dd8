package sqltests

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestAnyCharParams compares char(n), varchar and text columns with
// arrays bound as extended-protocol parameters (pgx prepares, reads the
// inferred parameter types and binds values of them) on PostgreSQL 15 and
// OpenWit: the element type decides whose trailing blanks count
// (design 093), and the inferred parameter types agree.
func TestAnyCharParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "any_char_params"))
	srv := testserver.Start(t, testserver.Options{})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE acp (id int4, c char(3), v varchar(5), t text)")
		mustExecConn(t, c, "INSERT INTO acp VALUES (1, 'b', 'b', 'b'), (2, 'ab', 'ab', 'ab'), (3, 'b', 'b ', 'b '), (4, NULL, NULL, NULL)")
	}
	arr := []string{"b ", "ab"}
	for _, q := range []string{
		"SELECT id FROM acp WHERE c = ANY($1) ORDER BY id",
		"SELECT id FROM acp WHERE c = ANY($1::text[]) ORDER BY id",
		"SELECT id FROM acp WHERE c <> ALL($1::text[]) ORDER BY id",
		"SELECT id FROM acp WHERE c < ANY($1::text[]) ORDER BY id",
		"SELECT id FROM acp WHERE c = ANY($1::bpchar[]) ORDER BY id",
		"SELECT id FROM acp WHERE v = ANY($1) ORDER BY id",
		"SELECT id FROM acp WHERE v = ANY($1::bpchar[]) ORDER BY id",
		"SELECT id FROM acp WHERE t = ANY($1) ORDER BY id",
		"SELECT id FROM acp WHERE t = ANY($1::bpchar[]) ORDER BY id",
	} {
		want := limitParamsRun(t, pconn, q, []any{arr})
		got := limitParamsRun(t, oconn, q, []any{arr})
		if q != "SELECT id FROM acp WHERE v = ANY($1) ORDER BY id" {
			// There PostgreSQL infers text[] (varchar has text's
			// operators), OpenWit varchar[]: the rows agree.
			want += " " + paramTypes(t, pconn, q)
			got += " " + paramTypes(t, oconn, q)
		}
		if got != want {
			t.Errorf("%s:\n got %s\nwant %s", q, got, want)
		}
	}
}
