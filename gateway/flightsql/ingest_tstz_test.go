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

// testIngestTimestampTZ bulk-ingests timestamptz values before 1970 and
// after 2038 (outside MySQL TIMESTAMP's range, inside PostgreSQL's and
// OpenWit's 0001 .. 9999), reads them back as Arrow timestamps in UTC, and
// rejects a batch with a value past 9999 with 22008, storing nothing.
func testIngestTimestampTZ(t *testing.T, cl *flightsql.Client, ingest func(string, *arrow.Schema, flightsql.TableDefinitionOptionsTableExistsOption, ...arrow.RecordBatch) (int64, error)) {
	exec(t, cl, `CREATE TABLE tzrange (ts timestamptz NOT NULL, v int8)`)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}, nil)
	build := func(ts ...time.Time) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i, x := range ts {
			b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(x.UnixMicro()))
			b.Field(1).(*array.Int64Builder).Append(int64(i))
		}
		return b.NewRecordBatch()
	}
	const appendMode = flightsql.TableDefinitionOptionsTableExistsOptionAppend
	bad := build(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))
	defer bad.Release()
	if _, err := ingest("tzrange", schema, appendMode, bad); status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "22008") {
		t.Errorf("timestamptz past 9999: %v; want InvalidArgument with SQLSTATE 22008", err)
	}
	if got := countRows(t, cl, "tzrange"); got != 0 {
		t.Errorf("rows after a rejected batch: %d, want 0", got)
	}
	good := []time.Time{
		time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	ok := build(good...)
	defer ok.Release()
	if n, err := ingest("tzrange", schema, appendMode, ok); err != nil || n != 4 {
		t.Fatalf("ingest: %d, %v", n, err)
	}
	sch, rows := query(t, cl, "SELECT ts, v FROM tzrange WHERE ts < '1970-01-01' OR ts > '2038-01-20' ORDER BY v")
	if tt, isTS := sch.Field(0).Type.(*arrow.TimestampType); !isTS || tt.Unit != arrow.Microsecond || tt.TimeZone != "UTC" {
		t.Errorf("result type of a timestamptz column: %s, want timestamp[us, tz=UTC]", sch.Field(0).Type)
	}
	want := "[[1969-07-20T20:17:40Z 0] [2100-01-01T00:00:00Z 1] [0001-01-01T00:00:00Z 2] [9999-12-31T23:59:59.999999Z 3]]"
	if got := fmt.Sprint(rows); got != want {
		t.Errorf("rows\n got %s\nwant %s", got, want)
	}
}
