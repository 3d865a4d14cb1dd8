package sqltests

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// arrayRow is one row of the array table of TestArrayColumnsMatchPostgres,
// as pgx reads and writes it.
type arrayRow struct {
	Name  string
	Tags  []*string
	Codes []*int32
	IDs   []int64
	Ws    []float64
	Flags []bool
}

func strp(s string) *string { return &s }
func i32p(i int32) *int32   { return &i }

const arrayTableSQL = `CREATE TABLE arr (ts timestamptz NOT NULL, name text, tags text[], codes int4[], ids int8[], ws float8[], flags bool[])`

// TestArrayColumnsMatchPostgres writes array columns with pgx parameters
// (binary array input) into PostgreSQL 15 and OpenWit, reads them back in
// the binary and the text result formats, from the ingest buffers and
// after a flush to Parquet (vectorized), and compares: the values pgx
// decodes, the result column type OIDs, and the bytes of COPY TO binary,
// which hold the element OIDs. PostgreSQL's COPY binary output is then
// copied into OpenWit (COPY FROM binary) and read back.
func TestArrayColumnsMatchPostgres(t *testing.T) {
	ctx := t.Context()
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "arraycols"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1ms"}})
	oconn := testserver.Connect(t, srv.DSN())
	conns := map[string]*pgx.Conn{"postgres": pconn, "openwit": oconn}

	rows := []arrayRow{
		{Name: "a", Tags: []*string{strp("api"), strp("us east"), nil, strp(""), strp("NULL"), strp(`q"t,{b}\`)},
			Codes: []*int32{i32p(200), nil, i32p(-404)}, IDs: []int64{1, 9007199254740993, -9223372036854775808},
			Ws: []float64{1.5, 0.1, 1e300}, Flags: []bool{true, false}},
		{Name: "b", Tags: []*string{}, Codes: []*int32{}, IDs: []int64{}, Ws: []float64{}, Flags: []bool{}},
		{Name: "c"},
	}
	for name, c := range conns {
		mustExecConn(t, c, "SET TimeZone = 'UTC'")
		mustExecConn(t, c, arrayTableSQL)
		for i, r := range rows {
			// Extended protocol: pgx sends the arrays in binary format.
			if _, err := c.Exec(ctx, `INSERT INTO arr VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				fmt.Sprintf("2024-05-01 10:00:0%d+00", i), r.Name, nilIfNil(r.Tags), nilIfNil(r.Codes), nilIfNil(r.IDs), nilIfNil(r.Ws), nilIfNil(r.Flags)); err != nil {
				t.Fatalf("%s: insert %s: %v", name, r.Name, err)
			}
		}
	}

	read := func(name string, mode pgx.QueryExecMode) ([]arrayRow, []uint32) {
		t.Helper()
		res, err := conns[name].Query(ctx, `SELECT name, tags, codes, ids, ws, flags FROM arr WHERE ts >= '2024-05-01' ORDER BY ts`, mode)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var oids []uint32
		for _, fd := range res.FieldDescriptions() {
			oids = append(oids, fd.DataTypeOID)
		}
		out, err := pgx.CollectRows(res, pgx.RowToStructByPos[arrayRow])
		if err != nil {
			t.Fatalf("%s (mode %v): %v", name, mode, err)
		}
		return out, oids
	}
	check := func(stage string) {
		t.Helper()
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
			want, woids := read("postgres", mode)
			got, goids := read("openwit", mode)
			if !reflect.DeepEqual(want, rows) {
				t.Fatalf("postgres read back %+v, wrote %+v", want, rows)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, mode %v: openwit read %+v, postgres %+v", stage, mode, got, want)
			}
			if !reflect.DeepEqual(goids, woids) {
				t.Errorf("%s: result type OIDs: openwit %v, postgres %v", stage, goids, woids)
			}
		}
		want, got := copyOut(t, pconn, "arr"), copyOut(t, oconn, "arr")
		if !bytes.Equal(got, want) {
			t.Errorf("%s: COPY TO binary differs:\nopenwit  %q\npostgres %q", stage, got, want)
		}
	}
	check("buffered")
	waitFlushed(t, oconn, "arr")
	check("parquet")

	// COPY FROM binary: PostgreSQL's bytes into OpenWit.
	bin := copyOut(t, pconn, "arr")
	mustExecConn(t, oconn, `CREATE TABLE arr_in (ts timestamptz NOT NULL, name text, tags text[], codes int4[], ids int8[], ws float8[], flags bool[])`)
	tag, err := oconn.PgConn().CopyFrom(ctx, bytes.NewReader(bin), "COPY arr_in FROM STDIN (FORMAT binary)")
	if err != nil || tag.RowsAffected() != int64(len(rows)) {
		t.Fatalf("COPY FROM binary: %v, %v", tag, err)
	}
	if got := copyOut(t, oconn, "arr_in"); !bytes.Equal(got, bin) {
		t.Errorf("COPY binary round trip differs:\ngot  %q\nwant %q", got, bin)
	}
}

// nilIfNil passes a nil slice as SQL NULL (pgx would write an empty array
// for a typed nil slice of some types).
func nilIfNil[T any](s []T) any {
	if s == nil {
		return nil
	}
	return s
}

func copyOut(t *testing.T, c *pgx.Conn, table string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.PgConn().CopyTo(t.Context(), &buf, "COPY (SELECT * FROM "+table+" ORDER BY ts) TO STDOUT (FORMAT binary)"); err != nil {
		t.Fatalf("COPY %s TO binary: %v", table, err)
	}
	return buf.Bytes()
}
