package sqltests

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestJSONParams runs jsonb parameters and results over the extended
// protocol against PostgreSQL 15 and OpenWit and wants the same bytes:
// parameters sent as jsonb text and as jsonb binary (version byte 1, then
// the text), results asked for in text and in binary format, and the same
// result type OIDs (jsonb 3802, text 25, bool 16).
func TestJSONParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "json_params"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE jp (ts timestamptz NOT NULL, id int, doc jsonb)")
		mustExecConn(t, c, `INSERT INTO jp VALUES ('2024-01-01 00:00:00+00', 1, '{"a": {"b": [1, 2.50]}, "tags": ["x"]}'),
			('2024-01-01 00:00:01+00', 2, '{"a": 1, "tags": ["x", "y"]}'), ('2024-01-01 00:00:02+00', 3, '[1, 2]')`)
	}
	const jsonb = pgtype.JSONBOID
	bin := func(s string) []byte { return append([]byte{1}, s...) }
	cases := []struct {
		sql     string
		params  [][]byte
		oids    []uint32
		formats []int16
	}{
		{"SELECT $1::jsonb", [][]byte{[]byte(`{"b": 1, "a": [1, 2.50]}`)}, []uint32{jsonb}, []int16{0}},
		{"SELECT $1::jsonb", [][]byte{bin(`{"b": 1, "a": [1, 2.50]}`)}, []uint32{jsonb}, []int16{1}},
		{"SELECT $1::jsonb -> 'a', $1::jsonb ->> 'b'", [][]byte{bin(`{"b": "x", "a": [1e2]}`)}, []uint32{jsonb}, []int16{1}},
		{"SELECT id FROM jp WHERE doc @> $1 ORDER BY id", [][]byte{[]byte(`{"tags": ["x"]}`)}, []uint32{jsonb}, []int16{0}},
		{"SELECT id FROM jp WHERE doc @> $1 ORDER BY id", [][]byte{bin(`{"a": 1}`)}, []uint32{jsonb}, []int16{1}},
		{"SELECT id, doc -> $1 FROM jp ORDER BY id", [][]byte{[]byte("a")}, []uint32{pgtype.TextOID}, []int16{0}},
		{"SELECT id, doc #>> $1 FROM jp ORDER BY id", [][]byte{[]byte("{a,b,1}")}, []uint32{pgtype.TextArrayOID}, []int16{0}},
		{"SELECT id, doc ? $1 FROM jp ORDER BY id", [][]byte{[]byte("tags")}, []uint32{pgtype.TextOID}, []int16{0}},
		{"SELECT doc || $1 FROM jp WHERE id = 2", [][]byte{bin(`{"z": null}`)}, []uint32{jsonb}, []int16{1}},
		{"SELECT jsonb_build_object('k', $1::text, 'v', $2::text)", [][]byte{[]byte("7"), []byte("é")}, []uint32{pgtype.TextOID, pgtype.TextOID}, []int16{0, 0}},
		{"SELECT $1::jsonb", [][]byte{[]byte(`{"a":`)}, []uint32{jsonb}, []int16{0}},
	}
	for _, c := range cases {
		for _, resultFormat := range []int16{0, 1} {
			want := jsonParamsRun(t, pconn, c.sql, c.params, c.oids, c.formats, resultFormat)
			got := jsonParamsRun(t, oconn, c.sql, c.params, c.oids, c.formats, resultFormat)
			if got != want {
				t.Errorf("%s %q (result format %d):\n got %s\nwant %s", c.sql, c.params, resultFormat, got, want)
			}
		}
	}

	// pgx's own encoding: a Go map as a jsonb parameter, a jsonb result
	// scanned into a map and into a string.
	for _, c := range []*pgx.Conn{pconn, oconn} {
		var m map[string]any
		var s string
		err := c.QueryRow(t.Context(), "SELECT $1::jsonb || '{\"n\": 2}', ($1::jsonb -> 'k')::text", map[string]any{"k": []any{"v", 1.5}}).Scan(&m, &s)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(m) != "map[k:[v 1.5] n:2]" || s != `["v", 1.5]` {
			t.Errorf("pgx map round trip: got %v and %q", m, s)
		}
	}
}

// jsonParamsRun renders the result type OIDs and raw values of sql (or its
// SQLSTATE).
func jsonParamsRun(t *testing.T, c *pgx.Conn, sql string, params [][]byte, oids []uint32, formats []int16, resultFormat int16) string {
	t.Helper()
	res := c.PgConn().ExecParams(t.Context(), sql, params, oids, formats, []int16{resultFormat}).Read()
	if res.Err != nil {
		var pe *pgconn.PgError
		if !errors.As(res.Err, &pe) {
			t.Fatalf("%s: not a server error: %v", sql, res.Err)
		}
		return "error " + pe.Code
	}
	out := "types"
	for _, f := range res.FieldDescriptions {
		out += fmt.Sprintf(" %d/%d", f.DataTypeOID, f.Format)
	}
	for _, row := range res.Rows {
		out += " |"
		for _, v := range row {
			out += fmt.Sprintf(" %q", v)
		}
	}
	return out
}
