package flightsql_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	fsql "openwit/gateway/flightsql"
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
