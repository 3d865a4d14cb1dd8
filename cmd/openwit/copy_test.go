package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// wantPgError checks err's SQLSTATE and that its message (and CONTEXT line,
// when want.where is set) contain the expected text.
func wantPgError(tb testing.TB, err error, code, msg, where string) {
	tb.Helper()
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		tb.Fatalf("got %v, want a PostgreSQL error %s", err, code)
	}
	if pe.Code != code || !strings.Contains(pe.Message, msg) || !strings.Contains(pe.Where, where) {
		tb.Fatalf("got %s %q (context %q), want %s containing %q (context containing %q)", pe.Code, pe.Message, pe.Where, code, msg, where)
	}
}

func count(tb testing.TB, conn *pgx.Conn, table string) int64 {
	tb.Helper()
	var n int64
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestCopyPsql(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "in.csv")
	csv := "ts,host,status,msg\n" +
		"2024-05-01 10:00:00+00,web-1,200,\"hello, world\"\n" +
		"2024-05-01 10:00:01+02,web-2,,\"two\nlines\"\n" +
		"2024-05-01T10:00:02Z,,500,\"\"\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "script.sql")
	sql := "CREATE TABLE logs (ts timestamptz NOT NULL, host text, status int4, msg text) WITH (time_column = 'ts');\n" +
		"\\copy logs from '" + csvPath + "' csv header\n" +
		"COPY logs (ts, host, msg) FROM STDIN;\n" +
		"2024-05-02 00:00:00+00\tdb-1\ttab\\there\n" +
		"2024-05-02 00:00:01+00\t\\N\tback\\\\slash\n" +
		"\\.\n" +
		"SELECT count(*), count(host), count(status), count(msg) FROM logs;\n" +
		"\\copy (SELECT host, status, msg FROM logs ORDER BY ts) to stdout\n" +
		"\\copy (SELECT host, msg FROM logs ORDER BY ts) to stdout with (format csv, header)\n"
	if err := os.WriteFile(script, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := runPsql(t, s, "-v", "ON_ERROR_STOP=1", "-f", script)
	if code != 0 {
		t.Fatalf("psql exit %d: %s", code, stderr)
	}
	want := "CREATE TABLE\nCOPY 3\nCOPY 2\n5|3|2|5\n" +
		"web-2\t\\N\ttwo\\nlines\n" +
		"web-1\t200\thello, world\n" +
		"\\N\t500\t\n" +
		"db-1\t\\N\ttab\\there\n" +
		"\\N\t\\N\tback\\\\slash\n" +
		"host,msg\n" +
		"web-2,\"two\nlines\"\n" +
		"web-1,\"hello, world\"\n" +
		",\"\"\n" +
		"db-1,tab\there\n" +
		",back\\slash\n"
	if out != want {
		t.Fatalf("psql output:\n%s\nwant:\n%s", out, want)
	}

	// A bad value stops the script with PostgreSQL's error and CONTEXT.
	bad := filepath.Join(dir, "bad.sql")
	if err := os.WriteFile(bad, []byte("COPY logs (ts, status) FROM STDIN;\n2024-05-03 00:00:00+00\t1\n2024-05-03 00:00:00+00\t2\n2024-05-03 00:00:00+00\tabc\n\\.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = runPsql(t, s, "-v", "ON_ERROR_STOP=1", "-f", bad)
	if code == 0 || !strings.Contains(stderr, `invalid input syntax for type integer: "abc"`) ||
		!strings.Contains(stderr, `CONTEXT:  COPY logs, line 3, column status: "abc"`) {
		t.Fatalf("bad COPY: exit %d, stderr %s", code, stderr)
	}
	out, stderr, _ = runPsql(t, s, "-c", "SELECT count(*) FROM logs")
	if out != "5\n" {
		t.Fatalf("rows after a failed COPY: %q (%s), want 5", out, stderr)
	}
}

// copyTypes is a table with every column type COPY must load.
const copyTypesDDL = `CREATE TABLE ct (ts timestamptz NOT NULL, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
	s text, b bool, d date, lt timestamp, n numeric(12,3), by bytea, j jsonb) WITH (time_column = 'ts')`

var copyTypesCols = []string{"ts", "i2", "i4", "i8", "f4", "f8", "s", "b", "d", "lt", "n", "by", "j"}

func copyTypesRow(i int) []any {
	base := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	if i%1000 == 7 {
		return []any{base.Add(time.Duration(i) * time.Second), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}
	}
	num := pgtype.Numeric{Int: big.NewInt(int64(i)*1000 + 125), Exp: -3, Valid: true}
	return []any{
		base.Add(time.Duration(i) * time.Second),
		int16(i % 30000), int32(i), int64(i) * 1_000_000_007,
		float32(i) / 4, float64(i) / 8,
		fmt.Sprintf("row %d\t\"q\"\n", i),
		i%2 == 0,
		base.AddDate(0, 0, i%400),
		base.Add(time.Duration(i) * time.Millisecond),
		num,
		[]byte{byte(i), 0, 0xff},
		map[string]any{"k": i},
	}
}

func TestCopyPgx(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	conn := testserver.Connect(t, s.DSN())
	ctx := t.Context()
	mustExec(t, conn, copyTypesDDL)

	t.Run("CopyFrom binary 100k", func(t *testing.T) {
		const n = 100_000
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			return copyTypesRow(i - 1), nil
		})
		got, err := conn.CopyFrom(ctx, pgx.Identifier{"ct"}, copyTypesCols, src)
		if err != nil {
			t.Fatalf("CopyFrom: %v", err)
		}
		if got != n {
			t.Fatalf("CopyFrom copied %d rows, want %d", got, n)
		}
		if c := count(t, conn, "ct"); c != n {
			t.Fatalf("count(*) = %d, want %d", c, n)
		}
		var nulls int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM ct WHERE i4 IS NULL").Scan(&nulls); err != nil {
			t.Fatal(err)
		}
		if nulls != n/1000 {
			t.Fatalf("rows with NULLs: %d, want %d", nulls, n/1000)
		}
		for _, k := range []int{0, 1, 4242, 99_999} {
			want := copyTypesRow(k)
			var (
				ts, lt time.Time
				d      time.Time
				i2     int16
				i4     int32
				i8     int64
				f4     float32
				f8     float64
				str    string
				b      bool
				num    string
				by     []byte
				j      string
			)
			err := conn.QueryRow(ctx, "SELECT ts, i2, i4, i8, f4, f8, s, b, d, lt, n::text, by, j::text FROM ct WHERE i4 = $1", k).
				Scan(&ts, &i2, &i4, &i8, &f4, &f8, &str, &b, &d, &lt, &num, &by, &j)
			if err != nil {
				t.Fatalf("row %d: %v", k, err)
			}
			wantNum := fmt.Sprintf("%d.125", k)
			if !ts.Equal(want[0].(time.Time)) || i2 != want[1] || i4 != want[2] || i8 != want[3] || f4 != want[4] || f8 != want[5] ||
				str != want[6] || b != want[7] || !d.Equal(want[8].(time.Time)) || !lt.Equal(want[9].(time.Time)) || num != wantNum ||
				!bytes.Equal(by, want[11].([]byte)) || j != fmt.Sprintf(`{"k": %d}`, k) {
				t.Fatalf("row %d: got %v %v %v %v %v %v %q %v %v %v %v %x %v, want %v (numeric %s)", k, ts, i2, i4, i8, f4, f8, str, b, d, lt, num, by, j, want, wantNum)
			}
		}
	})

	t.Run("PgConn text and csv", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE pc (ts timestamptz NOT NULL, v int8, s text) WITH (time_column = 'ts')")
		text := "2024-01-01 00:00:00+00\t1\tone\n2024-01-01 00:00:01+00\t\\N\t\\N\n"
		tag, err := conn.PgConn().CopyFrom(ctx, strings.NewReader(text), "COPY pc FROM STDIN")
		if err != nil || tag.String() != "COPY 2" {
			t.Fatalf("text COPY: %v %v", tag, err)
		}
		csvIn := "ts;v;s\n2024-01-01 00:00:02+00;3;'a;b'\n2024-01-01 00:00:03+00;4;''\n2024-01-01 00:00:04+00;5;\n"
		tag, err = conn.PgConn().CopyFrom(ctx, strings.NewReader(csvIn), "COPY pc (ts, v, s) FROM STDIN WITH (FORMAT csv, HEADER match, DELIMITER ';', QUOTE '''')")
		if err != nil || tag.String() != "COPY 3" {
			t.Fatalf("csv COPY: %v %v", tag, err)
		}
		for _, tt := range []struct{ sql, want string }{
			{"COPY (SELECT v, s FROM pc ORDER BY ts) TO STDOUT", "1\tone\n\\N\t\\N\n3\ta;b\n4\t\n5\t\\N\n"},
			{"COPY (SELECT v, s FROM pc ORDER BY ts) TO STDOUT WITH (FORMAT csv, HEADER)", "v,s\n1,one\n,\n3,a;b\n4,\"\"\n5,\n"},
			{"COPY pc (v) TO STDOUT (DELIMITER '|')", ""}, // order-independent: checked by length below
		} {
			var out bytes.Buffer
			tag, err := conn.PgConn().CopyTo(ctx, &out, tt.sql)
			if err != nil || tag.String() != "COPY 5" {
				t.Fatalf("%s: %v %v", tt.sql, tag, err)
			}
			if tt.want != "" && out.String() != tt.want {
				t.Fatalf("%s:\n%q\nwant\n%q", tt.sql, out.String(), tt.want)
			}
			if tt.want == "" && strings.Count(out.String(), "\n") != 5 {
				t.Fatalf("%s: %q", tt.sql, out.String())
			}
		}
		// Binary COPY TO reads back with the binary format's framing.
		var out bytes.Buffer
		if _, err := conn.PgConn().CopyTo(ctx, &out, "COPY (SELECT v FROM pc WHERE v = 3) TO STDOUT (FORMAT binary)"); err != nil {
			t.Fatal(err)
		}
		want := append([]byte("PGCOPY\n\xff\r\n\x00"), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff)
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("binary COPY TO: %x, want %x", out.Bytes(), want)
		}
	})

	t.Run("errors keep the connection", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE pe (ts timestamptz NOT NULL, v int4, s text) WITH (time_column = 'ts')")
		pc := conn.PgConn()
		copyIn := func(sql, data string) error {
			_, err := pc.CopyFrom(ctx, strings.NewReader(data), sql)
			return err
		}
		good := "2024-01-01 00:00:00+00\t1\ta\n2024-01-01 00:00:01+00\t2\tb\n"
		tests := []struct {
			name, sql, data     string
			code, msg, whereHas string
		}{
			{"bad value at line 3", "COPY pe FROM STDIN", good + "2024-01-01 00:00:02+00\tx3\tc\n" + good,
				"22P02", `invalid input syntax for type integer: "x3"`, `COPY pe, line 3, column v: "x3"`},
			{"bad timestamp", "COPY pe FROM STDIN", "yesterday-ish\t1\ta\n", "22007", "timestamp", "COPY pe, line 1, column ts"},
			{"extra column", "COPY pe FROM STDIN", good + "2024-01-01 00:00:02+00\t3\tc\tdd\n",
				"22P04", "extra data after last expected column", "COPY pe, line 3"},
			{"missing column", "COPY pe FROM STDIN", "2024-01-01 00:00:02+00\t3\n",
				"22P04", `missing data for column "s"`, "COPY pe, line 1"},
			{"csv unterminated quote", "COPY pe FROM STDIN (FORMAT csv)", "2024-01-01 00:00:02+00,3,\"abc\n",
				"22P04", "unterminated CSV quoted field", "COPY pe, line 1"},
			{"header mismatch", "COPY pe FROM STDIN (FORMAT csv, HEADER match)", "ts,v,x\n",
				"22P04", `column name mismatch in header line field 3: got "x", expected "s"`, "COPY pe, line 1"},
			{"null in NOT NULL", "COPY pe FROM STDIN", good + "\\N\t1\ta\n", "23502", `null value in column "ts"`, "COPY pe, line 3"},
			{"NOT NULL column not listed", "COPY pe (v) FROM STDIN", "1\n", "23502", `"ts"`, ""},
			{"unknown table", "COPY nosuch FROM STDIN", good, "42P01", `relation "nosuch" does not exist`, ""},
			{"unknown column", "COPY pe (ts, nosuch) FROM STDIN", good, "42703", `column "nosuch" of relation "pe" does not exist`, ""},
			{"bad binary signature", "COPY pe FROM STDIN (FORMAT binary)", "not a binary copy stream", "22P04", "COPY file signature not recognized", ""},
			{"server file", "COPY pe FROM '/etc/passwd'", "", "0A000", "server file", ""},
			{"quote in text mode", "COPY pe FROM STDIN (QUOTE '\"')", "", "0A000", "COPY quote available only in CSV mode", ""},
		}
		for _, tt := range tests {
			err := copyIn(tt.sql, tt.data)
			wantPgError(t, err, tt.code, tt.msg, tt.whereHas)
			if c := count(t, conn, "pe"); c != 0 {
				t.Fatalf("%s: %d rows written, want none", tt.name, c)
			}
		}
		// CopyFail from the client (a failing reader).
		_, err := pc.CopyFrom(ctx, &failingReader{data: []byte(good)}, "COPY pe FROM STDIN")
		wantPgError(t, err, "57014", "COPY from stdin failed: disk on fire", "")
		if c := count(t, conn, "pe"); c != 0 {
			t.Fatalf("CopyFail: %d rows written", c)
		}
		// The same connection still copies.
		if err := copyIn("COPY pe FROM STDIN", good); err != nil {
			t.Fatalf("good COPY after errors: %v", err)
		}
		if c := count(t, conn, "pe"); c != 2 {
			t.Fatalf("good COPY wrote %d rows, want 2", c)
		}
		// A bad row in a binary COPY from pgx: nothing written either.
		_, err = conn.CopyFrom(ctx, pgx.Identifier{"pe"}, []string{"ts", "v"}, pgx.CopyFromRows([][]any{
			{time.Now(), int32(1)}, {nil, int32(2)},
		}))
		wantPgError(t, err, "23502", `null value in column "ts"`, "COPY pe, line 2")
		if c := count(t, conn, "pe"); c != 2 {
			t.Fatalf("failed binary COPY changed the table: %d rows", c)
		}
	})

	t.Run("cancel while waiting for data", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE pk (ts timestamptz NOT NULL, v int4) WITH (time_column = 'ts')")
		pc := conn.PgConn()
		fe := pc.Frontend()
		fe.Send(&pgproto3.Query{String: "COPY pk FROM STDIN"})
		fe.Send(&pgproto3.CopyData{Data: []byte("2024-01-01 00:00:00+00\t1\n")})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		// The server waits for more data; a CancelRequest ends the COPY.
		next := func() pgproto3.BackendMessage {
			// The bound only keeps a server that missed the cancel from
			// hanging the test.
			rctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			msg, err := pc.ReceiveMessage(rctx)
			if err != nil {
				t.Fatal(err)
			}
			return msg
		}
		if msg, ok := next().(*pgproto3.CopyInResponse); !ok {
			t.Fatalf("got %T, want CopyInResponse", msg)
		}
		if err := pc.CancelRequest(ctx); err != nil {
			t.Fatal(err)
		}
		if msg, ok := next().(*pgproto3.ErrorResponse); !ok || msg.Code != "57014" {
			t.Fatalf("got %#v, want ErrorResponse 57014", msg)
		}
		if msg, ok := next().(*pgproto3.ReadyForQuery); !ok {
			t.Fatalf("got %T, want ReadyForQuery", msg)
		}
		// What the client still sends for the COPY is ignored; the
		// connection goes on.
		fe.Send(&pgproto3.CopyData{Data: []byte("2024-01-01 00:00:00+00\t2\n")})
		fe.Send(&pgproto3.CopyDone{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		if c := count(t, conn, "pk"); c != 0 {
			t.Fatalf("cancelled COPY wrote %d rows", c)
		}
	})

	t.Run("extended protocol", func(t *testing.T) {
		mustExec(t, conn, "CREATE TABLE px (ts timestamptz NOT NULL, v int4) WITH (time_column = 'ts')")
		pc := conn.PgConn()
		fe := pc.Frontend()
		fe.Send(&pgproto3.Parse{Query: "COPY px FROM STDIN (FORMAT csv)"})
		fe.Send(&pgproto3.Bind{})
		fe.Send(&pgproto3.Describe{ObjectType: 'P'})
		fe.Send(&pgproto3.Execute{})
		fe.Send(&pgproto3.CopyData{Data: []byte("2024-01-01 00:00:00Z,1\n2024-01-01 00:0")})
		fe.Send(&pgproto3.CopyData{Data: []byte("0:01Z,2\n")})
		fe.Send(&pgproto3.CopyDone{})
		fe.Send(&pgproto3.Sync{})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		var seen []string
		for {
			msg, err := pc.ReceiveMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			switch m := msg.(type) {
			case *pgproto3.CommandComplete:
				seen = append(seen, "CommandComplete "+string(m.CommandTag))
			case *pgproto3.ErrorResponse:
				t.Fatalf("error: %s %s", m.Code, m.Message)
			default:
				seen = append(seen, strings.TrimPrefix(fmt.Sprintf("%T", msg), "*pgproto3."))
			}
			if _, ok := msg.(*pgproto3.ReadyForQuery); ok {
				break
			}
		}
		want := "ParseComplete BindComplete NoData CopyInResponse CommandComplete COPY 2 ReadyForQuery"
		if got := strings.Join(seen, " "); got != want {
			t.Fatalf("messages: %s\nwant: %s", got, want)
		}
		if c := count(t, conn, "px"); c != 2 {
			t.Fatalf("extended COPY wrote %d rows, want 2", c)
		}
	})
}

// failingReader returns its data, then an error: pgconn answers with
// CopyFail.
type failingReader struct{ data []byte }

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errors.New("disk on fire")
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// copyCase is one input of the differential test.
type copyCase struct {
	name, opts, data string
}

// TestCopyMatchesPostgres feeds the same tricky text and CSV inputs into
// PostgreSQL 15 and OpenWit and compares the rows that come out (or that
// both reject them).
func TestCopyMatchesPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	ctx := t.Context()
	pgc, err := pgx.Connect(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer pgc.Close(ctx)
	owc := testserver.Connect(t, ow.DSN())
	cases := []copyCase{
		{"text escapes", "", "1\ta\\tb\\nc\\\\d\\be\\ff\\rg\\vh\n2\t\\101\\x41\\x4a\\7\\0101\n3\t\\q\\N\\x\\xg\n"},
		{"text end marker after data", "", "1\ta\\.\n2\tb\n"},
		{"error: end marker corrupt", "", "1\ta\\.b\n"},
		{"error: literal newline", "", "1\ta\r\n2\tb\n"},
		{"error: literal carriage return", "(FORMAT csv)", "1,a\n2,b\r\n"},
		{"text null marker vs empty", "", "1\t\\N\n2\t\n3\tN\n4\t\\\\N\n"},
		{"text custom null and delimiter", "(DELIMITER '|', NULL 'nil')", "1|nil\n2|\\N\n3|a\\|b\n4|nilx\n"},
		{"text CRLF and end marker", "", "1\tx\r\n2\ty\r\n\\.\n9\tignored\n"},
		{"text last line without newline", "", "1\tx\n2\ty"},
		{"text header", "(HEADER true)", "id\tv\n1\tx\n"},
		{"text unicode", "", "1\tgrüße 日本\n2\t\\xc3\\xa9\n"},
		{"csv quotes", "(FORMAT csv)", "1,\"a,b\"\n2,\"say \"\"hi\"\"\"\n3,\"\"\n4,\n5,ab\"c,d\"e\n"},
		{"csv embedded newlines", "(FORMAT csv)", "1,\"line1\nline2\"\n2,\"cr\r\nlf\"\n3,x\n"},
		{"csv null options", "(FORMAT csv, NULL 'NULL')", "1,NULL\n2,\"NULL\"\n3,\n4,\"\"\n"},
		{"csv escape", "(FORMAT csv, ESCAPE '\\')", "1,\"a\\\"b\"\n2,\"c\\\\d\"\n3,\"e\\f\"\n"},
		{"csv header and delimiter", "(FORMAT csv, HEADER, DELIMITER ';')", "id;v\n1;a,b\n2;\"x;y\"\n"},
		{"csv end marker", "(FORMAT csv)", "1,a\n\\.\n2,b\n"},
		{"csv old syntax", "WITH CSV HEADER QUOTE AS '''' NULL AS 'x'", "id,v\n1,'a''b'\n2,x\n3,'x'\n"},
		{"error: extra column", "", "1\ta\tb\n"},
		{"error: missing column", "(FORMAT csv)", "1\n"},
		{"error: bad int", "", "x\ta\n"},
		{"error: unterminated quote", "(FORMAT csv)", "1,\"abc\n"},
	}
	for i, tc := range cases {
		table := fmt.Sprintf("d%d", i)
		ddl := "CREATE TABLE " + table + " (id int4, v text)"
		mustExec(t, pgc, ddl)
		mustExec(t, owc, ddl)
		sql := "COPY " + table + " FROM STDIN " + tc.opts
		_, pgErr := pgc.PgConn().CopyFrom(ctx, strings.NewReader(tc.data), sql)
		_, owErr := owc.PgConn().CopyFrom(ctx, strings.NewReader(tc.data), sql)
		if (pgErr == nil) != (owErr == nil) {
			t.Errorf("%s: PostgreSQL error %v, OpenWit error %v", tc.name, pgErr, owErr)
			continue
		}
		if pgErr != nil {
			var a, b *pgconn.PgError
			if !errors.As(pgErr, &a) || !errors.As(owErr, &b) || a.Code != b.Code || a.Message != b.Message || a.Where != b.Where {
				t.Errorf("%s: PostgreSQL error %+v, OpenWit error %+v", tc.name, pgErr, owErr)
			}
			continue
		}
		q := "SELECT id, v FROM " + table + " ORDER BY id"
		scan := func(r pgx.CollectableRow) (string, error) {
			var id int32
			var v *string
			if err := r.Scan(&id, &v); err != nil {
				return "", err
			}
			if v == nil {
				return fmt.Sprintf("%d:NULL", id), nil
			}
			return fmt.Sprintf("%d:%q", id, *v), nil
		}
		want := queryRows(t, pgc, q, scan)
		got := queryRows(t, owc, q, scan)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s:\nOpenWit    %v\nPostgreSQL %v", tc.name, got, want)
		}
		// And back out: COPY TO in the same options gives the same bytes.
		if strings.Contains(tc.opts, "HEADER") || strings.Contains(tc.opts, "ESCAPE") {
			continue
		}
		out := "COPY (" + q + ") TO STDOUT " + tc.opts
		var a, b bytes.Buffer
		if _, err := pgc.PgConn().CopyTo(ctx, &a, out); err != nil {
			t.Fatalf("%s: PostgreSQL %s: %v", tc.name, out, err)
		}
		if _, err := owc.PgConn().CopyTo(ctx, &b, out); err != nil {
			t.Fatalf("%s: OpenWit %s: %v", tc.name, out, err)
		}
		if a.String() != b.String() {
			t.Errorf("%s: COPY TO\nOpenWit    %q\nPostgreSQL %q", tc.name, b.String(), a.String())
		}
	}
}

const copyPsycopgScript = `
import io, os
import psycopg2
conn = psycopg2.connect(host="127.0.0.1", port=os.environ["PGPORT"], user="openwit", dbname="openwit")
conn.autocommit = True
cur = conn.cursor()
cur.execute("CREATE TABLE py_copy (ts timestamptz NOT NULL, service text, status int)")
data = "".join("2024-03-01 00:00:%02d+00,%s,%d\n" % (i, "a,b" if i % 2 else "web", 200 + i) for i in range(50))
cur.copy_expert("COPY py_copy FROM STDIN WITH (FORMAT csv)", io.StringIO(data.replace("a,b", '"a,b"')))
assert cur.rowcount == 50, cur.rowcount
cur.copy_from(io.StringIO("2024-03-02 00:00:00+00\t\\N\t1\n"), "py_copy")
out = io.StringIO()
cur.copy_expert("COPY (SELECT service, status FROM py_copy WHERE status < 203 ORDER BY status) TO STDOUT WITH CSV HEADER", out)
assert out.getvalue() == 'service,status\n,1\nweb,200\n"a,b",201\nweb,202\n', repr(out.getvalue())
try:
    cur.copy_expert("COPY py_copy FROM STDIN", io.StringIO("2024-03-02 00:00:00+00\tx\tnot a number\n"))
    raise SystemExit("bad row accepted")
except psycopg2.errors.InvalidTextRepresentation as e:
    assert "COPY py_copy, line 1, column status" in str(e), str(e)
cur.execute("SELECT count(*) FROM py_copy")
assert cur.fetchone()[0] == 51
print("ok")
`

const copyJDBCSource = `
import java.io.*;
import java.sql.*;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;
public class T {
  static void check(boolean c, String m) { if (!c) throw new RuntimeException(m); }
  public static void main(String[] a) throws Exception {
    String url = "jdbc:postgresql://127.0.0.1:" + System.getenv("PGPORT") + "/openwit?user=openwit";
    try (Connection c = DriverManager.getConnection(url)) {
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE j_copy (ts timestamptz NOT NULL, v int8, s text)");
      }
      CopyManager cm = c.unwrap(PGConnection.class).getCopyAPI();
      StringBuilder sb = new StringBuilder("ts,v,s\n");
      for (int i = 0; i < 1000; i++) sb.append("2024-03-01 00:00:00+00,").append(i).append(",\"x\ny\"\n");
      long n = cm.copyIn("COPY j_copy FROM STDIN (FORMAT csv, HEADER)", new StringReader(sb.toString()));
      check(n == 1000, "copied " + n);
      StringWriter w = new StringWriter();
      long m = cm.copyOut("COPY (SELECT v, s FROM j_copy WHERE v < 2 ORDER BY v) TO STDOUT", w);
      check(m == 2 && w.toString().equals("0\tx\\ny\n1\tx\\ny\n"), w.toString());
      try {
        cm.copyIn("COPY j_copy FROM STDIN", new StringReader("2024-03-01 00:00:00+00\t1\n"));
        check(false, "short row accepted");
      } catch (SQLException e) {
        check("22P04".equals(e.getSQLState()), e.getSQLState() + " " + e.getMessage());
      }
      try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM j_copy")) {
        r.next();
        check(r.getLong(1) == 1000, "count " + r.getLong(1));
      }
    }
    System.out.println("ok");
  }
}
`

func TestCopyClients(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{})
	t.Run("psycopg2", func(t *testing.T) {
		if exec.Command("/usr/bin/python3", "-c", "import psycopg2").Run() != nil {
			t.Fatal("psycopg2 missing (bash .ci/run installs python3-psycopg2)")
		}
		runRealClient(t, s, nil, "/usr/bin/python3", "-c", copyPsycopgScript)
	})
	t.Run("pgjdbc", func(t *testing.T) {
		const jar = "/usr/share/java/postgresql.jar"
		if _, err := os.Stat(jar); err != nil {
			t.Fatal("pgjdbc missing (bash .ci/run installs libpostgresql-jdbc-java)")
		}
		src := filepath.Join(t.TempDir(), "T.java")
		if err := os.WriteFile(src, []byte(copyJDBCSource), 0o600); err != nil {
			t.Fatal(err)
		}
		runRealClient(t, s, nil, "java", "-cp", jar, src)
	})
}
