package pgwire

import (
	"context"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// typesText is "select types" row 1 in text format, session TimeZone UTC.
func typesText() []string {
	return []string{
		"t", "-12", "123456", "1099511627776", "1.5", "3.25", "12345.6789",
		"hello", "world", "pg_catalog", "x", `\x000102ff`,
		"2024-02-29", "2024-02-29 13:14:15.123456", "2024-02-29 13:14:15.5+00",
		"1 day 02:03:04", `{"a":1}`, `{"b": 2}`, "26",
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", `{a,"b c",""}`,
	}
}

func TestPgxBinaryResults(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()

	var (
		b    bool
		i2   int16
		i4   int32
		i8   int64
		f4   float32
		f8   float64
		num  pgtype.Numeric
		txt  string
		vc   string
		nm   string
		bp   string
		by   []byte
		d    time.Time
		ts_  time.Time
		tstz time.Time
		iv   pgtype.Interval
		js   string
		jb   string
		o    uint32
		u    pgtype.UUID
		arr  []string
	)
	rows, err := conn.Query(ctx, "select types")
	if err != nil {
		t.Fatal(err)
	}
	// pgx asks for binary results for the types whose binary form differs
	// from their text.
	for i, fd := range rows.FieldDescriptions() {
		switch fd.DataTypeOID {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.NameOID, pgtype.BPCharOID, pgtype.JSONOID, pgtype.JSONBOID:
			continue
		}
		if fd.Format != pgtype.BinaryFormatCode {
			t.Errorf("column %d (%s) format %d, want binary", i, fd.Name, fd.Format)
		}
	}
	if !rows.Next() {
		t.Fatal(rows.Err())
	}
	if err := rows.Scan(&b, &i2, &i4, &i8, &f4, &f8, &num, &txt, &vc, &nm, &bp, &by, &d, &ts_, &tstz, &iv, &js, &jb, &o, &u, &arr); err != nil {
		t.Fatal(err)
	}
	got := []any{b, i2, i4, i8, f4, f8, numString(t, num), txt, vc, nm, bp, by, d, ts_, tstz.UTC(), iv, js, jb, o, u.String(), arr}
	want := []any{
		true, int16(-12), int32(123456), int64(1 << 40), float32(1.5), 3.25, "12345.6789",
		"hello", "world", "pg_catalog", "x", []byte{0, 1, 2, 255},
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC),
		time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC),
		pgtype.Interval{Days: 1, Microseconds: (2*3600 + 3*60 + 4) * 1e6, Valid: true},
		`{"a":1}`, `{"b": 2}`, uint32(26), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", []string{"a", "b c", ""},
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("column %d: got %#v, want %#v", i, got[i], want[i])
		}
	}
	// Second row: all NULL.
	if !rows.Next() {
		t.Fatal("missing NULL row", rows.Err())
	}
	vals, err := rows.Values()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if v != nil {
			t.Errorf("NULL row column %d = %#v", i, v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if tag := rows.CommandTag().String(); tag != "SELECT 2" {
		t.Errorf("tag = %q", tag)
	}
}

func mustNumeric(t testing.TB, s string) pgtype.Numeric {
	t.Helper()
	var n pgtype.Numeric
	if err := n.Scan(s); err != nil {
		t.Fatal(err)
	}
	return n
}

func numString(t testing.TB, n pgtype.Numeric) string {
	t.Helper()
	v, err := n.Value()
	if err != nil {
		t.Fatal(err)
	}
	s, _ := v.(string)
	return s
}

func TestTextResults(t *testing.T) {
	ts := startServer(t)
	ctx := t.Context()
	check := func(t *testing.T, got [][]byte) {
		t.Helper()
		want := typesText()
		if len(got) != len(want) {
			t.Fatalf("%d values, want %d", len(got), len(want))
		}
		for i := range want {
			if string(got[i]) != want[i] {
				t.Errorf("column %d: got %q, want %q", i, got[i], want[i])
			}
		}
	}
	t.Run("extended", func(t *testing.T) {
		conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
		res := conn.PgConn().ExecParams(ctx, "select types", nil, nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		check(t, res.Rows[0])
	})
	t.Run("simple protocol", func(t *testing.T) {
		conn := ts.connect(t, pgx.QueryExecModeSimpleProtocol)
		rows, err := conn.Query(ctx, "select types")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		if !rows.Next() {
			t.Fatal(rows.Err())
		}
		check(t, rows.RawValues())
		for _, fd := range rows.FieldDescriptions() {
			if fd.Format != 0 {
				t.Errorf("%s: format %d in simple protocol", fd.Name, fd.Format)
			}
		}
	})
	t.Run("session time zone", func(t *testing.T) {
		conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
		if _, err := conn.Exec(ctx, "set TimeZone 'America/New_York'"); err != nil {
			t.Fatal(err)
		}
		if got := conn.PgConn().ParameterStatus("TimeZone"); got != "America/New_York" {
			t.Errorf("ParameterStatus TimeZone = %q", got)
		}
		res := conn.PgConn().ExecParams(ctx, "select types", nil, nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if got := string(res.Rows[0][14]); got != "2024-02-29 08:14:15.5-05" {
			t.Errorf("timestamptz in New York = %q", got)
		}
		if _, err := conn.Exec(ctx, "set TimeZone 'Asia/Kolkata'"); err != nil {
			t.Fatal(err)
		}
		res = conn.PgConn().ExecParams(ctx, "select types", nil, nil, nil, nil).Read()
		if got := string(res.Rows[0][14]); got != "2024-02-29 18:44:15.5+05:30" {
			t.Errorf("timestamptz in Kolkata = %q", got)
		}
		if _, err := conn.Exec(ctx, "reset TimeZone"); err != nil {
			t.Fatal(err)
		}
		if got := conn.PgConn().ParameterStatus("TimeZone"); got != "UTC" {
			t.Errorf("after RESET, TimeZone = %q", got)
		}
	})
}

func TestBinaryResultsRaw(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	cols := typesColumns()
	formats := make([]int16, len(cols))
	for i := range formats {
		formats[i] = 1
	}
	res := conn.PgConn().ExecParams(t.Context(), "select types", nil, nil, nil, formats).Read()
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	m := pgtype.NewMap()
	want := typesText()
	for i, col := range cols {
		// Decode the binary value with pgx's codec and print it as text
		// with pgx's codec: it must match the server's text output.
		var v any
		dt, ok := m.TypeForOID(col.TypeOID)
		if !ok {
			t.Fatalf("pgtype lacks %d", col.TypeOID)
		}
		v, err := dt.Codec.DecodeValue(m, col.TypeOID, pgtype.BinaryFormatCode, res.Rows[0][i])
		if err != nil {
			t.Errorf("column %s: decode binary: %v", col.Name, err)
			continue
		}
		switch col.TypeOID {
		case pgtype.TimestamptzOID:
			v = v.(time.Time).UTC()
			if !v.(time.Time).Equal(time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC)) {
				t.Errorf("tstz = %v", v)
			}
			continue
		case pgtype.TimestampOID, pgtype.DateOID:
			var e encoder
			e.setTimeZone("UTC")
			text, _ := e.appendText(nil, col.TypeOID, v)
			if string(text) != want[i] {
				t.Errorf("column %s: %q, want %q", col.Name, text, want[i])
			}
			continue
		}
		text, err := m.Encode(col.TypeOID, pgtype.TextFormatCode, v, nil)
		if err != nil {
			t.Errorf("column %s: encode text: %v", col.Name, err)
			continue
		}
		w := want[i]
		if col.TypeOID == pgtype.JSONBOID {
			w = `{"b":2}` // decoded and re-encoded by pgtype
		}
		if string(text) != w {
			t.Errorf("column %s: binary decodes to %q, want %q", col.Name, text, w)
		}
	}
}

func TestParamsRoundTrip(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	m := pgtype.NewMap()
	tstz := time.Date(2023, 7, 1, 10, 11, 12, 345678000, time.UTC)
	tests := []struct {
		typ      string
		text     string // text-format input
		value    any    // Go value to encode in binary
		wantGo   any    // what the backend receives
		wantText string // echoed back in text
	}{
		{"int2", "-7", int16(-7), int64(-7), "-7"},
		{"int4", " 42 ", int32(42), int64(42), "42"},
		{"int8", "9000000000", int64(9000000000), int64(9000000000), "9000000000"},
		{"oid", "26", uint32(26), int64(26), "26"},
		{"float4", "1.5", float32(1.5), 1.5, "1.5"},
		{"float8", "Infinity", math.Inf(1), math.Inf(1), "Infinity"},
		{"bool", "yes", true, true, "t"},
		{"text", "héllo", "héllo", "héllo", "héllo"},
		{"varchar", "v", "v", "v", "v"},
		{"unknown", "u", "u", "u", "u"},
		{"numeric", "-123.4500", mustNumeric(t, "-123.4500"), "-123.4500", "-123.4500"},
		{"bytea", `\x00ff`, []byte{0, 255}, []byte{0, 255}, `\x00ff`},
		{"date", "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{"timestamp", "2023-07-01 10:11:12.345678", tstz, tstz, "2023-07-01 10:11:12.345678"},
		{"timestamptz", "2023-07-01 12:11:12.345678+02", tstz, tstz, "2023-07-01 10:11:12.345678+00"},
		{"interval", "1 day 02:00:00", pgtype.Interval{Days: 1, Microseconds: 7200e6, Valid: true}, "1 day 02:00:00", "1 day 02:00:00"},
		{"json", `{"k":[1,2]}`, `{"k":[1,2]}`, `{"k":[1,2]}`, `{"k":[1,2]}`},
		{"jsonb", `{"k":1}`, `{"k":1}`, `{"k":1}`, `{"k":1}`},
		{"uuid", "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", [16]byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"},
		{"text[]", `{a,"b c"}`, []string{"a", "b c"}, `{a,"b c"}`, `{a,"b c"}`},
		{"int8[]", `{1,NULL,-3}`, []*int64{ptr(int64(1)), nil, ptr(int64(-3))}, `{1,NULL,-3}`, `{1,NULL,-3}`},
		{"timestamptz[]", `{"2024-06-01 10:00:00+00"}`, []time.Time{time.Date(2024, 6, 1, 12, 0, 0, 0, time.FixedZone("", 7200))}, `{"2024-06-01 10:00:00+00"}`, `{"2024-06-01 10:00:00+00"}`},
	}
	for _, tt := range tests {
		oid := testTypes()[tt.typ]
		for _, format := range []int16{0, 1} {
			name := tt.typ + "/text"
			var param []byte
			if format == 0 {
				param = []byte(tt.text)
			} else {
				name = tt.typ + "/binary"
				var err error
				if param, err = m.Encode(oid, 1, tt.value, nil); err != nil {
					t.Fatalf("%s: encode: %v", name, err)
				}
			}
			t.Run(name, func(t *testing.T) {
				res := conn.PgConn().ExecParams(t.Context(), "echo "+tt.typ, [][]byte{param}, nil, []int16{format}, nil).Read()
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				got := ts.be.params()[0]
				if g, ok := got.(time.Time); ok {
					if !g.Equal(tt.wantGo.(time.Time)) {
						t.Errorf("backend got %v, want %v", g, tt.wantGo)
					}
				} else if !reflect.DeepEqual(got, tt.wantGo) {
					t.Errorf("backend got %#v, want %#v", got, tt.wantGo)
				}
				if g := string(res.Rows[0][0]); g != tt.wantText {
					t.Errorf("echo = %q, want %q", g, tt.wantText)
				}
			})
		}
	}
	t.Run("null", func(t *testing.T) {
		res := conn.PgConn().ExecParams(t.Context(), "echo int8", [][]byte{nil}, nil, nil, nil).Read()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if ts.be.params()[0] != nil || res.Rows[0][0] != nil {
			t.Errorf("NULL param: backend %v, echo %v", ts.be.params(), res.Rows[0])
		}
	})
}

func TestPgxQueryModes(t *testing.T) {
	ts := startServer(t)
	modes := []pgx.QueryExecMode{
		pgx.QueryExecModeCacheStatement, pgx.QueryExecModeCacheDescribe, pgx.QueryExecModeDescribeExec,
		pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol,
	}
	tstz := time.Date(2022, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			ctx := t.Context()
			conn := ts.connect(t, mode)
			var n int64
			if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil || n != 1 {
				t.Fatalf("select 1: %v %v", n, err)
			}
			var sum int64
			rows, err := conn.Query(ctx, "select series 100")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var v int64
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				sum += v
			}
			if rows.Err() != nil || sum != 5050 {
				t.Fatalf("series: sum %d, %v", sum, rows.Err())
			}
			if mode == pgx.QueryExecModeSimpleProtocol {
				// Parameters are interpolated client-side; the test
				// backend has no literals, so stop here.
				return
			}
			var (
				i   int64
				s   string
				f   float64
				b   bool
				tm  time.Time
				num string
				by  []byte
			)
			err = conn.QueryRow(ctx, "echo int8 text float8 bool timestamptz numeric bytea",
				int64(-5), "str", 2.5, true, tstz, "3.14", []byte("raw")).Scan(&i, &s, &f, &b, &tm, &num, &by)
			if err != nil {
				t.Fatal(err)
			}
			if i != -5 || s != "str" || f != 2.5 || !b || !tm.Equal(tstz) || num != "3.14" || string(by) != "raw" {
				t.Errorf("got %v %q %v %v %v %q %q", i, s, f, b, tm, num, by)
			}
			_, err = conn.Exec(ctx, "error")
			if pgCode(err) != "22012" {
				t.Errorf("error: %v", err)
			}
			if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil {
				t.Errorf("after error: %v", err)
			}
		})
	}
}

func TestPgxSSLModePrefer(t *testing.T) {
	ts := startServer(t)
	host, port, _ := strings.Cut(ts.addr, ":")
	conn, err := pgx.Connect(t.Context(), "postgres://openwit@"+host+":"+port+"/openwit?sslmode=prefer")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(t.Context(), "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatal(n, err)
	}
}

func TestNamedPreparedStatements(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()
	sd, err := conn.Prepare(ctx, "s1", "echo int4 text")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sd.ParamOIDs, []uint32{pgtype.Int4OID, pgtype.TextOID}) || len(sd.Fields) != 2 || sd.Fields[1].Name != "p2" {
		t.Errorf("description: %+v", sd)
	}
	for i := range 3 {
		var n int32
		var s string
		if err := conn.QueryRow(ctx, "s1", i, "x").Scan(&n, &s); err != nil || n != int32(i) || s != "x" {
			t.Fatalf("execute %d: %v %q %v", i, n, s, err)
		}
	}
	// Re-preparing the name on the wire fails; pgx's cache would hide it.
	_, err = conn.PgConn().Prepare(ctx, "s1", "select 1", nil)
	if pgCode(err) != "42P05" {
		t.Errorf("re-prepare: %v", err)
	}
	if err := conn.Deallocate(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	res := conn.PgConn().ExecPrepared(ctx, "s1", [][]byte{[]byte("1"), []byte("y")}, nil, nil).Read()
	if pgCode(res.Err) != "26000" {
		t.Errorf("after deallocate: %v", res.Err)
	}
}

func TestPgxBatchPipelineRecovery(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()
	batch := &pgx.Batch{}
	batch.Queue("select 1")
	batch.Queue("error")
	batch.Queue("select series 2")
	br := conn.SendBatch(ctx, batch)
	var n int
	if err := br.QueryRow().Scan(&n); err != nil || n != 1 {
		t.Errorf("first: %v %v", n, err)
	}
	if _, err := br.Exec(); pgCode(err) != "22012" {
		t.Errorf("second: %v", err)
	}
	if _, err := br.Exec(); err == nil {
		t.Errorf("third ran after an error in the pipeline")
	}
	_ = br.Close()
	if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil {
		t.Fatalf("after batch: %v", err)
	}

	// pgconn pipeline: error in the middle, recovery at Sync.
	p := conn.PgConn().StartPipeline(ctx)
	p.SendQueryParams("select 1", nil, nil, nil, nil)
	p.SendQueryParams("error", nil, nil, nil, nil)
	p.SendQueryParams("select 1", nil, nil, nil, nil)
	p.SendPipelineSync()
	p.SendQueryParams("select series 3", nil, nil, nil, nil)
	p.SendPipelineSync()
	if err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for {
		r, err := p.GetResults()
		if err != nil {
			got = append(got, "err:"+pgCode(err))
			continue
		}
		if r == nil {
			break
		}
		switch r := r.(type) {
		case *pgconn.ResultReader:
			tag, err := r.Close()
			if err != nil {
				got = append(got, "err:"+pgCode(err))
			} else {
				got = append(got, tag.String())
			}
		case *pgconn.PipelineSync:
			got = append(got, "sync")
		}
		if len(got) > 20 {
			break
		}
	}
	if err := p.Close(); err != nil {
		t.Fatalf("close pipeline after %q: %v", got, err)
	}
	want := []string{"SELECT 1", "err:22012", "sync", "SELECT 3", "sync"}
	if !equalStrings(got, want) {
		t.Errorf("pipeline results %q, want %q", got, want)
	}
}

func TestCancelRequest(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "sleep")
		errc <- err
	}()
	<-ts.be.sleeping

	// A wrong secret is ignored.
	raw := dialRaw(t, ts.addr)
	pid := conn.PgConn().PID()
	raw.writeRaw(startupPacket(cancelRequestCode, append(be32(pid), 0xde, 0xad, 0xbe, 0xef)))
	if got := raw.readAll(); !equalStrings(got, []string{"EOF"}) {
		t.Errorf("cancel connection got %q", got)
	}
	select {
	case err := <-errc:
		t.Fatalf("statement ended after a wrong cancel key: %v", err)
	case <-time.After(100 * time.Millisecond):
	}

	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" || pe.Message != "canceling statement due to user request" {
			t.Fatalf("sleep returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancel did not stop the statement")
	}
	var n int
	if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil || n != 1 {
		t.Fatalf("connection unusable after cancel: %v", err)
	}
	// Cancelling an idle connection does nothing.
	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	if err := conn.QueryRow(ctx, "select 1").Scan(&n); err != nil {
		t.Fatalf("idle cancel broke the connection: %v", err)
	}
}

func be32(v uint32) []byte {
	return []byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

func TestPgxTransactions(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	ctx := t.Context()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s := conn.PgConn().TxStatus(); s != 'T' {
		t.Errorf("in transaction: status %c", s)
	}
	if _, err := tx.Exec(ctx, "error"); pgCode(err) != "22012" {
		t.Fatalf("error: %v", err)
	}
	if s := conn.PgConn().TxStatus(); s != 'E' {
		t.Errorf("after error: status %c", s)
	}
	if _, err := tx.Exec(ctx, "select 1"); pgCode(err) != "25P02" {
		t.Errorf("in failed tx: %v", err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if s := conn.PgConn().TxStatus(); s != 'I' {
		t.Errorf("after rollback: status %c", s)
	}
}

func TestApplicationNameAndSet(t *testing.T) {
	ts := startServer(t)
	cfg, err := pgx.ParseConfig(ts.connString("application_name=tester"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if got := conn.PgConn().ParameterStatus("application_name"); got != "tester" {
		t.Errorf("application_name = %q", got)
	}
	if _, err := conn.Exec(t.Context(), "set application_name = 'other'"); err != nil {
		t.Fatal(err)
	}
	if got := conn.PgConn().ParameterStatus("application_name"); got != "other" {
		t.Errorf("after SET, application_name = %q", got)
	}
	var v string
	if err := conn.QueryRow(t.Context(), "show application_name").Scan(&v); err != nil || v != "other" {
		t.Errorf("show: %q %v", v, err)
	}
}

func TestLargeResultStreams(t *testing.T) {
	ts := startServer(t)
	conn := ts.connect(t, pgx.QueryExecModeCacheStatement)
	rows, err := conn.Query(t.Context(), "select series 200000")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if rows.Err() != nil || n != 200000 {
		t.Fatalf("rows %d, %v", n, rows.Err())
	}
}

func ptr[T any](v T) *T { return &v }
