package sqltests

import (
	"strconv"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestFuncsParams runs the operators and functions of funcs.slt with
// parameters of the extended protocol (pgx prepares, reads the inferred
// parameter types and binds values of them) against PostgreSQL 15 and
// OpenWit, and wants the same rows (or SQLSTATE) and parameter types.
// Integer parameters once bound as 1-byte integers, which are booleans
// here: $1::int bound to 2 read 1.
func TestFuncsParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "funcs_params"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE fp (id int4, a int2, c int8)")
		mustExecConn(t, c, "INSERT INTO fp VALUES (1, 1, 100), (2, 2, 200), (3, NULL, NULL)")
	}
	cases := []struct {
		sql  string
		args []any
	}{
		{"SELECT $1::int, $2::int8, $3::int2", []any{2, 3, 4}},
		{"SELECT $1::int + 1, $1::int & 7", []any{2}},
		{"SELECT 1 << $1, $1 # 5, ~$1::int8", []any{2}},
		{"SELECT id, a << $1, c # $2 FROM fp ORDER BY id", []any{3, 255}},
		{"SELECT id FROM fp WHERE c & $1 = $1 ORDER BY id", []any{64}},
		{"SELECT array_position(ARRAY[1, 2], $1), array_positions(ARRAY[2, 1, 2], $1)", []any{2}},
		{"SELECT ARRAY[1, 2] @> $1, $1 <@ ARRAY[1, 2, 3], ARRAY[5] && $1", []any{[]int32{2, 1}}},
		{"SELECT array_append(ARRAY[1], $1), array_cat(ARRAY[1], $2), trim_array(ARRAY[1, 2, 3], $3)", []any{7, []int32{8, 9}, 2}},
		{"SELECT array_fill($1::int, ARRAY[$2])", []any{5, 3}},
		{"SELECT factorial($1), num_nulls($1, NULL)", []any{6}},
		{"SELECT factorial($1)", []any{-1}},
		{"SELECT setseed($1)", []any{0.25}},
		{"SELECT sha256($1)", []any{[]byte("abc")}},
		{"SELECT sum(id) OVER (ORDER BY a GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM fp WHERE id <= $1 ORDER BY id", []any{3}},
	}
	for _, c := range cases {
		want := limitParamsRun(t, pconn, c.sql, c.args) + " " + paramTypes(t, pconn, c.sql)
		got := limitParamsRun(t, oconn, c.sql, c.args) + " " + paramTypes(t, oconn, c.sql)
		if got != want {
			t.Errorf("%s %v:\n got %s\nwant %s", c.sql, c.args, got, want)
		}
	}
}

// paramTypes renders the parameter type OIDs the server infers for sql.
func paramTypes(t *testing.T, c *pgx.Conn, sql string) string {
	t.Helper()
	sd, err := c.Prepare(t.Context(), "", sql)
	if err != nil {
		return "prepare: " + limitParamsErr(t, err)
	}
	out := "params"
	for _, oid := range sd.ParamOIDs {
		out += " " + strconv.FormatUint(uint64(oid), 10)
	}
	return out
}
