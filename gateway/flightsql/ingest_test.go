package flightsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/testserver"
)

// logSchema is the log-like schema clients send: what the "logs" table
// holds (int4 status, float8 latency).
var logSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "service", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "latency_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

var (
	logBase   = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	services  = []string{"api", "web", "db", "auth", "cache"}
	levels    = []string{"debug", "info", "info", "info", "warn", "error"}
	statusSet = []int32{200, 200, 200, 201, 404, 500}
)

// logBatches builds total rows of log lines, 10 ms apart (about 2.8 hours,
// so they span several 1-hour shards), in batches of size rows.
func logBatches(total, size int) []arrow.RecordBatch {
	var out []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, logSchema)
	defer b.Release()
	ts := b.Field(0).(*array.TimestampBuilder)
	svc := b.Field(1).(*array.StringBuilder)
	lvl := b.Field(2).(*array.StringBuilder)
	st := b.Field(3).(*array.Int32Builder)
	lat := b.Field(4).(*array.Float64Builder)
	msg := b.Field(5).(*array.StringBuilder)
	for i := range total {
		ts.Append(arrow.Timestamp(logBase.UnixMicro() + int64(i)*10_000))
		svc.Append(services[i%len(services)])
		lvl.Append(levels[i%len(levels)])
		st.Append(statusSet[i%len(statusSet)])
		lat.Append(float64(i%1000) / 10)
		msg.Append(fmt.Sprintf("request %d handled by worker %d", i, i%64))
		if (i+1)%size == 0 || i == total-1 {
			out = append(out, b.NewRecordBatch())
		}
	}
	return out
}

func reader(tb testing.TB, schema *arrow.Schema, recs ...arrow.RecordBatch) array.RecordReader {
	tb.Helper()
	rdr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		tb.Fatal(err)
	}
	return rdr
}

func countRows(tb testing.TB, cl *flightsql.Client, table string) int64 {
	tb.Helper()
	_, rows := query(tb, cl, "SELECT count(*) FROM "+table)
	return rows[0][0].(int64)
}

func testIngest(t *testing.T, srv *testserver.Server) {
	ctx := context.Background()
	a := addr(srv)
	cl := newClient(t, a)

	t.Run("adbc 1M rows", func(t *testing.T) {
		const total = 1_000_000
		recs := logBatches(total, 100_000)
		defer func() {
			for _, r := range recs {
				r.Release()
			}
		}()
		cn := adbcConn(t, adbcDB(t, a, nil))
		st, err := cn.NewStatement()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		for k, v := range map[string]string{adbc.OptionKeyIngestTargetTable: "logs", adbc.OptionKeyIngestMode: adbc.OptionValueIngestModeAppend} {
			if err := st.SetOption(k, v); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.BindStream(ctx, reader(t, logSchema, recs...)); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		n, err := st.ExecuteUpdate(ctx)
		elapsed := time.Since(start)
		if err != nil || n != total {
			t.Fatalf("ADBC ingest: %d rows, %v", n, err)
		}
		t.Logf("ADBC bulk ingest: %d rows in %s (%.0f rows/s)", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds())

		if got := countRows(t, cl, "logs"); got != total {
			t.Errorf("Flight SQL count(*) = %d, want %d", got, total)
		}
		// And through ADBC's database/sql adapter.
		var sqlCount int64
		if err := sqlDB(t, a).QueryRow("SELECT count(*) FROM logs").Scan(&sqlCount); err != nil || sqlCount != total {
			t.Errorf("database/sql count(*) = %d, %v; want %d", sqlCount, err, total)
		}
		// The same rows through the PostgreSQL wire: one planner, two doors.
		conn, err := pgx.Connect(ctx, srv.DSN())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var pgCount int64
		var maxTS time.Time
		if err := conn.QueryRow(ctx, "SELECT count(*), max(ts) FROM logs").Scan(&pgCount, &maxTS); err != nil {
			t.Fatal(err)
		}
		if pgCount != total || !maxTS.Equal(logBase.Add(time.Duration(total-1)*10*time.Millisecond)) {
			t.Errorf("pgx: count %d, max(ts) %s", pgCount, maxTS)
		}
		_, rows := query(t, cl, "SELECT level, count(*) FROM logs GROUP BY level ORDER BY level")
		if got := fmt.Sprint(rows); got != "[[debug 166667] [error 166666] [info 500001] [warn 166666]]" {
			t.Errorf("levels: %s", got)
		}
	})

	before := countRows(t, cl, "logs")
	ingest := func(table string, schema *arrow.Schema, mode flightsql.TableDefinitionOptionsTableExistsOption, recs ...arrow.RecordBatch) (int64, error) {
		return cl.ExecuteIngest(ctx, reader(t, schema, recs...), &flightsql.ExecuteIngestOpts{
			Table: table,
			TableDefinitionOptions: &flightsql.TableDefinitionOptions{
				IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail, IfExists: mode},
		})
	}
	appendMode := flightsql.TableDefinitionOptionsTableExistsOptionAppend
	small := logBatches(10, 10)
	defer small[0].Release()

	t.Run("missing table", func(t *testing.T) {
		_, err := ingest("no_such_table", logSchema, appendMode, small...)
		if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), `relation "no_such_table" does not exist`) {
			t.Errorf("arrow-go: %v", err)
		}
		// ADBC's default mode (create) on a missing table: the message
		// says to create it first.
		cn := adbcConn(t, adbcDB(t, a, nil))
		st, _ := cn.NewStatement()
		defer st.Close()
		_ = st.SetOption(adbc.OptionKeyIngestTargetTable, "no_such_table")
		_ = st.Bind(ctx, small[0])
		_, err = st.ExecuteUpdate(ctx)
		var ae adbc.Error
		if !errors.As(err, &ae) || ae.Code != adbc.StatusNotFound || !strings.Contains(ae.Msg, "CREATE TABLE") {
			t.Errorf("ADBC: %v", err)
		}
	})

	t.Run("schema mismatch", func(t *testing.T) {
		for _, tt := range []struct {
			name   string
			fields []arrow.Field
			state  string
		}{
			{"unknown column", append(logSchema.Fields(), arrow.Field{Name: "extra", Type: arrow.PrimitiveTypes.Int64}), "42703"},
			{"incompatible type", []arrow.Field{logSchema.Field(0), {Name: "status", Type: arrow.BinaryTypes.String}}, "42804"},
			{"lossy type", []arrow.Field{logSchema.Field(0), {Name: "latency_ms", Type: arrow.PrimitiveTypes.Int64}}, "42804"},
			{"missing not-null column", []arrow.Field{logSchema.Field(1)}, "23502"},
		} {
			schema := arrow.NewSchema(tt.fields, nil)
			rec := array.NewRecordBatch(schema, nullColumns(schema, 3), 3)
			_, err := ingest("logs", schema, appendMode, rec)
			rec.Release()
			if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.state) {
				t.Errorf("%s: %v; want InvalidArgument with SQLSTATE %s", tt.name, err, tt.state)
			}
		}
		if _, err := ingest("logs", logSchema, flightsql.TableDefinitionOptionsTableExistsOptionFail, small...); status.Code(err) != codes.AlreadyExists {
			t.Errorf("mode create on an existing table: %v", err)
		}
		if got := countRows(t, cl, "logs"); got != before {
			t.Errorf("rows after rejected ingests: %d, want %d", got, before)
		}
	})

	t.Run("conversions", func(t *testing.T) { testIngestCasts(t, cl, ingest) })
	t.Run("char lengths", func(t *testing.T) { testIngestChars(t, cl, ingest) })
	t.Run("uuid and inet", func(t *testing.T) { testIngestUUIDInet(t, cl, ingest) })
	t.Run("timestamptz range", func(t *testing.T) { testIngestTimestampTZ(t, cl, ingest) })

	t.Run("failure midway", func(t *testing.T) {
		// Batch 1 is fine, batch 2 has a NULL time: batch 1 stays
		// committed, the count says so, and the error is returned.
		good := logBatches(5, 5)[0]
		defer good.Release()
		bad := array.NewRecordBatch(logSchema, nullColumns(logSchema, 2), 2)
		defer bad.Release()
		n, err := ingest("logs", logSchema, appendMode, good, bad, good)
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "23502") || n != 5 {
			t.Errorf("ingest: %d rows, %v; want 5 committed and a not-null violation", n, err)
		}
		if got := countRows(t, cl, "logs"); got != before+5 {
			t.Errorf("rows: %d, want %d", got, before+5)
		}
	})
}

// nullColumns makes all-null columns of schema's types.
func nullColumns(schema *arrow.Schema, n int) []arrow.Array {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(memory.DefaultAllocator, f.Type, n)
	}
	return cols
}

func testIngestCasts(t *testing.T, cl *flightsql.Client, ingest func(string, *arrow.Schema, flightsql.TableDefinitionOptionsTableExistsOption, ...arrow.RecordBatch) (int64, error)) {
	exec(t, cl, `CREATE TABLE casts (ts timestamptz NOT NULL, i8 int8, i2 int2, f8 float8, s text, n numeric(12,3), d date, j jsonb)`)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "America/New_York"}},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i2", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f8", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "n", Type: &arrow.Decimal128Type{Precision: 10, Scale: 1}, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date64, Nullable: true},
		// j is absent: NULL.
	}, nil)
	// Rows alternate between two days: each shard's rows are not
	// contiguous, which takes the gather path of the shard split.
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
	build := func(i2 []int64) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i, v := range i2 {
			ts := t0.Add(time.Duration(i%2) * 24 * time.Hour).Add(time.Duration(i) * time.Second)
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixNano()))
			b.Field(1).(*array.Int32Builder).Append(int32(i))
			b.Field(2).(*array.Int64Builder).Append(v)
			b.Field(3).(*array.Float32Builder).Append(0.5)
			b.Field(4).(*array.LargeStringBuilder).Append(fmt.Sprint("s", i))
			b.Field(5).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(10*i + 5)))
			b.Field(6).(*array.Date64Builder).Append(arrow.Date64FromTime(time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)))
		}
		return b.NewRecordBatch()
	}
	ok := build([]int64{1, 2, 3, 4})
	defer ok.Release()
	if n, err := ingest("casts", schema, flightsql.TableDefinitionOptionsTableExistsOptionAppend, ok); err != nil || n != 4 {
		t.Fatalf("ingest with conversions: %d, %v", n, err)
	}
	_, rows := query(t, cl, "SELECT ts, i8, i2, f8, s, n, d, j FROM casts ORDER BY i8")
	want := "[[2024-01-02T03:04:05.123457Z 0 1 0.5 s0 0.5 2024-02-29 <nil>] [2024-01-03T03:04:06.123457Z 1 2 0.5 s1 1.5 2024-02-29 <nil>] " +
		"[2024-01-02T03:04:07.123457Z 2 3 0.5 s2 2.5 2024-02-29 <nil>] [2024-01-03T03:04:08.123457Z 3 4 0.5 s3 3.5 2024-02-29 <nil>]]"
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("rows\n got %s\nwant %s", got, want)
	}
	// A value that does not fit: the batch is rejected whole.
	bad := build([]int64{5, 1 << 20})
	defer bad.Release()
	if _, err := ingest("casts", schema, flightsql.TableDefinitionOptionsTableExistsOptionAppend, bad); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), `column "i2"`) {
		t.Errorf("int64 → int2 overflow: %v", err)
	}
	if got := countRows(t, cl, "casts"); got != 4 {
		t.Errorf("rows after a rejected batch: %d, want 4", got)
	}
}
