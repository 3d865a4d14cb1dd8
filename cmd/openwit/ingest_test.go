package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"openwit/internal/testserver"
)

// ingestSchema is the Arrow schema of table b (ts timestamptz, v int8).
var ingestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// ingestBatch is n rows at hour h of 2024-01-01 with values from v0.
func ingestBatch(h, n int, v0 int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, ingestSchema)
	defer b.Release()
	base := time.Date(2024, 1, 1, h, 0, 0, 0, time.UTC)
	for i := range n {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(i) * time.Millisecond).UnixMicro()))
		b.Field(1).(*array.Int64Builder).Append(v0 + int64(i))
	}
	return b.NewRecordBatch()
}

// adbcIngest loads recs into table over ADBC bulk ingest (one stream).
func adbcIngest(t *testing.T, s *testserver.Server, table string, recs ...arrow.RecordBatch) (int64, error) {
	t.Helper()
	ctx := t.Context()
	db, err := adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{
		adbc.OptionKeyURI: fmt.Sprintf("grpc+tcp://127.0.0.1:%d", s.FlightPort)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cn, err := db.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer cn.Close()
	st, err := cn.NewStatement()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for k, v := range map[string]string{adbc.OptionKeyIngestTargetTable: table, adbc.OptionKeyIngestMode: adbc.OptionValueIngestModeAppend} {
		if err := st.SetOption(k, v); err != nil {
			t.Fatal(err)
		}
	}
	rdr, err := array.NewRecordReader(ingestSchema, recs)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	if err := st.BindStream(ctx, rdr); err != nil {
		t.Fatal(err)
	}
	return st.ExecuteUpdate(ctx)
}

func countB(t *testing.T, conn *pgx.Conn) int64 {
	t.Helper()
	var n int64
	if err := conn.QueryRow(t.Context(), "SELECT count(*) FROM b").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestIngestLimits runs a node with a 1 KiB ingest buffer limit: writes
// that would pass it fail with SQLSTATE 53000 (INSERT and COPY over pgx)
// or ResourceExhausted (ADBC bulk ingest) and write nothing, the refusals
// are counted on /metrics, and the server keeps serving. The flusher
// empties the buffers in the background, so each client retries until it
// meets a refusal.
func TestIngestLimits(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--ingest-buffer-limit", "1KiB", "--flush-age", "1h"}})
	ctx := t.Context()
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE b (ts timestamptz NOT NULL, v int8)")

	var written int64 // rows acknowledged
	refused := func(err error) bool {
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "53000" {
			if !strings.Contains(pe.Message, "--ingest-buffer-limit") {
				t.Errorf("53000 message %q does not name the limit", pe.Message)
			}
			return true
		}
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return false
	}
	deadline := time.Now().Add(30 * time.Second)

	t.Run("copy", func(t *testing.T) {
		for {
			if time.Now().After(deadline) {
				t.Fatal("no COPY was refused")
			}
			rows := make([][]any, 200)
			for i := range rows {
				rows[i] = []any{time.Date(2024, 1, 1, 0, 0, i, 0, time.UTC), int64(i)}
			}
			before := countB(t, conn)
			n, err := conn.CopyFrom(ctx, pgx.Identifier{"b"}, []string{"ts", "v"}, pgx.CopyFromRows(rows))
			if refused(err) {
				if got := countB(t, conn); got != before {
					t.Errorf("refused COPY changed count(*) from %d to %d", before, got)
				}
				return
			}
			written += n
		}
	})
	t.Run("insert", func(t *testing.T) {
		var vals []string
		for i := range 100 {
			vals = append(vals, fmt.Sprintf("('2024-01-01 01:00:%02d+00', %d)", i%60, i))
		}
		stmt := "INSERT INTO b VALUES " + strings.Join(vals, ", ")
		for {
			if time.Now().After(deadline) {
				t.Fatal("no INSERT was refused")
			}
			before := countB(t, conn)
			_, err := conn.Exec(ctx, stmt)
			if refused(err) {
				if got := countB(t, conn); got != before {
					t.Errorf("refused INSERT changed count(*) from %d to %d", before, got)
				}
				return
			}
			written += 100
		}
	})
	t.Run("adbc", func(t *testing.T) {
		rec := ingestBatch(2, 200, 0)
		defer rec.Release()
		for {
			if time.Now().After(deadline) {
				t.Fatal("no bulk ingest was refused")
			}
			before := countB(t, conn)
			n, err := adbcIngest(t, s, "b", rec)
			if err != nil {
				if !strings.Contains(err.Error(), "SQLSTATE 53000") || !strings.Contains(err.Error(), "ResourceExhausted") {
					t.Fatalf("bulk ingest over the limit: %v, want ResourceExhausted with SQLSTATE 53000", err)
				}
				if got := countB(t, conn); got != before {
					t.Errorf("refused bulk ingest changed count(*) from %d to %d", before, got)
				}
				return
			}
			written += n
		}
	})
	if got := countB(t, conn); got != written {
		t.Errorf("count(*) = %d, want the %d acknowledged rows", got, written)
	}
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	if v, ok := metricValue(body, `openwit_ingest_rejected_total{reason="buffer_limit"}`); !ok || v < 3 {
		t.Errorf(`openwit_ingest_rejected_total{reason="buffer_limit"} = %v (found %v), want >= 3`, v, ok)
	}
}

// TestBatchTracking checks that every ingest batch (INSERT, COPY, each
// batch of a bulk-ingest stream) shows in openwit_batches with its stages
// and times, reaches "stored" once flushed, and is counted on /metrics.
func TestBatchTracking(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "300ms"}})
	ctx := t.Context()
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE b (ts timestamptz NOT NULL, v int8)")
	// One INSERT across two hour shards: one batch of two parts.
	mustExec(t, conn, "INSERT INTO b VALUES ('2024-01-01 00:00:00+00', 1), ('2024-01-01 05:00:00+00', 2)")
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"b"}, []string{"ts", "v"},
		pgx.CopyFromRows([][]any{{time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC), int64(3)}})); err != nil {
		t.Fatal(err)
	}
	r1, r2 := ingestBatch(2, 10, 100), ingestBatch(3, 20, 200)
	defer r1.Release()
	defer r2.Release()
	if n, err := adbcIngest(t, s, "b", r1, r2); err != nil || n != 30 {
		t.Fatalf("bulk ingest: %d, %v", n, err)
	}

	type batch struct {
		ID, Stage             string
		LSN, Rows             int64
		Received, WAL, Stored *time.Time
		TableName             *string
	}
	var got []batch
	deadline := time.Now().Add(30 * time.Second)
	for {
		rows, err := conn.Query(ctx, `SELECT batch_id, stage, lsn, rows, received_at, wal_written_at, stored_at, table_name
FROM openwit_batches WHERE table_name = 'b' ORDER BY lsn`)
		if err != nil {
			t.Fatal(err)
		}
		got = got[:0]
		for rows.Next() {
			var b batch
			if err := rows.Scan(&b.ID, &b.Stage, &b.LSN, &b.Rows, &b.Received, &b.WAL, &b.Stored, &b.TableName); err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		stored := 0
		for _, b := range got {
			if b.Stage == "stored" {
				stored++
			}
		}
		if len(got) == 4 && stored == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("openwit_batches never showed 4 stored batches: %+v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantRows := []int64{2, 1, 10, 20}
	for i, b := range got {
		if b.Rows != wantRows[i] {
			t.Errorf("batch %d (%s) has %d rows, want %d", i, b.ID, b.Rows, wantRows[i])
		}
		if !strings.HasSuffix(b.ID, ":"+strconv.FormatInt(b.LSN, 10)) {
			t.Errorf("batch id %q does not end with its lsn %d", b.ID, b.LSN)
		}
		if b.Received == nil || b.WAL == nil || b.Stored == nil {
			t.Fatalf("batch %s misses a stage time: %+v", b.ID, b)
		}
		if b.WAL.Before(*b.Received) || b.Stored.Before(*b.WAL) {
			t.Errorf("batch %s stage times out of order: received %s, wal %s, stored %s", b.ID, b.Received, b.WAL, b.Stored)
		}
	}
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	if v, ok := metricValue(body, `openwit_ingest_batches_total{stage="stored"}`); !ok || v != 4 {
		t.Errorf(`openwit_ingest_batches_total{stage="stored"} = %v (found %v), want 4`, v, ok)
	}
}
