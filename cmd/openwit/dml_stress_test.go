package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testseed"
	"openwit/internal/testserver"
)

// A randomized test of concurrent writes: INSERT, COPY, UPDATE (IN lists,
// ranges, FROM another table) and DELETE from several connections, while
// the ingester flushes small files, compaction swaps them every 200 ms and
// the catalog refresh (PostgreSQL catalog: every second) lists them. Each
// writer owns a key range, so what the table must hold follows from the
// acknowledged statements alone, whatever the interleaving; readers check
// every state they see against it.

// Sizes of the run: CI runs it under -race on two cores.
const (
	stressWriters = 4
	stressOps     = 20          // statements on kv per writer
	stressSpan    = 1_000_000   // keys per writer: writer w owns [w*span, (w+1)*span)
	stressShards  = 3 * 3600    // ts spreads over three 1h shards
	stressKeyMul  = 7919        // spreads consecutive keys over the shards
	stressTable   = "kv_stress" // the table the model describes
)

var stressBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// stressTS is the time of key's row: a function of the key, so the final
// check covers ts as well.
func stressTS(key int64) time.Time {
	return stressBase.Add(time.Duration(key*stressKeyMul%stressShards) * time.Second)
}

// stressState is one writer's rows as count(*) and sum(v).
type stressState struct{ count, sum int64 }

// stressWriter is one writer's model: its keys and their values after
// the statements acknowledged so far, and the history of its states.
type stressWriter struct {
	id      int
	rng     *rand.Rand
	model   map[int64]int64 // key -> v
	next    int64           // the next fresh key
	op      int64           // the next UPDATE ... FROM batch number
	started atomic.Int64    // statements on kv sent
	done    atomic.Int64    // statements on kv acknowledged (or failed)

	mu     sync.Mutex
	states []stressState // states[k]: after k statements on kv
}

func (w *stressWriter) state() stressState {
	var s stressState
	for _, v := range w.model {
		s.count++
		s.sum += v
	}
	return s
}

// keys returns the writer's live keys, sorted.
func (w *stressWriter) keys() []int64 {
	ks := make([]int64, 0, len(w.model))
	for k := range w.model {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// pick returns up to n distinct live keys, and sometimes a deleted or
// never written one (which changes nothing).
func (w *stressWriter) pick(n int) []int64 {
	ks := w.keys()
	w.rng.Shuffle(len(ks), func(i, j int) { ks[i], ks[j] = ks[j], ks[i] })
	ks = ks[:min(n, len(ks))]
	if w.rng.IntN(3) == 0 {
		ks = append(ks, int64(w.id)*stressSpan+w.next+int64(w.rng.IntN(50)))
	}
	return ks
}

// span returns a key range of the writer's: about width keys from a
// random written one.
func (w *stressWriter) span(width int) (lo, hi int64) {
	base := int64(w.id) * stressSpan
	if w.next == 0 {
		return base, base + int64(width)
	}
	lo = base + w.rng.Int64N(w.next)
	return lo, lo + int64(w.rng.IntN(width)+1)
}

// fresh returns n fresh keys of the writer's and their values, and adds
// them to the model (an INSERT or COPY of them must succeed).
func (w *stressWriter) fresh(n int) (keys, vals []int64) {
	for range n {
		k := int64(w.id)*stressSpan + w.next
		w.next++
		v := w.rng.Int64N(1000)
		w.model[k] = v
		keys, vals = append(keys, k), append(vals, v)
	}
	return keys, vals
}

func inList(keys []int64) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = strconv.FormatInt(k, 10)
	}
	return strings.Join(s, ", ")
}

// TestConcurrentWritesKeepEveryRowOnce: writers with disjoint key ranges
// run a seeded mix of INSERT, COPY, UPDATE ... WHERE key IN / BETWEEN,
// UPDATE ... FROM and DELETE, each checking its command tag against its
// model, while readers check that no key is ever read twice and that each
// writer's rows (count, sum) are a state between the statements it had
// acknowledged when the read began and those it had sent when the read
// ended (an exact check of each writer's count(*) and sum(v), not only
// bounds: its statements run one at a time). At the end, and after a
// SIGKILL and a restart, every row equals the model.
func TestConcurrentWritesKeepEveryRowOnce(t *testing.T) {
	t.Parallel()
	seed := testseed.Seed(t)
	pg := testpg.Start(t)
	s := testserver.Start(t, testserver.Options{Args: []string{"--catalog", pg.CreateDB(t, "owcatalog"),
		"--flush-rows", "100", "--flush-age", "300ms", "--compaction-interval", "200ms", "--garbage-grace", "1h"}})
	conn := testserver.Connect(t, s.DSN())
	mustExec(t, conn, "CREATE TABLE "+stressTable+" (ts timestamptz NOT NULL, key bigint, v bigint)")
	mustExec(t, conn, "CREATE TABLE "+stressTable+"_adds (ts timestamptz NOT NULL, op bigint, key bigint, add bigint)")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var failed atomic.Bool
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(format, args...)
		failed.Store(true)
		cancel()
	}
	writers := make([]*stressWriter, stressWriters)
	for i := range writers {
		writers[i] = &stressWriter{id: i, rng: rand.New(rand.NewPCG(seed, uint64(i))), model: map[int64]int64{},
			states: []stressState{{}}}
	}

	var readers, writing sync.WaitGroup
	stop := make(chan struct{})
	var reads, lostSwaps atomic.Int64
	for r := range 2 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			rc, err := pgx.Connect(ctx, s.DSN())
			if err != nil {
				fail("reader %d: connect: %v", r, err)
				return
			}
			defer rc.Close(context.Background())
			for {
				select {
				case <-stop:
					return
				case <-ctx.Done():
					return
				default:
				}
				if r == 0 {
					stressReadStates(ctx, rc, writers, fail)
				} else {
					stressReadDuplicates(ctx, rc, fail)
				}
				reads.Add(1)
				time.Sleep(5 * time.Millisecond) // leave the writers some CPU
			}
		}()
	}
	for _, w := range writers {
		writing.Add(1)
		go func() {
			defer writing.Done()
			wc, err := pgx.Connect(ctx, s.DSN())
			if err != nil {
				fail("writer %d: connect: %v", w.id, err)
				return
			}
			defer wc.Close(context.Background())
			for range stressOps {
				if ctx.Err() != nil {
					return
				}
				if !stressStep(ctx, wc, w, &lostSwaps, fail) {
					return
				}
			}
		}()
	}
	writing.Wait()
	close(stop)
	readers.Wait()
	if failed.Load() {
		log := s.Log()
		t.Fatalf("failed (seed %d); end of the server log:\n%s", seed, log[max(0, len(log)-20000):])
	}
	t.Logf("%d reads during %d statements; %d statements gave up after lost swaps", reads.Load(), stressWriters*stressOps, lostSwaps.Load())

	check := func(what string) {
		t.Helper()
		c := testserver.Connect(t, s.DSN())
		defer c.Close(t.Context())
		stressCheckRows(t, c, writers, what, seed)
	}
	check("the last statement")
	// The writes ran while compaction swapped files: at least one round
	// merged files (the flushes leave many small ones).
	merged := waitMetric(t, s.HTTPURL(), "openwit_compaction_output_files_total", func(v float64) bool { return v >= 1 })
	t.Logf("%v compacted files written", merged)
	conn.Close(t.Context())
	// Killed right after the checks: rows still buffered come back from
	// the WAL, none a second time.
	s.Kill()
	s.Restart()
	check("a SIGKILL and a restart")
}

// stressStep runs one random statement of w on kv and checks its tag
// against w's model; it returns false after a failure.
func stressStep(ctx context.Context, c *pgx.Conn, w *stressWriter, lostSwaps *atomic.Int64, fail func(string, ...any)) bool {
	var sql, want, copyText string
	var apply func() // UPDATE and DELETE: the model's change, once acknowledged
	switch r := w.rng.IntN(100); {
	case r < 25 || len(w.model) < 20: // INSERT
		keys, vals := w.fresh(20 + w.rng.IntN(60))
		var sb strings.Builder
		fmt.Fprintf(&sb, "INSERT INTO %s (ts, key, v) VALUES ", stressTable)
		for i, k := range keys {
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "('%s', %d, %d)", stressTS(k).Format(time.RFC3339), k, vals[i])
		}
		sql, want = sb.String(), fmt.Sprintf("INSERT 0 %d", len(keys))
	case r < 35: // COPY FROM STDIN
		keys, vals := w.fresh(20 + w.rng.IntN(60))
		var sb strings.Builder
		for i, k := range keys {
			fmt.Fprintf(&sb, "%s\t%d\t%d\n", stressTS(k).Format("2006-01-02 15:04:05-07"), k, vals[i])
		}
		sql, copyText, want = fmt.Sprintf("COPY %s (ts, key, v) FROM STDIN", stressTable), sb.String(), fmt.Sprintf("COPY %d", len(keys))
	case r < 50: // UPDATE ... WHERE key IN
		keys, add := w.pick(1+w.rng.IntN(12)), 1+w.rng.Int64N(9)
		n := 0
		for _, k := range keys {
			if _, ok := w.model[k]; ok {
				n++
			}
		}
		sql, want = fmt.Sprintf("UPDATE %s SET v = v + %d WHERE key IN (%s)", stressTable, add, inList(keys)), fmt.Sprintf("UPDATE %d", n)
		apply = func() {
			for _, k := range keys {
				if _, ok := w.model[k]; ok {
					w.model[k] += add
				}
			}
		}
	case r < 60: // UPDATE ... WHERE key BETWEEN
		lo, hi := w.span(40)
		add := 1 + w.rng.Int64N(9)
		n := 0
		for k := range w.model {
			if k >= lo && k <= hi {
				n++
			}
		}
		sql, want = fmt.Sprintf("UPDATE %s SET v = v + %d WHERE key BETWEEN %d AND %d", stressTable, add, lo, hi), fmt.Sprintf("UPDATE %d", n)
		apply = func() {
			for k := range w.model {
				if k >= lo && k <= hi {
					w.model[k] += add
				}
			}
		}
	case r < 75: // UPDATE ... FROM the other table
		keys := w.pick(1 + w.rng.IntN(12))
		op := int64(w.id)*stressSpan + w.op
		w.op++
		adds := make([]int64, len(keys))
		var sb strings.Builder
		fmt.Fprintf(&sb, "INSERT INTO %s_adds VALUES ", stressTable)
		n := 0
		for i, k := range keys {
			adds[i] = 1 + w.rng.Int64N(100)
			if i > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "('%s', %d, %d, %d)", stressTS(k).Format(time.RFC3339), op, k, adds[i])
			if _, ok := w.model[k]; ok {
				n++
			}
		}
		// Not a statement on kv: readers' bounds do not count it.
		if _, err := c.Exec(ctx, sb.String()); err != nil {
			if ctx.Err() == nil {
				fail("writer %d: %s: %v", w.id, abbrev(sb.String()), err)
			}
			return false
		}
		sql = fmt.Sprintf("UPDATE %[1]s SET v = %[1]s.v + a.add FROM %[1]s_adds a WHERE %[1]s.key = a.key AND a.op = %[2]d", stressTable, op)
		want = fmt.Sprintf("UPDATE %d", n)
		apply = func() {
			for i, k := range keys {
				if _, ok := w.model[k]; ok {
					w.model[k] += adds[i]
				}
			}
		}
	default: // DELETE
		var keys []int64
		if w.rng.IntN(2) == 0 {
			lo, hi := w.span(30)
			for k := range w.model {
				if k >= lo && k <= hi {
					keys = append(keys, k)
				}
			}
			sql = fmt.Sprintf("DELETE FROM %s WHERE key BETWEEN %d AND %d", stressTable, lo, hi)
		} else {
			picked := w.pick(1 + w.rng.IntN(12))
			for _, k := range picked {
				if _, ok := w.model[k]; ok {
					keys = append(keys, k)
				}
			}
			sql = fmt.Sprintf("DELETE FROM %s WHERE key IN (%s)", stressTable, inList(picked))
		}
		want = fmt.Sprintf("DELETE %d", len(keys))
		apply = func() {
			for _, k := range keys {
				delete(w.model, k)
			}
		}
	}
	before := w.states[len(w.states)-1] // only w appends to states
	w.started.Add(1)
	var got string
	var err error
	if copyText != "" {
		tag, e := c.PgConn().CopyFrom(ctx, strings.NewReader(copyText), sql)
		got, err = tag.String(), e
	} else {
		tag, e := c.Exec(ctx, sql)
		got, err = tag.String(), e
	}
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		// An UPDATE or DELETE that lost every swap to concurrent changes
		// (55P03) changes nothing; it is not what this test looks for.
		if pgCode(err) != "55P03" || apply == nil {
			fail("writer %d: %s: %v", w.id, abbrev(sql), err)
			return false
		}
		lostSwaps.Add(1)
		w.mu.Lock()
		w.states = append(w.states, before)
		w.mu.Unlock()
		w.done.Add(1)
		return true
	}
	if got != want {
		fail("writer %d: %s: tag %q, want %q", w.id, abbrev(sql), got, want)
		return false
	}
	if apply != nil {
		apply()
	}
	st := w.state()
	w.mu.Lock()
	w.states = append(w.states, st)
	w.mu.Unlock()
	w.done.Add(1)
	return true
}

// stressReadStates reads each writer's (count, sum) in one query and
// checks it is a state of the writer's between the statements
// acknowledged before the query and those sent before it returned.
func stressReadStates(ctx context.Context, c *pgx.Conn, writers []*stressWriter, fail func(string, ...any)) {
	lo := make([]int64, len(writers))
	for i, w := range writers {
		lo[i] = w.done.Load()
	}
	rows, err := c.Query(ctx, fmt.Sprintf("SELECT key / %d, count(*), count(DISTINCT key), sum(v) FROM %s GROUP BY 1", stressSpan, stressTable))
	if err != nil {
		if ctx.Err() == nil {
			fail("read states: %v", err)
		}
		return
	}
	got := map[int64]stressState{}
	for rows.Next() {
		var w, n, keys, sum int64
		if err := rows.Scan(&w, &n, &keys, &sum); err != nil {
			fail("read states: %v", err)
			return
		}
		if keys != n {
			fail("writer %d's rows: %d rows, %d distinct keys: a row read twice", w, n, keys)
		}
		got[w] = stressState{n, sum}
	}
	if err := rows.Err(); err != nil {
		if ctx.Err() == nil {
			fail("read states: %v", err)
		}
		return
	}
	for i, w := range writers {
		// The state a statement in flight leaves is known once it is
		// acknowledged: wait for it (the writers go on regardless).
		hi := w.started.Load()
		for w.done.Load() < hi {
			if ctx.Err() != nil {
				return
			}
			time.Sleep(time.Millisecond)
		}
		w.mu.Lock()
		allowed := slices.Clone(w.states[lo[i] : hi+1])
		w.mu.Unlock()
		if g := got[int64(i)]; !slices.Contains(allowed, g) {
			fail("writer %d's rows read as %+v: not a state between statements %d and %d %v", i, g, lo[i], hi, allowed)
		}
	}
}

// stressReadDuplicates checks that no key is read twice.
func stressReadDuplicates(ctx context.Context, c *pgx.Conn, fail func(string, ...any)) {
	var dups []int64
	rows, err := c.Query(ctx, fmt.Sprintf("SELECT key FROM %s GROUP BY key HAVING count(*) > 1", stressTable))
	if err == nil {
		dups, err = pgx.CollectRows(rows, pgx.RowTo[int64])
	}
	if err != nil {
		if ctx.Err() == nil {
			fail("read duplicates: %v", err)
		}
		return
	}
	if len(dups) > 0 {
		fail("%d keys read more than once: %v", len(dups), dups[:min(len(dups), 10)])
	}
}

// stressCheckRows compares every row of kv with the writers' models.
func stressCheckRows(t *testing.T, c *pgx.Conn, writers []*stressWriter, what string, seed uint64) {
	t.Helper()
	want := map[int64]int64{}
	for _, w := range writers {
		for k, v := range w.model {
			want[k] = v
		}
	}
	rows, err := c.Query(t.Context(), fmt.Sprintf("SELECT key, v, ts FROM %s", stressTable))
	if err != nil {
		t.Fatalf("after %s: %v", what, err)
	}
	seen := map[int64]bool{}
	var errs []string
	for rows.Next() {
		var k, v int64
		var ts time.Time
		if err := rows.Scan(&k, &v, &ts); err != nil {
			t.Fatalf("after %s: %v", what, err)
		}
		wv, ok := want[k]
		switch {
		case seen[k]:
			errs = append(errs, fmt.Sprintf("key %d read twice", k))
		case !ok:
			errs = append(errs, fmt.Sprintf("key %d (v %d) should not be there", k, v))
		case v != wv:
			errs = append(errs, fmt.Sprintf("key %d: v %d, want %d", k, v, wv))
		case !ts.Equal(stressTS(k)):
			errs = append(errs, fmt.Sprintf("key %d: ts %s, want %s", k, ts, stressTS(k)))
		}
		seen[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("after %s: %v", what, err)
	}
	for k := range want {
		if !seen[k] {
			errs = append(errs, fmt.Sprintf("key %d lost", k))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		t.Fatalf("after %s (seed %d): %d rows wrong, e.g.\n%s", what, seed, len(errs), strings.Join(errs[:min(len(errs), 20)], "\n"))
	}
	t.Logf("after %s: %d rows as the model says", what, len(want))
}
