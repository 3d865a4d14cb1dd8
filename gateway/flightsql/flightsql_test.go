package flightsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/testserver"
)

// TestFlightSQL runs the end-to-end checks against one real `openwit
// serve`, with arrow-go's Flight SQL client and the ADBC driver.
func TestFlightSQL(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	a := addr(srv)
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE typed (ts timestamptz NOT NULL, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
		n numeric(10,2), t text, j jsonb, by bytea, d date, tl timestamp)`)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)

	t.Run("types", func(t *testing.T) { testTypes(t, cl) })
	t.Run("update", func(t *testing.T) { testUpdate(t, cl) })
	t.Run("errors", func(t *testing.T) { testErrors(t, cl) })
	t.Run("prepared", func(t *testing.T) { testPrepared(t, a) })
	t.Run("metadata", func(t *testing.T) { testMetadata(t, cl) })
	t.Run("adbc", func(t *testing.T) { testADBC(t, a) })
	t.Run("database/sql", func(t *testing.T) { testDatabaseSQL(t, a) })
	t.Run("sqlinfo functions", func(t *testing.T) { testFunctions(t, cl) })
	t.Run("ingest", func(t *testing.T) { testIngest(t, srv) })
}

func testTypes(t *testing.T, cl *flightsql.Client) {
	if n := exec(t, cl, `INSERT INTO typed VALUES
		('2024-03-01 10:20:30.123456+00', true, -2, 4, 8000000000, 1.5, 2.25, 12345.67, 'hé', '{"a": 1}', 'ab', '2024-02-29', '2024-03-01 01:02:03.5'),
		('2024-03-01 10:20:31+00', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`); n != 2 {
		t.Errorf("insert: %d rows, want 2", n)
	}
	schema, rows := query(t, cl, "SELECT * FROM typed ORDER BY ts")
	want := []arrow.DataType{
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, arrow.FixedWidthTypes.Boolean,
		arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64,
		arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64, &arrow.Decimal128Type{Precision: 38, Scale: 2},
		arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.FixedWidthTypes.Date32,
		&arrow.TimestampType{Unit: arrow.Microsecond},
	}
	if len(schema.Fields()) != len(want) {
		t.Fatalf("schema %s: want %d columns", schema, len(want))
	}
	for i, f := range schema.Fields() {
		if !arrow.TypeEqual(f.Type, want[i]) {
			t.Errorf("column %s: type %s, want %s", f.Name, f.Type, want[i])
		}
		if !f.Nullable {
			t.Errorf("column %s: not nullable", f.Name)
		}
	}
	md := &flightsql.ColumnMetadata{Data: ptr(schema.Field(7).Metadata)}
	if tn, _ := md.TypeName(); tn != "numeric" {
		t.Errorf("numeric column type name %q", tn)
	}
	if sc, _ := md.Scale(); sc != 2 {
		t.Errorf("numeric column scale metadata %d, want 2", sc)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2", len(rows))
	}
	got := fmt.Sprint(rows[0])
	wantRow := fmt.Sprint([]any{"2024-03-01T10:20:30.123456Z", true, int16(-2), int32(4), int64(8000000000),
		float32(1.5), 2.25, "12345.67", "hé", `{"a": 1}`, []byte("ab"), "2024-02-29", "2024-03-01T01:02:03.5"})
	if got != wantRow {
		t.Errorf("row 0:\n got %s\nwant %s", got, wantRow)
	}
	for i, v := range rows[1][1:] {
		if v != nil {
			t.Errorf("row 1 column %s: %v, want NULL", schema.Field(i+1).Name, v)
		}
	}

	// Expressions: numeric arithmetic keeps a Decimal128 with the
	// planner's scale; numerics the planner types as decimal(65,30) (avg)
	// travel as exact text.
	schema, rows = query(t, cl, "SELECT count(*), sum(i4), avg(f8), max(t), n * 2, avg(n) FROM typed GROUP BY n ORDER BY n NULLS LAST")
	wantTypes := "int64 int64 float64 utf8 decimal(38, 2) utf8"
	var gotTypes []string
	for _, f := range schema.Fields() {
		gotTypes = append(gotTypes, f.Type.String())
	}
	if strings.Join(gotTypes, " ") != wantTypes {
		t.Errorf("expression types %s, want %s", strings.Join(gotTypes, " "), wantTypes)
	}
	if got := fmt.Sprint(rows[0]); got != "[1 4 2.25 hé 24691.34 12345.6700000000000000]" {
		t.Errorf("expressions: %s", got)
	}

	// A result larger than one batch arrives in several, in order.
	_, rows = query(t, cl, "SELECT 1 FROM typed")
	if len(rows) != 2 {
		t.Errorf("%d rows", len(rows))
	}
}

func testUpdate(t *testing.T, cl *flightsql.Client) {
	for _, tt := range []struct {
		sql  string
		want int64
	}{
		{"CREATE TABLE upd (ts timestamptz NOT NULL, v int8)", 0},
		{"INSERT INTO upd VALUES (now(), 1), (now(), 2), (now(), 3)", 3},
		{"INSERT INTO upd SELECT ts, v + 10 FROM upd", 3},
		{"SET TimeZone = 'UTC'; INSERT INTO upd VALUES (now(), 7); INSERT INTO upd VALUES (now(), 8)", 2},
		{"DROP TABLE upd", 0},
	} {
		if n := exec(t, cl, tt.sql); n != tt.want {
			t.Errorf("%s: %d rows affected, want %d", tt.sql, n, tt.want)
		}
	}
	// A statement without rows through the query path runs at once and
	// returns an empty result.
	info, err := cl.Execute(context.Background(), "CREATE TABLE upd2 (ts timestamptz NOT NULL)")
	if err != nil || len(info.Endpoint) != 0 {
		t.Fatalf("DDL as query: %v, %d endpoints", err, len(info.GetEndpoint()))
	}
	exec(t, cl, "DROP TABLE upd2")
}

func testErrors(t *testing.T, cl *flightsql.Client) {
	ctx := context.Background()
	for _, tt := range []struct {
		sql   string
		code  codes.Code
		state string
	}{
		{"SELEC 1", codes.InvalidArgument, "42601"},
		{"SELECT * FROM no_such_table", codes.NotFound, "42P01"},
		{"SELECT no_such_column FROM logs", codes.InvalidArgument, "42703"},
		{"SELECT 1/0", codes.InvalidArgument, "22012"},
		{"CREATE TABLE logs (ts timestamptz NOT NULL)", codes.AlreadyExists, "42P07"},
		{"SELECT * FROM logs FOR UPDATE", codes.Unimplemented, "0A000"},
	} {
		info, err := cl.Execute(ctx, tt.sql)
		if err == nil {
			_, _, err = fetch(t, ctx, cl, info)
		}
		if status.Code(err) != tt.code || !strings.Contains(err.Error(), "ERROR: ") || !strings.Contains(err.Error(), "(SQLSTATE "+tt.state+")") {
			t.Errorf("%s: %v; want %s with SQLSTATE %s", tt.sql, err, tt.code, tt.state)
		}
		// The connection keeps working.
		if _, rows := query(t, cl, "SELECT 42"); len(rows) != 1 || fmt.Sprint(rows[0][0]) != "42" {
			t.Fatalf("after %q: %v", tt.sql, rows)
		}
	}
	if _, err := cl.ExecuteUpdate(ctx, "INSERT INTO nope VALUES (1)"); status.Code(err) != codes.NotFound {
		t.Errorf("update of a missing table: %v", err)
	}
	if _, err := cl.ExecuteUpdate(ctx, "INSERT INTO logs (service) VALUES ('x')"); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "23502") {
		t.Errorf("not-null violation: %v", err)
	}
}

func testPrepared(t *testing.T, a string) {
	ctx := context.Background()
	cl := newClient(t, a)
	exec(t, cl, "CREATE TABLE events (ts timestamptz NOT NULL, host text, code int4)")

	// DML with a batch of parameter rows.
	ins, err := cl.Prepare(ctx, "INSERT INTO events VALUES ($1, $2, $3)")
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := ins.IsUpdate(); !ok || !u {
		t.Errorf("INSERT IsUpdate = %v, %v", u, ok)
	}
	// The planner types INSERT ... VALUES parameters as text today; the
	// server converts whatever Arrow types the client binds.
	if ps := ins.ParameterSchema(); ps == nil || ps.NumFields() != 3 || ps.Field(0).Name != "$1" || ps.Field(2).Name != "$3" {
		t.Fatalf("parameter schema %s", ps)
	}
	ps := arrow.NewSchema([]arrow.Field{{Name: "$1", Type: &arrow.TimestampType{Unit: arrow.Millisecond}},
		{Name: "$2", Type: arrow.BinaryTypes.String}, {Name: "$3", Type: arrow.PrimitiveTypes.Int32}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, ps)
	base := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMilli()))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("host-%d", i%4))
		b.Field(2).(*array.Int32Builder).Append(int32(i))
	}
	rec := b.NewRecordBatch()
	b.Release()
	ins.SetParameters(rec)
	rec.Release()
	if n, err := ins.ExecuteUpdate(ctx); err != nil || n != 100 {
		t.Fatalf("prepared insert of 100 rows: %d, %v", n, err)
	}
	if err := ins.Close(ctx); err != nil {
		t.Errorf("close: %v", err)
	}

	// Two clients bind different values to the same statement text, many
	// times concurrently; each sees only its own rows.
	const q = "SELECT host, count(*), min(code) FROM events WHERE host = $1 AND code >= $2 GROUP BY host"
	var wg sync.WaitGroup
	for c := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := newClient(t, a)
			stmt, err := cl.Prepare(ctx, q)
			if err != nil {
				t.Error(err)
				return
			}
			defer stmt.Close(ctx)
			if u, ok := stmt.IsUpdate(); !ok || u {
				t.Errorf("SELECT IsUpdate = %v, %v", u, ok)
			}
			if ps := stmt.ParameterSchema(); ps == nil || ps.NumFields() != 2 || ps.Field(0).Type.ID() != arrow.STRING || ps.Field(1).Type.ID() != arrow.INT32 {
				t.Errorf("parameter schema %s", stmt.ParameterSchema())
			}
			if ds := stmt.DatasetSchema(); ds == nil || ds.NumFields() != 3 || ds.Field(1).Type.ID() != arrow.INT64 {
				t.Errorf("dataset schema %s", stmt.DatasetSchema())
			}
			for i := range 20 {
				host, min := fmt.Sprintf("host-%d", c), int64(40+i)
				pb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{
					{Name: "$1", Type: arrow.BinaryTypes.String}, {Name: "$2", Type: arrow.PrimitiveTypes.Int64}}, nil))
				pb.Field(0).(*array.StringBuilder).Append(host)
				pb.Field(1).(*array.Int64Builder).Append(min)
				params := pb.NewRecordBatch()
				pb.Release()
				stmt.SetParameters(params)
				params.Release()
				info, err := stmt.Execute(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				_, recs, err := fetch(t, ctx, cl, info)
				if err != nil {
					t.Error(err)
					return
				}
				rows := rowsOf(recs)
				// codes of host-c are c, c+4, ...: those >= min.
				first := min + (int64(c)-min%4+4)%4
				wantN := (99-first)/4 + 1
				want := fmt.Sprint([][]any{{host, wantN, int32(first)}})
				if fmt.Sprint(rows) != want {
					t.Errorf("client %d, min %d: %v, want %v", c, min, rows, want)
					return
				}
			}
		}()
	}
	wg.Wait()

	// A handle from another server version or a forged one is rejected.
	bad := flightsql.NewPreparedStatement(cl, []byte{9, 'P'})
	if _, err := bad.Execute(ctx); status.Code(err) != codes.InvalidArgument {
		t.Errorf("forged handle: %v", err)
	}
	unbound, err := cl.Prepare(ctx, "SELECT host FROM events WHERE code = $1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := unbound.Execute(ctx); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "none are bound") {
		t.Errorf("execute without binding: %v", err)
	}
	unbound.Close(ctx)
	if _, err := cl.Prepare(ctx, "SELECT 1; SELECT 2"); status.Code(err) != codes.InvalidArgument {
		t.Errorf("two statements in a prepared statement: %v", err)
	}
}

func testADBC(t *testing.T, a string) {
	ctx := context.Background()
	cn := adbcConn(t, adbcDB(t, a, nil))
	st, err := cn.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery("SELECT host, code FROM events WHERE code < $1 ORDER BY code"); err != nil {
		t.Fatal(err)
	}
	if err := st.Prepare(ctx); err != nil {
		t.Fatal(err)
	}
	pb := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema([]arrow.Field{{Name: "$1", Type: arrow.PrimitiveTypes.Int32}}, nil))
	pb.Field(0).(*array.Int32Builder).Append(3)
	params := pb.NewRecordBatch()
	pb.Release()
	defer params.Release()
	if err := st.Bind(ctx, params); err != nil {
		t.Fatal(err)
	}
	rdr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, rdr)); got != "[[host-0 0] [host-1 1] [host-2 2]]" {
		t.Errorf("ADBC prepared query: %s", got)
	}

	// Bad SQL through ADBC: a clear error, the connection keeps working.
	st2, _ := cn.NewStatement()
	defer st2.Close()
	_ = st2.SetSqlQuery("SELECT FROM WHERE")
	_, _, err = st2.ExecuteQuery(ctx)
	var ae adbc.Error
	if !errors.As(err, &ae) || ae.Code != adbc.StatusInvalidArgument || !strings.Contains(ae.Msg, "SQLSTATE 42601") {
		t.Errorf("ADBC bad SQL: %v", err)
	}
	_ = st2.SetSqlQuery("SELECT count(*) FROM events")
	rdr, _, err = st2.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, rdr)); got != "[[100]]" {
		t.Errorf("count after error: %s", got)
	}
	_ = st2.SetSqlQuery("INSERT INTO events VALUES (now(), 'adbc', -1)")
	if n, err := st2.ExecuteUpdate(ctx); err != nil || n != 1 {
		t.Errorf("ADBC update: %d, %v", n, err)
	}

	// ADBC's metadata calls decode the server's answers.
	info, err := cn.GetInfo(ctx, []adbc.InfoCode{adbc.InfoVendorName, adbc.InfoVendorVersion, adbc.InfoVendorArrowVersion})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, info)); !strings.Contains(got, "OpenWit") {
		t.Errorf("GetInfo: %s", got)
	}
	sch, err := cn.GetTableSchema(ctx, nil, nil, "events")
	if err != nil {
		t.Fatal(err)
	}
	if sch.NumFields() != 3 || sch.Field(0).Type.ID() != arrow.TIMESTAMP || sch.Field(2).Type.ID() != arrow.INT32 {
		t.Errorf("GetTableSchema: %s", sch)
	}
	objs, err := cn.GetObjects(ctx, adbc.ObjectDepthColumns, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, objs)); !strings.Contains(got, "events") || !strings.Contains(got, "openwit") {
		t.Errorf("GetObjects: %s", got)
	}
	tt, err := cn.GetTableTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, tt)); got != "[[TABLE]]" {
		t.Errorf("GetTableTypes: %s", got)
	}
}

func testDatabaseSQL(t *testing.T, a string) {
	db := sqlDB(t, a)
	// INSERT parameters are typed text by the planner (see testPrepared),
	// and database/sql checks arguments against the parameter schema.
	res, err := db.Exec("INSERT INTO events VALUES (now(), $1, 1000), (now(), $2, 1001)", "sql", "sql")
	if err != nil {
		t.Fatal(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 2 {
		t.Errorf("rows affected %d, %v", n, err)
	}
	// ADBC's adapter binds db.Query's arguments without preparing (and
	// then refuses to run); a prepared statement takes them.
	sel, err := db.Prepare("SELECT host, code FROM events WHERE host = $1 AND code > $2 ORDER BY code")
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	rows, err := sel.Query("sql", int32(1000)) // the adapter wants the exact Go type of the parameter schema
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var host string
		var code int32
		if err := rows.Scan(&host, &code); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(host, code))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[sql1001]" {
		t.Errorf("database/sql rows: %v", got)
	}
	var n int64
	if err := db.QueryRow("SELECT count(*) FROM events WHERE host = 'sql'").Scan(&n); err != nil || n != 2 {
		t.Errorf("count: %d, %v", n, err)
	}
	if _, err := db.Query("SELECT * FROM missing"); err == nil || !strings.Contains(err.Error(), "42P01") {
		t.Errorf("missing table through database/sql: %v", err)
	}
}
