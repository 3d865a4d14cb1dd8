package flightsql_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/testserver"
)

// TestIngestListColumns bulk-ingests Arrow list columns (pyarrow's
// element name "item", a wider element type that narrows without loss)
// into text[] and int4[] columns, reads them back over the PostgreSQL
// wire, from the ingest buffers and after the flush to Parquet, and
// checks that a list of the wrong element type is 42804 and writes nothing.
func TestIngestListColumns(t *testing.T) {
	ctx := t.Context()
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1ms"}})
	conn, err := pgx.Connect(ctx, srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE spans (ts timestamptz NOT NULL, tags text[], codes int4[])`); err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "tags", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
		{Name: "codes", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	base := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
	ts := b.Field(0).(*array.TimestampBuilder)
	tags := b.Field(1).(*array.ListBuilder)
	cb := b.Field(2).(*array.ListBuilder)
	for i := range 3 {
		ts.Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Second).UnixMicro()))
	}
	tv := tags.ValueBuilder().(*array.StringBuilder)
	tags.Append(true)
	tv.Append("k8s")
	tv.AppendNull()
	tv.Append("a,b")
	tags.Append(true) // empty
	tags.AppendNull()
	cv := cb.ValueBuilder().(*array.Int64Builder)
	cb.Append(true)
	cv.Append(200)
	cv.AppendNull()
	cb.AppendNull()
	cb.Append(true)
	cv.Append(-7)
	rec := b.NewRecordBatch()
	defer rec.Release()

	cl := newClient(t, addr(srv))
	opts := &flightsql.ExecuteIngestOpts{Table: "spans", TableDefinitionOptions: &flightsql.TableDefinitionOptions{
		IfNotExist: flightsql.TableDefinitionOptionsTableNotExistOptionFail, IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend}}
	n, err := cl.ExecuteIngest(ctx, reader(t, schema, rec), opts)
	if err != nil || n != 3 {
		t.Fatalf("ingest: %d rows, %v", n, err)
	}
	type row struct {
		Tags  []*string
		Codes []*int32
	}
	s := func(v string) *string { return &v }
	i := func(v int32) *int32 { return &v }
	want := []row{
		{Tags: []*string{s("k8s"), nil, s("a,b")}, Codes: []*int32{i(200), nil}},
		{Tags: []*string{}},
		{Codes: []*int32{i(-7)}},
	}
	read := func(stage string) {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT tags, codes FROM spans ORDER BY ts`)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %s, want %s", stage, show(got), show(want))
		}
		var text string
		if err := conn.QueryRow(ctx, `SELECT tags::text FROM spans ORDER BY ts LIMIT 1`, pgx.QueryExecModeSimpleProtocol).Scan(&text); err != nil || text != `{k8s,NULL,"a,b"}` {
			t.Errorf("%s: text form %q, %v", stage, text, err)
		}
	}
	read("buffered")
	for range 500 {
		var plan string
		if err := conn.QueryRow(ctx, `EXPLAIN SELECT * FROM spans`).Scan(&plan); err == nil && !strings.Contains(plan, "buffered rows") {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	read("parquet")

	// A list of strings into int4[]: refused before anything is written.
	bad := arrow.NewSchema([]arrow.Field{schema.Field(0), {Name: "codes", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true}}, nil)
	badRec := array.NewRecordBatch(bad, nullColumns(bad, 1), 1)
	defer badRec.Release()
	if _, err := cl.ExecuteIngest(ctx, reader(t, bad, badRec), opts); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "42804") {
		t.Errorf("list<utf8> into int4[]: %v; want InvalidArgument with 42804", err)
	}
	if got := countRows(t, cl, "spans"); got != 3 {
		t.Errorf("rows after the rejected ingest: %d, want 3", got)
	}
}

func show[T any](rows []T) string {
	var b strings.Builder
	for _, r := range rows {
		v := reflect.ValueOf(r)
		b.WriteString("{")
		for f := range v.NumField() {
			fv := v.Field(f)
			b.WriteString("[")
			for k := range fv.Len() {
				if e := fv.Index(k); e.IsNil() {
					b.WriteString("NULL ")
				} else {
					b.WriteString(fmt.Sprintf("%q ", fmt.Sprint(reflect.Indirect(e).Interface())))
				}
			}
			b.WriteString("]")
		}
		b.WriteString("}")
	}
	return b.String()
}
