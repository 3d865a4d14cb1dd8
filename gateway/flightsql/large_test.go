package flightsql_test

import (
	"context"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/internal/testserver"
)

// seqSchema is a narrow table cheap to generate: v is the row number.
var seqSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// seqBatch holds rows [from, from+n): ts one millisecond apart, v the row
// number.
func seqBatch(from, n int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, seqSchema)
	defer b.Release()
	ts := b.Field(0).(*array.TimestampBuilder)
	v := b.Field(1).(*array.Int64Builder)
	ts.Reserve(int(n))
	v.Reserve(int(n))
	base := logBase.UnixMicro()
	for i := from; i < from+n; i++ {
		ts.UnsafeAppend(arrow.Timestamp(base + i*1000))
		v.UnsafeAppend(i)
	}
	return b.NewRecordBatch()
}

// TestLargeResult streams a 10M-row result (1M under the race detector)
// to the ADBC Flight SQL driver from a real `openwit serve`, loaded with
// plain Flight DoPut in batches of 1M rows, and checks the row count and
// the sum of a column; database/sql over ADBC agrees on the count.
func TestLargeResult(t *testing.T) {
	total := int64(10_000_000)
	if raceEnabled {
		total = 1_000_000
	}
	const step = 1_000_000
	srv := testserver.Start(t, testserver.Options{})
	a := addr(srv)
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE seq (ts timestamptz NOT NULL, v int8) WITH (time_column = 'ts')`)
	start := time.Now()
	for from := int64(0); from < total; from += step {
		rec := seqBatch(from, step)
		n, err := putPath(t, cl.Client, []string{"seq"}, seqSchema, rec)
		rec.Release()
		if err != nil || n != step {
			t.Fatalf("DoPut rows %d..: %d rows, %v", from, n, err)
		}
	}
	t.Logf("loaded %d rows with DoPut in %s", total, time.Since(start).Round(time.Millisecond))

	ctx := context.Background()
	cn := adbcConn(t, adbcDB(t, a, nil))
	st, err := cn.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSqlQuery("SELECT ts, v FROM seq"); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	rdr, _, err := st.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows, sum, badTS int64
	base := logBase.UnixMicro()
	for rdr.Next() {
		rec := rdr.RecordBatch()
		ts := rec.Column(0).(*array.Timestamp).Values()
		for i, v := range rec.Column(1).(*array.Int64).Int64Values() {
			sum += v
			if int64(ts[i]) != base+v*1000 {
				badTS++
			}
		}
		rows += rec.NumRows()
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	rdr.Release()
	elapsed := time.Since(start)
	t.Logf("ADBC streamed %d rows in %s (%.0f rows/s)", rows, elapsed.Round(time.Millisecond), float64(rows)/elapsed.Seconds())
	if want := total * (total - 1) / 2; rows != total || sum != want || badTS != 0 {
		t.Errorf("streamed %d rows, sum(v) %d, %d rows with a wrong ts; want %d rows, sum %d", rows, sum, badTS, total, want)
	}

	db := sqlDB(t, a)
	var n, s int64
	if err := db.QueryRow("SELECT count(*), sum(v) FROM seq").Scan(&n, &s); err != nil || n != total || s != total*(total-1)/2 {
		t.Errorf("database/sql: count %d, sum %d, %v", n, s, err)
	}
}
