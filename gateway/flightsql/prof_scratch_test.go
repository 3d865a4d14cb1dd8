package flightsql_test

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"

	fsql "openwit/gateway/flightsql"
)

func TestProfScratch(t *testing.T) {
	if os.Getenv("MEASURE") == "" {
		t.Skip()
	}
	a := newStack(t).serve(t, fsql.Config{Trust: true})
	cl := newClient(t, a)
	ctx := context.Background()
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(1_000_000, 100_000)
	cn := adbcConn(t, adbcDB(t, a, nil))
	st, _ := cn.NewStatement()
	_ = st.SetOption(adbc.OptionKeyIngestTargetTable, "logs")
	_ = st.SetOption(adbc.OptionKeyIngestMode, adbc.OptionValueIngestModeAppend)
	_ = st.BindStream(ctx, reader(t, logSchema, recs...))
	f, _ := os.Create("/tmp/ingest.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	n, err := st.ExecuteUpdate(ctx)
	pprof.StopCPUProfile()
	f.Close()
	t.Logf("ingest %d %v %s", n, err, time.Since(start))
	f, _ = os.Create("/tmp/select.prof")
	pprof.StartCPUProfile(f)
	start = time.Now()
	info, err := cl.Execute(ctx, "SELECT ts, service, level, status, latency_ms, msg FROM logs")
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	for rdr.Next() {
		rows += rdr.RecordBatch().NumRows()
	}
	pprof.StopCPUProfile()
	f.Close()
	t.Logf("select %d %s", rows, time.Since(start))
}
