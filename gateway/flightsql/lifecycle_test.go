package flightsql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	fsql "openwit/gateway/flightsql"
	"openwit/search"
	"openwit/storage/objstore"
)

// endless is a query that runs far longer than any test: a three-way cross
// join of 2,000 rows (8·10^9 rows) counted.
const endless = "SELECT count(*) FROM logs a, logs b, logs c"

func stackWithLogs(t *testing.T) (string, *fsql.Server, *flightsql.Client) {
	a, srv := newStack(t).start(t, fsql.Config{Trust: true})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(2000, 2000)
	defer recs[0].Release()
	if _, err := cl.ExecuteIngest(context.Background(), reader(t, logSchema, recs...), &flightsql.ExecuteIngestOpts{
		Table: "logs", TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend},
	}); err != nil {
		t.Fatal(err)
	}
	return a, srv, cl
}

// TestCancel: a client cancelling its DoGet stops the query on the server:
// the call returns Canceled at once, and a graceful shutdown (which waits
// for every running call, streams included) completes.
func TestCancel(t *testing.T) {
	_, srv, cl := stackWithLogs(t)
	info, err := cl.Execute(context.Background(), endless)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
		if err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	select {
	case err := <-errc:
		if status.Code(err) != codes.Canceled {
			t.Errorf("cancelled DoGet: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled DoGet did not return")
	}
	// The connection keeps working.
	if _, rows := query(t, cl, "SELECT count(*) FROM logs"); rows[0][0] != int64(2000) {
		t.Errorf("count %v", rows)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		t.Errorf("graceful shutdown after cancel: %v (the query kept running)", err)
	}
}

// TestShutdownForced: Shutdown waits for running calls, then cancels them
// when its context ends.
func TestShutdownForced(t *testing.T) {
	_, srv, cl := stackWithLogs(t)
	info, err := cl.Execute(context.Background(), endless)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		rdr, err := cl.DoGet(context.Background(), info.Endpoint[0].Ticket)
		if err == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		}
		errc <- err
	}()
	time.Sleep(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("shutdown with a running query: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("forced shutdown took %s", d)
	}
	select {
	case err := <-errc:
		if err == nil {
			t.Error("the running query finished normally")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running query survived shutdown")
	}
}

// drain redeems ticket in the background and reports how the stream ended
// and how many rows it delivered, reading slowly when pause is set.
func drain(ctx context.Context, cl *flightsql.Client, info *flight.FlightInfo, pause chan struct{}) <-chan drained {
	out := make(chan drained, 1)
	go func() {
		var d drained
		rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
		if err == nil {
			for rdr.Next() {
				d.rows += rdr.RecordBatch().NumRows()
				if pause != nil {
					<-pause
					pause = nil
				}
			}
			err = rdr.Err()
			rdr.Release()
		}
		d.err = err
		out <- d
	}()
	return out
}

type drained struct {
	rows int64
	err  error
}

// waitRunning waits until the server has n registered DoGet calls.
func waitRunning(t *testing.T, srv *fsql.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for srv.RunningCalls() != n {
		if time.Now().After(deadline) {
			t.Fatalf("running DoGet calls: %d, want %d", srv.RunningCalls(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func waitDrained(t *testing.T, c <-chan drained) drained {
	t.Helper()
	select {
	case d := <-c:
		return d
	case <-time.After(20 * time.Second):
		t.Fatal("the stream did not end")
	}
	return drained{}
}

// TestCancelFlightInfo: CancelFlightInfo (and the deprecated CancelQuery
// action) stops a running statement, on the row path and while the
// executor's batches stream; the stream ends with Canceled and the server
// keeps serving.
func TestCancelFlightInfo(t *testing.T) {
	ctx := context.Background()
	a, srv := newStack(t).start(t, fsql.Config{Trust: true, BatchRows: 1000})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(400_000, 100_000)
	if _, err := cl.ExecuteIngest(ctx, reader(t, logSchema, recs...), &flightsql.ExecuteIngestOpts{
		Table: "logs", TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend},
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}

	t.Run("row path", func(t *testing.T) {
		info, err := cl.Execute(ctx, endless)
		if err != nil {
			t.Fatal(err)
		}
		done := drain(ctx, cl, info, nil)
		waitRunning(t, srv, 1)
		res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
		if err != nil || res.GetStatus() != flight.CancelStatusCancelled {
			t.Fatalf("CancelFlightInfo: %v, %v", res.GetStatus(), err)
		}
		if d := waitDrained(t, done); status.Code(d.err) != codes.Canceled {
			t.Errorf("cancelled stream ended with %v, want Canceled", d.err)
		}
		waitRunning(t, srv, 0)
		// The same ticket cannot run again after its cancellation.
		if d := waitDrained(t, drain(ctx, cl, info, nil)); status.Code(d.err) != codes.Canceled {
			t.Errorf("redeeming a cancelled ticket: %v, want Canceled", d.err)
		}
	})

	t.Run("deprecated CancelQuery", func(t *testing.T) {
		info, err := cl.Execute(ctx, endless)
		if err != nil {
			t.Fatal(err)
		}
		done := drain(ctx, cl, info, nil)
		waitRunning(t, srv, 1)
		//lint:ignore SA1019 clients still send it
		res, err := cl.CancelQuery(ctx, info)
		if err != nil || res != flightsql.CancelResultCancelled {
			t.Fatalf("CancelQuery: %v, %v", res, err)
		}
		if d := waitDrained(t, done); status.Code(d.err) != codes.Canceled {
			t.Errorf("cancelled stream ended with %v, want Canceled", d.err)
		}
	})

	t.Run("executor batches", func(t *testing.T) {
		info, err := cl.Execute(ctx, "SELECT * FROM logs")
		if err != nil {
			t.Fatal(err)
		}
		pause := make(chan struct{})
		done := drain(ctx, cl, info, pause)
		waitRunning(t, srv, 1)
		res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
		if err != nil || res.GetStatus() != flight.CancelStatusCancelled {
			t.Fatalf("CancelFlightInfo: %v, %v", res.GetStatus(), err)
		}
		close(pause)
		d := waitDrained(t, done)
		if status.Code(d.err) != codes.Canceled || d.rows >= 400_000 {
			t.Errorf("cancelled stream: %d rows, %v; want fewer than 400000 rows and Canceled", d.rows, d.err)
		}
		waitRunning(t, srv, 0)
	})

	t.Run("not cancellable", func(t *testing.T) {
		// A statement without a result ran during GetFlightInfo.
		info, err := cl.Execute(ctx, "SET TimeZone = 'UTC'")
		if err != nil {
			t.Fatal(err)
		}
		res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
		if err != nil || res.GetStatus() != flight.CancelStatusNotCancellable {
			t.Errorf("cancel a finished statement: %v, %v", res.GetStatus(), err)
		}
		ps, err := cl.Prepare(ctx, "SELECT count(*) FROM logs")
		if err != nil {
			t.Fatal(err)
		}
		defer ps.Close(ctx)
		pinfo, err := ps.Execute(ctx)
		if err != nil {
			t.Fatal(err)
		}
		res, err = cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: pinfo})
		if err != nil || res.GetStatus() != flight.CancelStatusNotCancellable {
			t.Errorf("cancel a prepared statement: %v, %v", res.GetStatus(), err)
		}
	})

	// The server keeps serving.
	if _, rows := query(t, cl, "SELECT count(*) FROM logs"); rows[0][0] != int64(400_000) {
		t.Errorf("count after cancellations: %v", rows)
	}
}

// searchWorker runs a search service on bucket and returns its address and
// metrics registry.
func searchWorker(t *testing.T, bucket objstore.Bucket) (string, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	srv, err := search.New(search.Config{Bucket: bucket, Registerer: reg, Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln := listen(t)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("search worker shutdown: %v (a fragment kept running)", err)
		}
		<-done
	})
	return ln.Addr().String(), reg
}

// gauge reads a gauge from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestCancelDistributed: cancelling a statement whose scan runs on a
// search worker stops the worker's fragment too.
func TestCancelDistributed(t *testing.T) {
	ctx := context.Background()
	var reg *prometheus.Registry
	st := newStackWith(t, func(b objstore.Bucket) []string {
		a, r := searchWorker(t, b)
		reg = r
		return []string{a}
	})
	a, srv := st.start(t, fsql.Config{Trust: true, BatchRows: 1000})
	cl := newClient(t, a)
	exec(t, cl, `CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int4, latency_ms float8, msg text)`)
	recs := logBatches(600_000, 100_000)
	if _, err := cl.ExecuteIngest(ctx, reader(t, logSchema, recs...), &flightsql.ExecuteIngestOpts{
		Table: "logs", TableDefinitionOptions: &flightsql.TableDefinitionOptions{IfExists: flightsql.TableDefinitionOptionsTableExistsOptionAppend},
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		r.Release()
	}
	if err := st.ing.Flush(ctx); err != nil { // file sources: distributed
		t.Fatal(err)
	}

	for _, how := range []string{"CancelFlightInfo", "DoGet context"} {
		t.Run(how, func(t *testing.T) {
			info, err := cl.Execute(ctx, "SELECT * FROM logs")
			if err != nil {
				t.Fatal(err)
			}
			callCtx, cancelCall := context.WithCancel(ctx)
			defer cancelCall()
			pause := make(chan struct{})
			done := drain(callCtx, cl, info, pause)
			waitRunning(t, srv, 1)
			deadline := time.Now().Add(20 * time.Second)
			for gauge(t, reg, "openwit_search_fragments_running") == 0 {
				if time.Now().After(deadline) {
					t.Fatal("no fragment running on the search worker")
				}
				time.Sleep(5 * time.Millisecond)
			}
			if how == "CancelFlightInfo" {
				res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: info})
				if err != nil || res.GetStatus() != flight.CancelStatusCancelled {
					t.Fatalf("CancelFlightInfo: %v, %v", res.GetStatus(), err)
				}
			} else {
				cancelCall()
			}
			close(pause)
			if d := waitDrained(t, done); status.Code(d.err) != codes.Canceled || d.rows >= 600_000 {
				t.Errorf("cancelled stream: %d rows, %v; want fewer than 600000 and Canceled", d.rows, d.err)
			}
			deadline = time.Now().Add(20 * time.Second)
			for gauge(t, reg, "openwit_search_fragments_running") != 0 {
				if time.Now().After(deadline) {
					t.Fatal("the search worker's fragment kept running after the cancellation")
				}
				time.Sleep(5 * time.Millisecond)
			}
			waitRunning(t, srv, 0)
		})
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM logs"); rows[0][0] != int64(600_000) {
		t.Errorf("count after cancellations: %v", rows)
	}
}
