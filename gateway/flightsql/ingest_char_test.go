package flightsql_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// testIngestChars bulk-ingests into varchar(n) and char(n) columns: an
// over-long value rejects the batch with 22001 and stores nothing; blanks
// past n are cut and char(n) values padded, as INSERT does.
func testIngestChars(t *testing.T, cl *flightsql.Client, ingest func(string, *arrow.Schema, flightsql.TableDefinitionOptionsTableExistsOption, ...arrow.RecordBatch) (int64, error)) {
	exec(t, cl, `CREATE TABLE chars (ts timestamptz NOT NULL, v varchar(3), c char(4))`)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "c", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	build := func(vs ...string) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i, v := range vs {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(t0.Add(time.Duration(i) * time.Second).UnixMicro()))
			b.Field(1).(*array.StringBuilder).Append(v)
			b.Field(2).(*array.StringBuilder).Append(v)
		}
		return b.NewRecordBatch()
	}
	const appendMode = flightsql.TableDefinitionOptionsTableExistsOptionAppend
	bad := build("ab", "abcd")
	defer bad.Release()
	if _, err := ingest("chars", schema, appendMode, bad); status.Code(err) != codes.InvalidArgument ||
		!strings.Contains(err.Error(), "22001") || !strings.Contains(err.Error(), "character varying(3)") {
		t.Errorf("over-long varchar(3) value: %v; want InvalidArgument with SQLSTATE 22001", err)
	}
	if got := countRows(t, cl, "chars"); got != 0 {
		t.Errorf("rows after a rejected batch: %d, want 0", got)
	}
	ok := build("ab", "xyz  ", "é")
	defer ok.Release()
	if n, err := ingest("chars", schema, appendMode, ok); err != nil || n != 3 {
		t.Fatalf("ingest: %d, %v", n, err)
	}
	// char(4) is stored blank-padded (octet_length counts the blanks);
	// || and length drop them, as PostgreSQL's bpchar does.
	_, rows := query(t, cl, "SELECT v || '|', c || '|', length(c), octet_length(c) FROM chars ORDER BY ts")
	want := "[[ab| ab| 2 4] [xyz| xyz| 3 4] [é| é| 1 5]]"
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("rows\n got %s\nwant %s", got, want)
	}
}
