package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// The catalog's PostgreSQL primary dies (SIGKILL) under steady ingest and
// queries and its synchronous standby is promoted: the node finds the new
// primary through the multi-host DSN without a restart, keeps publishing,
// answers queries again soon after the promotion, and every acknowledged
// row is queryable exactly once. (Synchronous replication is what makes a
// catalog failover lossless: with an asynchronous standby the last
// committed publishes can vanish, and with them rows whose WAL was already
// truncated. README's deployment notes say so.)
func TestCatalogFailover(t *testing.T) {
	t.Parallel()
	primary := testpg.Start(t)
	primary.CreateDB(t, "cat")
	standby := testpg.StartStandby(t, primary)
	primary.RequireSynchronousStandby(t)
	dsn := fmt.Sprintf("postgres://postgres@127.0.0.1:%d,127.0.0.1:%d/cat?sslmode=disable&target_session_attrs=read-write",
		primary.Port, standby.Port)
	s := testserver.Start(t, testserver.Options{Args: []string{"--catalog", dsn, "--flush-age", "200ms"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE kv (ts timestamptz NOT NULL, key text, batch text, writer int, n int)")

	// Writers insert until stopped; a failed INSERT (none is expected: the
	// write path does not touch the catalog) counts as in flight.
	const writers = 4
	var (
		mu       sync.Mutex
		acked    = map[string]bool{}
		inFlight = map[string]bool{}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for w := range writers {
		wc := testserver.Connect(t, s.DSN())
		wg.Go(func() {
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				default:
				}
				id := batchID(0, w, b)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				_, err := wc.Exec(ctx, crashInsert(0, w, b))
				cancel()
				mu.Lock()
				if err != nil {
					inFlight[id] = true
					t.Logf("writer %d: %s: %v", w, id, err)
				} else {
					acked[id] = true
				}
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	ackedCount := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	publishedFiles := func(dsn string) int {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM openwit_files").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// Let some files be published through the first primary.
	for deadline := time.Now().Add(time.Minute); publishedFiles(primary.DSN("cat")) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("no files published within a minute; log:\n%s", s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	before := ackedCount()
	primary.Kill(t)
	standby.Promote(t)
	promoted := time.Now()
	filesAtPromotion := publishedFiles(standby.DSN("cat"))

	// The cluster continues: a query answers and new files are published
	// on the new primary. The bound is the issue's ("within 10 s of
	// promotion"), generous for the ~1 s reconnect seen here.
	var recovered time.Duration
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var n int64
		err := conn.QueryRow(ctx, "SELECT count(*) FROM kv").Scan(&n)
		cancel()
		if err == nil && publishedFiles(standby.DSN("cat")) > filesAtPromotion {
			recovered = time.Since(promoted)
			break
		}
		if time.Since(promoted) > 10*time.Second {
			t.Fatalf("10s after promotion: query error %v, files %d (at promotion %d); log:\n%s",
				err, publishedFiles(standby.DSN("cat")), filesAtPromotion, s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("recovered %v after promotion; %d batches acknowledged before the kill, %d in all, %d failed",
		recovered.Round(10*time.Millisecond), before, len(acked), len(inFlight))

	// Everything acknowledged is there exactly once, before and after a
	// restart that publishes what is still buffered.
	checkBatches(t, conn, acked, inFlight, nil)
	s.Stop()
	s.Restart()
	checkBatches(t, testserver.Connect(t, s.DSN()), acked, inFlight, nil)
	if t.Failed() {
		t.Logf("server log:\n%s", s.Log())
	}
}
