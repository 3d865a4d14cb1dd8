package main

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

const (
	crashWriters   = 8
	crashBatchRows = 50
	// crashMaxBatches bounds one writer's batches per cycle, so a fast
	// machine does not pile up rows; the kill normally comes first.
	crashMaxBatches = 300
)

// crashBase is the time of row 0; row r of a batch is r*5 minutes later, so
// every batch spans five 1h time shards and is split into five parts.
var crashBase = time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)

// crashInsert renders one batch as a multi-row INSERT with literal values
// (sent with the simple protocol). This test is about durability; parameter
// handling is TestPgxExtendedProtocol's.
func crashInsert(cycle, writer, batch int) string {
	id := batchID(cycle, writer, batch)
	var b strings.Builder
	b.WriteString("INSERT INTO kv (ts, key, batch, writer, n) VALUES ")
	for r := range crashBatchRows {
		if r > 0 {
			b.WriteString(", ")
		}
		ts := crashBase.Add(time.Duration(r)*5*time.Minute + time.Duration(writer)*time.Second + time.Duration(batch)*time.Millisecond)
		fmt.Fprintf(&b, "('%s', '%s', '%s', %d, %d)", ts.Format("2006-01-02 15:04:05.999999Z07:00"), rowKey(id, r), id, writer, r)
	}
	return b.String()
}

func batchID(cycle, writer, batch int) string {
	return fmt.Sprintf("c%d-w%d-b%d", cycle, writer, batch)
}

func rowKey(batch string, row int) string { return fmt.Sprintf("%s-r%d", batch, row) }

// writerResult is what one writer knows after the server died under it.
type writerResult struct {
	acked    []string // batches whose INSERT returned nil
	inFlight string   // the batch whose INSERT failed ("" if none)
	err      error    // that failure
}

// runWriter inserts batches until an INSERT fails (the server died) or
// crashMaxBatches is reached.
func runWriter(conn *pgx.Conn, cycle, writer int, ackCount *atomic.Int64) writerResult {
	var res writerResult
	for b := range crashMaxBatches {
		id := batchID(cycle, writer, b)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := conn.Exec(ctx, crashInsert(cycle, writer, b))
		cancel()
		if err != nil {
			res.inFlight, res.err = id, err
			return res
		}
		res.acked = append(res.acked, id)
		ackCount.Add(1)
	}
	return res
}

// crashLoad runs the writers against s for about d (and at least until one
// batch is acknowledged) and then ends the server with end (s.Kill or s.Stop)
// while they are still writing. It returns the writers' results.
func crashLoad(tb testing.TB, s *testserver.Server, cycle int, d time.Duration, end func()) []writerResult {
	tb.Helper()
	conns := make([]*pgx.Conn, crashWriters)
	for w := range conns {
		conns[w] = testserver.Connect(tb, s.DSN())
	}
	results := make([]writerResult, crashWriters)
	var acks atomic.Int64
	var wg sync.WaitGroup
	for w := range crashWriters {
		wg.Go(func() { results[w] = runWriter(conns[w], cycle, w, &acks) })
	}
	// The duration only sets how much load the end lands in; nothing is
	// asserted about time. A slow machine still gets one acknowledgement.
	time.Sleep(d)
	for deadline := time.Now().Add(60 * time.Second); acks.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	files, _ := filepath.Glob(filepath.Join(s.DataDir, "objects", "tables", "*", "*", "*.parquet"))
	end()
	wg.Wait()
	var acked int
	for _, r := range results {
		acked += len(r.acked)
	}
	tb.Logf("cycle %d: server ended after %v with %d acknowledged batches this cycle, %d Parquet files before", cycle, d, acked, len(files))
	return results
}

// checkBatches verifies the table against what the writers were told:
// every acknowledged batch is present and whole, no key appears twice, every
// present batch is whole, and a batch that was never acknowledged is present
// only if it was in flight at the last kill. seen holds the batches found by
// the previous check: they must all still be there, and an unacknowledged
// batch that was absent then must stay absent. It returns the batches found.
func checkBatches(tb testing.TB, conn *pgx.Conn, acked, inFlight, seen map[string]bool) map[string]bool {
	tb.Helper()
	type kb struct{ key, batch string }
	all := queryRows(tb, conn, "SELECT key, batch FROM kv", func(r pgx.CollectableRow) (kb, error) {
		var v kb
		err := r.Scan(&v.key, &v.batch)
		return v, err
	})
	keys := map[string]int{}
	byBatch := map[string]map[string]bool{}
	for _, v := range all {
		keys[v.key]++
		if byBatch[v.batch] == nil {
			byBatch[v.batch] = map[string]bool{}
		}
		byBatch[v.batch][v.key] = true
	}
	var dups []string
	for k, n := range keys {
		if n > 1 {
			dups = append(dups, fmt.Sprintf("%s×%d", k, n))
		}
	}
	if len(dups) > 0 {
		slices.Sort(dups)
		tb.Errorf("%d keys appear more than once, e.g. %q", len(dups), dups[:min(len(dups), 10)])
	}
	present := map[string]bool{}
	for batch, ks := range byBatch {
		present[batch] = true
		complete := len(ks) == crashBatchRows
		for r := range crashBatchRows {
			complete = complete && ks[rowKey(batch, r)]
		}
		if !complete {
			tb.Errorf("batch %s is partial: %d of %d keys present", batch, len(ks), crashBatchRows)
		}
		if !acked[batch] && !inFlight[batch] && !seen[batch] {
			tb.Errorf("batch %s is present but was neither acknowledged nor in flight at the last kill", batch)
		}
	}
	var missing []string
	for batch := range acked {
		if !present[batch] {
			missing = append(missing, batch)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		tb.Errorf("%d acknowledged batches are missing, e.g. %q", len(missing), missing[:min(len(missing), 10)])
	}
	for batch := range seen {
		if !present[batch] {
			tb.Errorf("batch %s was present after an earlier restart and is gone now", batch)
		}
	}

	// The same through aggregates, as an operator would check.
	type kc struct {
		k string
		n int64
	}
	scanKC := func(r pgx.CollectableRow) (kc, error) {
		var v kc
		err := r.Scan(&v.k, &v.n)
		return v, err
	}
	if d := queryRows(tb, conn, "SELECT key, count(*) FROM kv GROUP BY key HAVING count(*) > 1", scanKC); len(d) > 0 {
		tb.Errorf("GROUP BY key HAVING count(*) > 1 returned %d rows, e.g. %v", len(d), d[:min(len(d), 10)])
	}
	counts := queryRows(tb, conn, "SELECT batch, count(*) FROM kv GROUP BY batch", scanKC)
	if len(counts) != len(present) {
		tb.Errorf("GROUP BY batch returned %d batches, a full scan found %d", len(counts), len(present))
	}
	for _, c := range counts {
		if c.n != crashBatchRows {
			tb.Errorf("GROUP BY batch: batch %s has %d rows, want %d", c.k, c.n, crashBatchRows)
		}
	}
	return present
}

func TestServeKillDuringInserts(t *testing.T) {
	t.Parallel()
	s := testserver.Start(t, testserver.Options{Args: []string{"--flush-age", "300ms"}})
	mustExec(t, testserver.Connect(t, s.DSN()), "CREATE TABLE kv (ts timestamptz NOT NULL, key text, batch text, writer int, n int)")

	acked, seen := map[string]bool{}, map[string]bool{}
	cycles := []struct {
		load time.Duration
		end  func() // how the server ends under load
	}{
		// The first kill normally lands before the first flush of the table
		// is due (its oldest row is younger than --flush-age), the next ones
		// after several publishes, with newer rows still only in the WAL.
		// The last cycle ends with SIGTERM under load: s.Stop fails the test
		// unless the exit code is 0.
		{250 * time.Millisecond, s.Kill},
		{1500 * time.Millisecond, s.Kill},
		{1500 * time.Millisecond, s.Kill},
		{1000 * time.Millisecond, s.Stop},
	}
	for cycle, c := range cycles {
		var ackedThisCycle int
		inFlight := map[string]bool{}
		for _, r := range crashLoad(t, s, cycle, c.load, c.end) {
			for _, b := range r.acked {
				acked[b] = true
			}
			ackedThisCycle += len(r.acked)
			if r.inFlight != "" {
				inFlight[r.inFlight] = true
			}
		}
		if ackedThisCycle == 0 {
			t.Fatalf("cycle %d: no batch was acknowledged before the server ended", cycle)
		}
		s.Restart()
		seen = checkBatches(t, testserver.Connect(t, s.DSN()), acked, inFlight, seen)
		if t.Failed() {
			t.Fatalf("cycle %d: inconsistent after restart; log:\n%s", cycle, s.Log())
		}
		var recovered int
		for b := range inFlight {
			if seen[b] {
				recovered++
			}
		}
		t.Logf("cycle %d: %d batches present after restart; %d writers were inside an INSERT at the end, %d of those batches present",
			cycle, len(seen), len(inFlight), recovered)
	}

	// A clean stop publishes everything; the next start replays nothing.
	s.Stop()
	s.Restart()
	before := maps.Clone(seen)
	seen = checkBatches(t, testserver.Connect(t, s.DSN()), acked, nil, seen)
	if len(seen) != len(before) {
		t.Errorf("after a clean restart %d batches are present, before it %d", len(seen), len(before))
	}
	_, body := httpGet(t, s.HTTPURL()+"/metrics")
	if v, ok := metricValue(body, "openwit_ingest_buffered_rows"); !ok || v != 0 {
		t.Errorf("after SIGTERM and restart openwit_ingest_buffered_rows = %v (found %v), want 0", v, ok)
	}
	// A race-enabled server (go test -race) reports races on stderr; the
	// killed ones never reach the exit status that s.Stop checks.
	if log := s.Log(); strings.Contains(log, "WARNING: DATA RACE") {
		t.Errorf("the server reported a data race:\n%s", log)
	}
}
