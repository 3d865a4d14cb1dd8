package sqltests

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// Array columns of docs/design/083: numeric, numeric(p,s), timestamptz,
// timestamp, date, varchar(n) and bool elements.
const arrayTypesTableSQL = `CREATE TABLE at (ts timestamptz NOT NULL, name text, bounds numeric[], cents numeric(10,2)[],
	events timestamptz[], local timestamp[], days date[], tags varchar(8)[], flags bool[])`

// arrayTypesRows are written with SQL literals (every input form: '{...}',
// ARRAY[...], casts, NULL elements, a NULL array) and with pgx parameters
// (binary array input). Unconstrained numeric elements have no trailing
// fractional zeros: OpenWit stores them at a fixed scale (design 083).
var arrayTypesRows = []string{
	`('2024-05-01 10:00:00+00', 'lit', '{0.005,0.5,1,2.5,NULL,-10}', '{1.005,2.5,-3,NULL}',
		'{"2024-05-01 10:00:00+00","2024-05-01 12:00:00.5+02",NULL,infinity}', '{"2024-05-01 10:00:00.123456",NULL}',
		'{2024-05-01,NULL,2024-02-29}', '{api,"us east",NULL,""}', '{t,NULL,f}')`,
	`('2024-05-01 10:00:01+00', 'array', ARRAY[1.25, 100], ARRAY[99999999.994], ARRAY[timestamptz '2024-05-01 00:00:00-07'],
		ARRAY[timestamp '1999-12-31 23:59:59.999999'], ARRAY[date '2000-01-01'], ARRAY['abcdefgh   ']::varchar[], ARRAY[true])`,
	`('2024-05-01 10:00:02+00', 'empty', '{}', '{}', '{}', '{}', '{}', '{}', '{}')`,
	`('2024-05-01 10:00:03+00', 'null', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
}

// arrayTypesRead reads the table in the given mode into strings: each
// array as pgx decodes it ([]pgtype.Numeric, []pgtype.Timestamptz, ...),
// formatted element by element, so the two servers' answers compare.
func arrayTypesRead(t *testing.T, c *pgx.Conn, mode pgx.QueryExecMode) ([]string, []uint32) {
	t.Helper()
	res, err := c.Query(t.Context(), `SELECT name, bounds, cents, events, local, days, tags, flags FROM at ORDER BY ts`, mode)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var oids []uint32
	for _, fd := range res.FieldDescriptions() {
		oids = append(oids, fd.DataTypeOID)
	}
	var out []string
	for res.Next() {
		var (
			name   string
			bounds []pgtype.Numeric
			cents  []pgtype.Numeric
			events []pgtype.Timestamptz
			local  []pgtype.Timestamp
			days   []pgtype.Date
			tags   []pgtype.Text
			flags  []pgtype.Bool
		)
		if err := res.Scan(&name, &bounds, &cents, &events, &local, &days, &tags, &flags); err != nil {
			t.Fatalf("scan (mode %v): %v", mode, err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s nil=%v%v%v%v%v%v%v", name, bounds == nil, cents == nil, events == nil, local == nil, days == nil, tags == nil, flags == nil)
		for _, n := range append(bounds, cents...) {
			v, err := n.Value()
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, " n:%v", v)
		}
		for _, e := range events {
			fmt.Fprintf(&b, " tz:%v/%d/%s", e.Valid, e.InfinityModifier, e.Time.UTC().Format(time.RFC3339Nano))
		}
		for _, e := range local {
			fmt.Fprintf(&b, " ts:%v/%d/%s", e.Valid, e.InfinityModifier, e.Time.Format(time.RFC3339Nano))
		}
		for _, d := range days {
			fmt.Fprintf(&b, " d:%v/%s", d.Valid, d.Time.Format(time.DateOnly))
		}
		for _, s := range tags {
			fmt.Fprintf(&b, " s:%v/%q", s.Valid, s.String)
		}
		for _, f := range flags {
			fmt.Fprintf(&b, " b:%v/%v", f.Valid, f.Bool)
		}
		out = append(out, b.String())
	}
	if err := res.Err(); err != nil {
		t.Fatalf("mode %v: %v", mode, err)
	}
	return out, oids
}

// arrayTypesText reads the text forms (simple protocol), which depend on
// the session's TimeZone for timestamptz elements.
func arrayTypesText(t *testing.T, c *pgx.Conn) [][]any {
	t.Helper()
	res, err := c.Query(t.Context(), `SELECT name, bounds::text, cents::text, events::text, local::text, days::text, tags::text, flags::text FROM at ORDER BY ts`, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := pgx.CollectRows(res, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestArrayTypesMatchPostgres writes the array columns of design 083 into
// PostgreSQL 15 and OpenWit with SQL literals and with pgx's binary array
// parameters, reads them back in the binary and the text result formats
// (from the ingest buffers, after a flush to Parquet, and after a restart),
// and compares the values pgx decodes, the text forms in two time zones,
// the result type OIDs (1231, 1185, 1115, 1182, 1015, 1000) and the bytes
// of COPY TO binary and text. PostgreSQL's COPY binary and csv output is
// then copied into OpenWit (COPY FROM) and read back.
func TestArrayTypesMatchPostgres(t *testing.T) {
	ctx := t.Context()
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "arraytypes"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1ms"}})
	oconn := testserver.Connect(t, srv.DSN())
	conns := map[string]*pgx.Conn{"postgres": pconn, "openwit": oconn}

	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	n := func(s string) pgtype.Numeric {
		var x pgtype.Numeric
		if err := x.Scan(s); err != nil {
			t.Fatal(err)
		}
		return x
	}
	for name, c := range conns {
		mustExecConn(t, c, "SET TimeZone = 'UTC'")
		mustExecConn(t, c, arrayTypesTableSQL)
		for _, r := range arrayTypesRows {
			mustExecConn(t, c, "INSERT INTO at VALUES "+r)
		}
		// Extended protocol: pgx sends the arrays in binary format.
		if _, err := c.Exec(ctx, `INSERT INTO at VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			"2024-05-01 10:00:04+00", "params",
			[]pgtype.Numeric{n("3.25"), {}, n("-0.001")}, []pgtype.Numeric{n("12.345"), n("-0.004")},
			[]time.Time{time.Date(2024, 5, 1, 6, 0, 0, 0, ny), time.Date(2024, 5, 1, 10, 0, 0, 1000, time.UTC)},
			[]pgtype.Timestamp{{Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), Valid: true}, {}},
			[]pgtype.Date{{Time: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC), Valid: true}},
			[]string{"web", "abc   "}, []bool{false, true}); err != nil {
			t.Fatalf("%s: insert with parameters: %v", name, err)
		}
		// A too long varchar(8) element is 22001 with either input.
		for _, args := range [][]any{{"{abcdefghi}"}, {[]string{"ok", "abcdefghi"}}} {
			_, err := c.Exec(ctx, `INSERT INTO at (ts, name, tags) VALUES ('2024-05-01 11:00:00+00', 'long', $1)`, args...)
			if code := sqlState(err); code != "22001" {
				t.Errorf("%s: too long element %v: %v, want 22001", name, args, err)
			}
		}
	}

	check := func(stage string) {
		t.Helper()
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeSimpleProtocol} {
			want, woids := arrayTypesRead(t, pconn, mode)
			got, goids := arrayTypesRead(t, oconn, mode)
			if len(want) != 5 {
				t.Fatalf("postgres read %d rows, want 5", len(want))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s, mode %v: openwit read\n%s\npostgres\n%s", stage, mode, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if wantOIDs := []uint32{25, 1231, 1231, 1185, 1115, 1182, 1015, 1000}; !reflect.DeepEqual(woids, wantOIDs) {
				t.Fatalf("postgres result types %v, want %v", woids, wantOIDs)
			}
			if !reflect.DeepEqual(goids, woids) {
				t.Errorf("%s: result type OIDs: openwit %v, postgres %v", stage, goids, woids)
			}
		}
		for _, tz := range []string{"America/New_York", "Asia/Kolkata", "UTC"} {
			mustExecConn(t, pconn, "SET TimeZone = '"+tz+"'")
			mustExecConn(t, oconn, "SET TimeZone = '"+tz+"'")
			if want, got := arrayTypesText(t, pconn), arrayTypesText(t, oconn); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, TimeZone %s: text forms: openwit\n%v\npostgres\n%v", stage, tz, got, want)
			}
			for _, format := range []string{"binary", "text", "csv"} {
				want, got := copyOutFormat(t, pconn, "at", format), copyOutFormat(t, oconn, "at", format)
				if !bytes.Equal(got, want) {
					t.Errorf("%s, TimeZone %s: COPY TO %s differs:\nopenwit  %q\npostgres %q", stage, tz, format, got, want)
				}
			}
		}
	}
	check("buffered")
	waitFlushed(t, oconn, "at")
	check("parquet")
	oconn.Close(ctx)
	srv.Stop()
	srv.Restart()
	oconn = testserver.Connect(t, srv.DSN())
	conns["openwit"] = oconn
	mustExecConn(t, oconn, "SET TimeZone = 'UTC'")
	check("restarted")

	// COPY FROM: PostgreSQL's bytes into OpenWit, read back the same.
	for _, format := range []string{"binary", "text", "csv"} {
		mustExecConn(t, pconn, "SET TimeZone = 'America/New_York'")
		mustExecConn(t, oconn, "SET TimeZone = 'America/New_York'")
		data := copyOutFormat(t, pconn, "at", format)
		table := "at_" + format
		mustExecConn(t, oconn, strings.Replace(arrayTypesTableSQL, "TABLE at", "TABLE "+table, 1))
		tag, err := oconn.PgConn().CopyFrom(ctx, bytes.NewReader(data), "COPY "+table+" FROM STDIN (FORMAT "+format+")")
		if err != nil || tag.RowsAffected() != 5 {
			t.Fatalf("COPY FROM %s: %v, %v", format, tag, err)
		}
		if got := copyOutFormat(t, oconn, table, format); !bytes.Equal(got, data) {
			t.Errorf("COPY %s round trip differs:\ngot  %q\nwant %q", format, got, data)
		}
	}

	// COPY FROM text reads zoneless timestamptz elements in the session's
	// TimeZone, checks every element (22001 rejects the COPY), and stores
	// what PostgreSQL stores.
	for name, c := range conns {
		mustExecConn(t, c, "SET TimeZone = 'America/New_York'")
		mustExecConn(t, c, strings.Replace(arrayTypesTableSQL, "TABLE at", "TABLE at_zone", 1))
		in := "2024-05-01 10:00:00+00\tzone\t{1.5}\t{2.345}\t{\"2024-05-01 10:00:00\",2024-05-02}\t{\"2024-05-01 10:00:00+05\"}\t{2024-05-01}\t{\"a  b   \"}\t{t}\n"
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(in), "COPY at_zone FROM STDIN"); err != nil {
			t.Fatalf("%s: COPY FROM text: %v", name, err)
		}
		bad := "2024-05-01 10:00:01+00\tlong\t{}\t{}\t{}\t{}\t{}\t{ok,abcdefghi}\t{}\n"
		if _, err := c.PgConn().CopyFrom(ctx, strings.NewReader(bad), "COPY at_zone FROM STDIN"); sqlState(err) != "22001" {
			t.Errorf("%s: COPY of a too long element: %v, want 22001", name, err)
		}
		mustExecConn(t, c, "SET TimeZone = 'UTC'")
	}
	if want, got := copyOutFormat(t, pconn, "at_zone", "text"), copyOutFormat(t, oconn, "at_zone", "text"); !bytes.Equal(got, want) {
		t.Errorf("COPY FROM text with zoneless elements: openwit %q, postgres %q", got, want)
	}
}

func copyOutFormat(t *testing.T, c *pgx.Conn, table, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := c.PgConn().CopyTo(t.Context(), &buf, "COPY (SELECT * FROM "+table+" ORDER BY ts) TO STDOUT (FORMAT "+format+")"); err != nil {
		t.Fatalf("COPY %s TO %s: %v", table, format, err)
	}
	return buf.Bytes()
}
