package flightsql_test

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/status"

	"openwit/internal/testserver"
)

// TestIngestListArrayTypes bulk-ingests Arrow list columns into the array
// columns of docs/design/083 — list<timestamp[us, UTC]> into timestamptz[],
// list<decimal128(10,2)> into numeric(10,2)[], list<utf8> into
// varchar(3)[] — and reads their text forms back over the PostgreSQL wire;
// a list element too long for varchar(3) is 22001 and writes nothing.
func TestIngestListArrayTypes(t *testing.T) {
	ctx := t.Context()
	srv := testserver.Start(t, testserver.Options{})
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE hist (ts timestamptz NOT NULL, events timestamptz[], cents numeric(10,2)[], tags varchar(3)[])`); err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "events", Type: arrow.ListOf(&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}), Nullable: true},
		{Name: "cents", Type: arrow.ListOf(&arrow.Decimal128Type{Precision: 10, Scale: 2}), Nullable: true},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}, nil)
	build := func(tag string) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMicro()))
		eb := b.Field(1).(*array.ListBuilder)
		eb.Append(true)
		eb.ValueBuilder().(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2024, 5, 1, 10, 0, 0, 500000000, time.UTC).UnixMicro()))
		eb.ValueBuilder().AppendNull()
		cb := b.Field(2).(*array.ListBuilder)
		cb.Append(true)
		cb.ValueBuilder().(*array.Decimal128Builder).Append(decimal128.FromI64(1250))
		cb.ValueBuilder().AppendNull()
		tb := b.Field(3).(*array.ListBuilder)
		tb.Append(true)
		tb.ValueBuilder().(*array.StringBuilder).Append("api")
		tb.ValueBuilder().(*array.StringBuilder).Append(tag)
		return b.NewRecordBatch()
	}
	cl := newClient(t, addr(srv))
	opts := &flightsql.ExecuteIngestOpts{Table: "hist", TableDefinitionOptions: &flightsql.TableDefinitionOptions{
		IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail, IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend}}
	rec := build("ab   ")
	defer rec.Release()
	if n, err := cl.ExecuteIngest(ctx, reader(t, schema, rec), opts); err != nil || n != 1 {
		t.Fatalf("ingest: %d rows, %v", n, err)
	}
	var events, cents, tags string
	if err := conn.QueryRow(ctx, `SELECT events::text, cents::text, tags::text FROM hist`, pgx.QueryExecModeSimpleProtocol).Scan(&events, &cents, &tags); err != nil {
		t.Fatal(err)
	}
	// What PostgreSQL 15 prints for the same values (TimeZone UTC).
	if want := `{"2024-05-01 10:00:00.5+00",NULL}`; events != want {
		t.Errorf("events %s, want %s", events, want)
	}
	if want := `{12.50,NULL}`; cents != want {
		t.Errorf("cents %s, want %s", cents, want)
	}
	if want := `{api,"ab "}`; tags != want {
		t.Errorf("tags %s, want %s", tags, want)
	}
	long := build("abcd")
	defer long.Release()
	if _, err := cl.ExecuteIngest(ctx, reader(t, schema, long), opts); !strings.Contains(status.Convert(err).Message(), "22001") {
		t.Errorf("a too long element: %v, want 22001", err)
	}
	if got := countRows(t, cl, "hist"); got != 1 {
		t.Errorf("rows after the rejected ingest: %d, want 1", got)
	}
}
