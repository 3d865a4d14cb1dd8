package flightsql_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

func TestMeasureScratch(t *testing.T) {
	if os.Getenv("MEASURE") == "" {
		t.Skip()
	}
	srv := testserver.Start(t, testserver.Options{})
	a := addr(srv)
	cl := newClient(t, a)
	ctx := context.Background()
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(1_000_000, 100_000)
	cn := adbcConn(t, adbcDB(t, a, nil))
	st, _ := cn.NewStatement()
	_ = st.SetOption(adbc.OptionKeyIngestTargetTable, "logs")
	_ = st.SetOption(adbc.OptionKeyIngestMode, adbc.OptionValueIngestModeAppend)
	_ = st.BindStream(ctx, reader(t, logSchema, recs...))
	start := time.Now()
	n, err := st.ExecuteUpdate(ctx)
	el := time.Since(start)
	t.Logf("ingest: %d rows, %v, %s, %.0f rows/s", n, err, el, float64(n)/el.Seconds())

	const q = "SELECT ts, service, level, status, latency_ms, msg FROM logs"
	for round := 0; round < 2; round++ {
		start = time.Now()
		info, err := cl.Execute(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		batches := 0
		for _, ep := range info.Endpoint {
			rdr, err := cl.DoGet(ctx, ep.Ticket)
			if err != nil {
				t.Fatal(err)
			}
			for rdr.Next() {
				rows += rdr.RecordBatch().NumRows()
				batches++
			}
			if rdr.Err() != nil {
				t.Fatal(rdr.Err())
			}
			rdr.Release()
		}
		fl := time.Since(start)
		t.Logf("flight sql: %d rows in %d batches, %s, %.0f rows/s", rows, batches, fl, float64(rows)/fl.Seconds())

		conn, err := pgx.Connect(ctx, srv.DSN())
		if err != nil {
			t.Fatal(err)
		}
		start = time.Now()
		r, err := conn.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		var prow int64
		for r.Next() {
			_ = r.RawValues()
			prow++
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		pg := time.Since(start)
		t.Logf("pgx raw (simple protocol, text): %d rows, %s, %.0f rows/s", prow, pg, float64(prow)/pg.Seconds())
		start = time.Now()
		r, err = conn.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		prow = 0
		for r.Next() {
			if _, err := r.Values(); err != nil {
				t.Fatal(err)
			}
			prow++
		}
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		pg2 := time.Since(start)
		t.Logf("pgx decoded (extended protocol): %d rows, %s, %.0f rows/s", prow, pg2, float64(prow)/pg2.Seconds())
		t.Logf("ratio flight/pgx raw: %.2fx; flight/pgx decoded: %.2fx", pg.Seconds()/fl.Seconds(), pg2.Seconds()/fl.Seconds())
		conn.Close(ctx)
	}
}
