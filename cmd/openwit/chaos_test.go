package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"google.golang.org/grpc/codes"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
	"openwit/storage/catalog"
)

// The chaos test's load and length. OPENWIT_CHAOS_DURATION (a Go duration)
// runs the chaos phase longer locally; OPENWIT_CHAOS_SEED replays a run.
const (
	chaosWriters   = 4
	chaosReaders   = 3
	chaosBatchRows = 20
	chaosDuration  = 45 * time.Second
)

// chaosBase is the time of the first row; rows spread over chaosHours
// one-hour shards, so every flush hands several shards off.
var chaosBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

const chaosHours = 4

// chaosCluster is the cluster of TestChaos: a proxy, two front nodes
// (gateway,coordinator,control), one storage node, three search workers,
// one etcd member, a shared PostgreSQL catalog and object store. Every
// node gossips through the storage node, which is never killed.
type chaosCluster struct {
	proxy   *testserver.Server
	fronts  []*testserver.Server
	store   *testserver.Server
	workers []*testserver.Server
	cat     catalog.Catalog
}

// all returns every node.
func (c *chaosCluster) all() []*testserver.Server {
	return slices.Concat([]*testserver.Server{c.store}, c.fronts, c.workers, []*testserver.Server{c.proxy})
}

func startChaosCluster(t *testing.T) *chaosCluster {
	t.Helper()
	etcd := startEtcdCluster(t, 1)
	pg := testpg.Start(t)
	dsn := pg.CreateDB(t, "chaos")
	objects := "file://" + filepath.Join(t.TempDir(), "objects")
	seed := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	gossip := func() []string {
		return []string{"--gossip-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)), "--join", seed}
	}
	shared := []string{"--catalog", dsn, "--object-store", objects, "--etcd-endpoints", etcd[0].client,
		"--control-lease-ttl", "4s"}
	c := &chaosCluster{}
	var err error
	if c.cat, err = catalog.Open(t.Context(), dsn); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.cat.Close() })
	// Launched together, they come up in parallel; gossip joins are
	// retried until the seed answers.
	storeAddr := fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t))
	c.store = testserver.Launch(t, testserver.Options{Args: append([]string{"--roles", "storage", "--node-id", "store",
		"--storage-addr", storeAddr, "--gossip-addr", seed}, shared...)})
	for i := range 2 {
		c.fronts = append(c.fronts, testserver.Launch(t, testserver.Options{Args: slices.Concat([]string{
			"--roles", "gateway,coordinator,control", "--node-id", fmt.Sprintf("front%d", i),
			"--storage-nodes", storeAddr, "--flush-age", "300ms", "--compaction-interval", "2s"}, gossip(), shared)}))
	}
	for range 3 {
		c.workers = append(c.workers, testserver.Launch(t, testserver.Options{Args: slices.Concat([]string{
			"--roles", "search", "--search-addr", fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(t)),
			"--object-store", objects}, gossip())}))
	}
	c.proxy = testserver.Launch(t, testserver.Options{Args: append([]string{"--roles", "proxy"}, gossip()...)})
	for _, s := range c.all() {
		s.WaitReady()
	}
	// The proxy routes to both front nodes, and both would use the three
	// workers, before the load starts.
	waitFor(t, "the proxy sees both front nodes", c.proxy, func() bool {
		_, body := httpGet(t, c.proxy.HTTPURL()+"/metrics")
		up0, _ := metricValue(body, `openwit_proxy_gateway_up{gateway="front0"}`)
		up1, _ := metricValue(body, `openwit_proxy_gateway_up{gateway="front1"}`)
		return up0 == 1 && up1 == 1
	})
	for _, f := range c.fronts {
		waitMetric(t, f.HTTPURL(), "openwit_search_workers", func(v float64) bool { return v == 3 })
	}
	return c
}

// chaosLedger is what the writers were told: acknowledged batches, and
// batches whose outcome is unknown (the connection died inside the INSERT).
type chaosLedger struct {
	mu       sync.Mutex
	acked    map[int64]bool
	unknown  map[int64]bool
	byWriter [chaosWriters + 1]int // acknowledged batches per writer
	failed   []string              // INSERTs refused with an error that is not a lost connection
}

// chaosInsert renders batch b: ids b*chaosBatchRows.., spread over the
// shards, written by writer w.
func chaosInsert(b int64, w int) string {
	var sb strings.Builder
	sb.WriteString("INSERT INTO chaos (ts, id, w) VALUES ")
	for r := range int64(chaosBatchRows) {
		if r > 0 {
			sb.WriteString(", ")
		}
		id := b*chaosBatchRows + r
		ts := chaosBase.Add(time.Duration(id%chaosHours)*time.Hour + time.Duration(id)*time.Millisecond)
		fmt.Fprintf(&sb, "('%s', %d, %d)", ts.Format(time.RFC3339Nano), id, w)
	}
	return sb.String()
}

// connLost reports whether err means the session is gone and a client
// should open a new connection and try again. This is what the product
// documents (coordinator/proxy/doc.go, README): a session whose gateway dies
// gets FATAL 08006 (class 08, connection exception) from the proxy; a
// gateway shutting down sends 57P01; a proxy with no gateway up refuses
// the connection with FATAL 57P03; a gateway that is down refuses the TCP
// connection. A read-only query on such a connection may simply be run
// again. An INSERT on it has an unknown outcome: it may have been
// acknowledged to nobody, so a writer must not retry it under the same ids
// (it would be the client that duplicates) — here it moves on to new ids
// and the batch may or may not be present.
func connLost(conn *pgx.Conn, err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	// No ErrorResponse: the connection broke under the client.
	return conn == nil || conn.IsClosed()
}

// dialChaos connects until it succeeds or stop is closed.
func dialChaos(stop <-chan struct{}, dsn func() string) *pgx.Conn {
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		conn, err := pgx.Connect(ctx, dsn())
		cancel()
		if err == nil {
			return conn
		}
		select {
		case <-stop:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// chaosWriter inserts batches until stop is closed, through dsn (the proxy
// or one front node), and records each outcome in the ledger.
func chaosWriter(w int, next *atomic.Int64, stop <-chan struct{}, dsn func() string, l *chaosLedger) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for {
		select {
		case <-stop:
			return
		default:
		}
		if conn == nil {
			if conn = dialChaos(stop, dsn); conn == nil {
				return
			}
		}
		b := next.Add(1)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		_, err := conn.Exec(ctx, chaosInsert(b, w))
		cancel()
		l.mu.Lock()
		switch {
		case err == nil:
			l.acked[b] = true
			l.byWriter[w]++
		case connLost(conn, err):
			l.unknown[b] = true
		default:
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "53000" { // backpressure: nothing written, may retry
				l.mu.Unlock()
				time.Sleep(100 * time.Millisecond)
				continue
			}
			l.unknown[b] = true
			l.failed = append(l.failed, fmt.Sprintf("writer %d batch %d: %v", w, b, err))
		}
		l.mu.Unlock()
		if err != nil && connLost(conn, err) {
			conn.Close(context.Background())
			conn = nil
		}
	}
}

// chaosSchema is the Arrow schema of table chaos.
var chaosSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "w", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
}, nil)

// chaosRecord is batch b as an Arrow record (the rows of chaosInsert).
func chaosRecord(b int64, w int) arrow.RecordBatch {
	rb := array.NewRecordBuilder(memory.DefaultAllocator, chaosSchema)
	defer rb.Release()
	for r := range int64(chaosBatchRows) {
		id := b*chaosBatchRows + r
		ts := chaosBase.Add(time.Duration(id%chaosHours)*time.Hour + time.Duration(id)*time.Millisecond)
		rb.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(ts.UnixMicro()))
		rb.Field(1).(*array.Int64Builder).Append(id)
		rb.Field(2).(*array.Int32Builder).Append(int32(w))
	}
	return rb.NewRecordBatch()
}

// chaosFlightWriter writes batches over ADBC bulk ingest (Flight SQL)
// through the proxy, one batch per ingest: a batch is one WAL record,
// acknowledged when ExecuteUpdate returns. The Flight SQL analogue of
// connLost is gRPC Unavailable (ADBC StatusIO): the proxy closes a
// client's connection when its gateway dies, and the client opens a new
// one; the batch in flight has an unknown outcome. ResourceExhausted
// (backpressure) wrote nothing and is retried.
func chaosFlightWriter(w int, next *atomic.Int64, stop <-chan struct{}, uri string, l *chaosLedger) {
	var db adbc.Database
	var cn adbc.Connection
	closeConn := func() {
		if cn != nil {
			cn.Close()
			cn = nil
		}
		if db != nil {
			db.Close()
			db = nil
		}
	}
	defer closeConn()
	ingest := func(b int64) error {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		if cn == nil {
			var err error
			if db, err = adbcfsql.NewDriver(memory.DefaultAllocator).NewDatabase(map[string]string{adbc.OptionKeyURI: uri}); err != nil {
				return err
			}
			if cn, err = db.Open(ctx); err != nil {
				return err
			}
		}
		st, err := cn.NewStatement()
		if err != nil {
			return err
		}
		defer st.Close()
		for k, v := range map[string]string{adbc.OptionKeyIngestTargetTable: "chaos", adbc.OptionKeyIngestMode: adbc.OptionValueIngestModeAppend} {
			if err := st.SetOption(k, v); err != nil {
				return err
			}
		}
		rec := chaosRecord(b, w)
		defer rec.Release()
		rdr, err := array.NewRecordReader(chaosSchema, []arrow.RecordBatch{rec})
		if err != nil {
			return err
		}
		defer rdr.Release()
		if err := st.BindStream(ctx, rdr); err != nil {
			return err
		}
		n, err := st.ExecuteUpdate(ctx)
		if err == nil && n != chaosBatchRows {
			return fmt.Errorf("bulk ingest answered %d rows, want %d", n, chaosBatchRows)
		}
		return err
	}
	for {
		select {
		case <-stop:
			return
		default:
		}
		b := next.Add(1)
		err := ingest(b)
		var ae adbc.Error
		isAE := errors.As(err, &ae)
		switch {
		case err == nil:
			l.mu.Lock()
			l.acked[b] = true
			l.byWriter[w]++
			l.mu.Unlock()
		case isAE && codes.Code(ae.VendorCode) == codes.ResourceExhausted:
			time.Sleep(100 * time.Millisecond) // nothing written
		case isAE && ae.Code == adbc.StatusIO:
			l.mu.Lock()
			l.unknown[b] = true
			l.mu.Unlock()
			closeConn()
			time.Sleep(100 * time.Millisecond)
		default:
			l.mu.Lock()
			l.unknown[b] = true
			l.failed = append(l.failed, fmt.Sprintf("flight writer %d batch %d: %v", w, b, err))
			l.mu.Unlock()
			closeConn()
		}
	}
}

// chaosReads counts the readers' queries.
type chaosReads struct {
	ok, retried atomic.Int64
	mu          sync.Mutex
	failed      []string // failed after the retries, or a wrong answer
	// doubled are answers in which some row showed twice while the
	// cluster healed: a known bug (docs/design/023-chaos.md), a failure
	// only with OPENWIT_CHAOS_STRICT=1 until it is fixed.
	doubled []string
}

// chaosQueries are the readers' aggregate queries. The first checks that
// no row is visible twice in one answer.
var chaosQueries = []string{
	"SELECT count(*), count(DISTINCT id) FROM chaos",
	"SELECT date_trunc('hour', ts) AS h, count(*), min(id), max(id) FROM chaos GROUP BY 1 ORDER BY 1",
	"SELECT w, count(*), sum(id) FROM chaos WHERE id % 7 <> 3 GROUP BY w ORDER BY w",
}

// chaosReadAttempts bounds a query's attempts: each lost connection costs
// one, and a client reconnects through the proxy, which sends it to a live
// front node.
const chaosReadAttempts = 10

// chaosReader runs the queries through the proxy until stop is closed.
func chaosReader(r int, stop <-chan struct{}, dsn string, reads *chaosReads) {
	var conn *pgx.Conn
	defer func() {
		if conn != nil {
			conn.Close(context.Background())
		}
	}()
	for i := r; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		q := chaosQueries[i%len(chaosQueries)]
		var errs []string
		done := false
		for attempt := 0; attempt < chaosReadAttempts && !done; attempt++ {
			if attempt > 0 {
				reads.retried.Add(1)
				time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
			}
			if conn == nil {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c, err := pgx.Connect(ctx, dsn)
				cancel()
				if err != nil {
					errs = append(errs, "connect: "+err.Error())
					continue
				}
				conn = c
			}
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			rows, err := conn.Query(ctx, q, pgx.QueryResultFormats{pgx.TextFormatCode})
			var got [][]string
			if err == nil {
				for rows.Next() {
					var row []string
					for _, v := range rows.RawValues() {
						row = append(row, string(v))
					}
					got = append(got, row)
				}
				rows.Close()
				err = rows.Err()
			}
			cancel()
			if err == nil {
				done = true
				reads.ok.Add(1)
				if i%len(chaosQueries) == 0 && (len(got) != 1 || got[0][0] != got[0][1]) {
					reads.mu.Lock()
					reads.doubled = append(reads.doubled, fmt.Sprintf("reader %d: %q answered %v: some row is visible twice", r, q, got))
					reads.mu.Unlock()
				}
				break
			}
			errs = append(errs, err.Error())
			if !connLost(conn, err) {
				break // not retryable: the query failed
			}
			conn.Close(context.Background())
			conn = nil
		}
		if !done {
			reads.mu.Lock()
			reads.failed = append(reads.failed, fmt.Sprintf("reader %d: %q failed: %s", r, q, strings.Join(errs, "; ")))
			reads.mu.Unlock()
		}
	}
}

// TestChaos (issue 6, "a self-healing cluster"): writers and readers run
// against a cluster while a seeded random schedule SIGKILLs and restarts
// front nodes and search workers (never the storage node, never the last
// live node of a role). Afterwards every acknowledged row is present
// exactly once, no query failed after the documented client retries
// (connLost), and no INSERT failed other than by a lost connection.
func TestChaos(t *testing.T) {
	t.Parallel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("OPENWIT_CHAOS_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("OPENWIT_CHAOS_SEED: %v", err)
		}
		seed = v
	}
	duration := chaosDuration
	if s := os.Getenv("OPENWIT_CHAOS_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("OPENWIT_CHAOS_DURATION: %v", err)
		}
		duration = d
	}
	t.Logf("chaos seed %d (OPENWIT_CHAOS_SEED=%d replays the schedule), duration %v", seed, seed, duration)
	rng := rand.New(rand.NewPCG(seed, seed^0x6f70656e776974))

	t0 := time.Now()
	testserver.Binary(t) // built once per test process
	t.Logf("%v: openwit built", time.Since(t0).Round(time.Millisecond))
	c := startChaosCluster(t)
	mustExec(t, testserver.Connect(t, c.proxy.DSN()), "CREATE TABLE chaos (ts timestamptz NOT NULL, id int8 NOT NULL, w int4)")
	t.Logf("%v: cluster up", time.Since(t0).Round(time.Millisecond))

	ledger := &chaosLedger{acked: map[int64]bool{}, unknown: map[int64]bool{}}
	reads := &chaosReads{}
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range chaosWriters {
		// Writers 0 and 2 go through the proxy, 1 and 3 straight to a
		// front node (which the chaos kills under them); writer
		// chaosWriters (below) uses Flight SQL bulk ingest.
		dsn := c.proxy.DSN
		if w%2 == 1 {
			dsn = c.fronts[w/2%len(c.fronts)].DSN
		}
		wg.Go(func() { chaosWriter(w, &next, stop, dsn, ledger) })
	}
	wg.Go(func() {
		chaosFlightWriter(chaosWriters, &next, stop, fmt.Sprintf("grpc+tcp://127.0.0.1:%d", c.proxy.FlightPort), ledger)
	})
	for r := range chaosReaders {
		wg.Go(func() { chaosReader(r, stop, c.proxy.DSN(), reads) })
	}

	// The chaos: every 0.3-2 s a node that is up is SIGKILLed, at most
	// one front node and two of the three workers at a time, so every role
	// keeps a live node. A killed node is started again on the same ports
	// and data dir 0.2-1.5 s later, without waiting for it; a quarter of
	// the starts are killed again before the node is ready (during WAL
	// replay, the hand-off of the replayed rows, the gossip join). The
	// times only shape the load; nothing asserts on them, and a slow
	// machine just sees fewer nodes up.
	sched := newChaosSchedule(c, rng)
	chaosStart := time.Now()
	for end := chaosStart.Add(duration); time.Now().Before(end) || sched.frontKills == 0 || sched.workerKills == 0; {
		sched.step(t, chaosStart)
		time.Sleep(50 * time.Millisecond)
	}
	sched.finish(t, chaosStart)
	kills, frontKills, workerKills, startKills := sched.kills, sched.frontKills, sched.workerKills, sched.startKills
	t.Logf("%v: %d kills (front nodes %d, workers %d, %d while starting)",
		time.Since(chaosStart).Round(time.Millisecond), kills, frontKills, workerKills, startKills)
	// Healed: with every node back, every writer gets another batch
	// acknowledged and the readers another answer. The bound only keeps a
	// hang from stalling the test.
	ledger.mu.Lock()
	writes := ledger.byWriter
	ledger.mu.Unlock()
	answers := reads.ok.Load()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		ledger.mu.Lock()
		now := ledger.byWriter
		ledger.mu.Unlock()
		healed := reads.ok.Load() > answers
		for w := range now {
			healed = healed && now[w] > writes[w]
		}
		if healed {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("after the chaos, with every node up, batches per writer went from %v to %v and answered queries from %d to %d in 90 s",
				writes, now, answers, reads.ok.Load())
			break
		}
	}
	t.Logf("%v: healed; stopping the load", time.Since(chaosStart).Round(time.Millisecond))
	close(stop)
	wg.Wait()

	// Settle: every front node handed its buffers to the storage node, and
	// sees every file the catalog lists (other nodes' files reach a front
	// node at its next catalog refresh, about a second).
	for _, f := range c.fronts {
		waitFor(t, "the front node's buffers published", f, func() bool {
			_, body := httpGet(t, f.HTTPURL()+"/metrics")
			v, ok := metricValue(body, "openwit_ingest_buffered_rows")
			return ok && v == 0
		})
	}
	tbl, err := c.cat.GetTable(t.Context(), "chaos")
	if err != nil {
		t.Fatal(err)
	}
	var files []*catalog.File
	var rows int64
	for _, f := range c.fronts {
		conn := testserver.Connect(t, f.DSN())
		waitFor(t, "the front node sees the catalog's files", f, func() bool {
			if files, err = c.cat.ListFiles(t.Context(), tbl.ID); err != nil {
				t.Fatal(err)
			}
			rows = 0
			for _, f := range files {
				rows += f.Rows
			}
			return queryText(t, conn, "SELECT count(*) FROM chaos")[0] == fmt.Sprint(rows)
		})
	}
	t.Logf("catalog: %d files hold %d rows (compaction merges the hand-offs' small files)", len(files), rows)

	ledger.mu.Lock()
	defer ledger.mu.Unlock()
	reads.mu.Lock()
	defer reads.mu.Unlock()
	t.Logf("%d batches acknowledged, %d with an unknown outcome; %d queries answered, %d retries after a lost connection",
		len(ledger.acked), len(ledger.unknown), reads.ok.Load(), reads.retried.Load())
	t.Logf("acknowledged batches per writer (the last one Flight SQL): %v", ledger.byWriter)
	for _, f := range ledger.failed {
		t.Errorf("INSERT failed: %s", f)
	}
	for _, f := range reads.failed {
		t.Errorf("read: %s", f)
	}
	if len(reads.doubled) > 0 {
		report := t.Logf
		if os.Getenv("OPENWIT_CHAOS_STRICT") == "1" {
			report = t.Errorf
		}
		report("KNOWN BUG (docs/design/023-chaos.md): %d answers showed rows twice while the cluster healed, e.g. %s",
			len(reads.doubled), reads.doubled[0])
	}
	// What the restarted front nodes replayed from their WALs (rows
	// acknowledged before the kill and not yet published), and what the
	// storage node and the control leader did meanwhile.
	var replays, replayed int64
	for _, f := range c.fronts {
		for _, line := range strings.Split(f.Log(), "\n") {
			if strings.Contains(line, `msg="wal replayed"`) {
				replays++
				if _, v, ok := strings.Cut(line, " rows="); ok {
					n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
					replayed += n
				}
			}
		}
	}
	_, body := httpGet(t, c.store.HTTPURL()+"/metrics")
	handoffRows, _ := metricValue(body, "openwit_storage_handoff_rows_total")
	handoffFiles, _ := metricValue(body, "openwit_storage_handoff_files_total")
	t.Logf("front nodes: %d starts replayed %d rows from their WALs; storage node: %v files, %v rows handed off since its start",
		replays, replayed, handoffFiles, handoffRows)
	for i, f := range c.fronts {
		chaosCheckRows(t, fmt.Sprintf("front%d", i), testserver.Connect(t, f.DSN()), ledger)
	}
	for _, s := range c.all() {
		if strings.Contains(s.Log(), "WARNING: DATA RACE") {
			t.Errorf("a server reported a data race:\n%s", s.Log())
		}
	}
	if t.Failed() {
		// Keep the nodes' logs (the test's temp dirs are removed).
		dir, err := os.MkdirTemp("", "openwit-chaos-logs-")
		if err == nil {
			for i, s := range c.all() {
				_ = os.WriteFile(filepath.Join(dir, fmt.Sprintf("node%d-%s.log", i, filepath.Base(filepath.Dir(s.LogPath)))), []byte(s.Log()), 0o644)
			}
			t.Logf("node logs kept in %s (store, front0, front1, workers, proxy)", dir)
		}
	}
}

// chaosCheckRows checks on one front node that every acknowledged row is
// present once, no row is present twice, and every present batch is whole
// and was acknowledged or had an unknown outcome.
func chaosCheckRows(t *testing.T, node string, conn *pgx.Conn, l *chaosLedger) {
	t.Helper()
	type idCount struct{ id, n int64 }
	scan := func(r pgx.CollectableRow) (idCount, error) {
		var v idCount
		err := r.Scan(&v.id, &v.n)
		return v, err
	}
	if dups := queryRows(t, conn, "SELECT id, count(*) FROM chaos GROUP BY id HAVING count(*) > 1", scan); len(dups) > 0 {
		t.Errorf("%s: %d ids are present more than once, e.g. %v", node, len(dups), dups[:min(len(dups), 10)])
	}
	present := map[int64]int{}
	for _, r := range queryRows(t, conn, "SELECT id, 1 FROM chaos", scan) {
		present[r.id/chaosBatchRows]++
	}
	var missing, partial, stray []int64
	for b := range l.acked {
		if present[b] == 0 {
			missing = append(missing, b)
		}
	}
	for b, n := range present {
		if n != chaosBatchRows {
			partial = append(partial, b)
		}
		if !l.acked[b] && !l.unknown[b] {
			stray = append(stray, b)
		}
	}
	for what, bs := range map[string][]int64{"acknowledged batches are missing": missing,
		"batches are partial": partial, "batches were never sent": stray} {
		if len(bs) > 0 {
			slices.Sort(bs)
			t.Errorf("%s: %d %s, e.g. %v", node, len(bs), what, bs[:min(len(bs), 10)])
		}
	}
	t.Logf("%s: %d batches present (%d acknowledged)", node, len(present), len(l.acked))
}

// chaosNode is a node the chaos may kill, and its state.
type chaosNode struct {
	name  string
	s     *testserver.Server
	front bool
	// down: killed, to be started at restartAt; starting: started, not
	// yet ready (killed again at killAt unless zero).
	down, starting    bool
	restartAt, killAt time.Time
}

// chaosSchedule kills and restarts the front nodes and search workers of
// a chaosCluster from a seeded random source.
type chaosSchedule struct {
	nodes                                      []*chaosNode
	proxy                                      *testserver.Server
	rng                                        *rand.Rand
	nextKill                                   time.Time
	kills, frontKills, workerKills, startKills int
}

func newChaosSchedule(c *chaosCluster, rng *rand.Rand) *chaosSchedule {
	sc := &chaosSchedule{rng: rng, nextKill: time.Now(), proxy: c.proxy}
	for i, f := range c.fronts {
		sc.nodes = append(sc.nodes, &chaosNode{name: fmt.Sprintf("front%d", i), s: f, front: true})
	}
	for i, w := range c.workers {
		sc.nodes = append(sc.nodes, &chaosNode{name: fmt.Sprintf("worker%d", i), s: w})
	}
	return sc
}

func (sc *chaosSchedule) ms(lo, hi int) time.Duration {
	return time.Duration(lo+sc.rng.IntN(hi-lo)) * time.Millisecond
}

// step moves the schedule on: restarts, kills of starting nodes, then a
// new kill when it is due.
func (sc *chaosSchedule) step(t *testing.T, t0 time.Time) {
	t.Helper()
	now := time.Now()
	at := now.Sub(t0).Round(time.Millisecond)
	for _, n := range sc.nodes {
		switch {
		case n.down && now.After(n.restartAt):
			n.s.Relaunch()
			n.down, n.starting, n.killAt = false, true, time.Time{}
			if sc.rng.IntN(4) == 0 {
				n.killAt = now.Add(sc.ms(0, 1500))
			}
			t.Logf("%v: started %s", at, n.name)
		case n.starting && !n.killAt.IsZero() && now.After(n.killAt):
			n.s.Kill()
			n.starting, n.down, n.restartAt = false, true, now.Add(sc.ms(0, 500))
			sc.kills++
			sc.startKills++
			t.Logf("%v: killed %s again while it started", at, n.name)
		case n.starting && chaosReady(n.s) && (!n.front || proxySees(sc.proxy, n.name)):
			// A front node counts as up once the proxy routes to it:
			// killing the other one before that leaves clients no
			// gateway at all.
			n.starting = false
			t.Logf("%v: %s ready", at, n.name)
		}
	}
	if now.Before(sc.nextKill) {
		return
	}
	sc.nextKill = now.Add(sc.ms(300, 2000))
	var fronts, workers int // not up
	var up []*chaosNode
	for _, n := range sc.nodes {
		if n.down || n.starting {
			if n.front {
				fronts++
			} else {
				workers++
			}
		} else {
			up = append(up, n)
		}
	}
	up = slices.DeleteFunc(up, func(n *chaosNode) bool {
		return n.front && fronts >= 1 || !n.front && workers >= 2
	})
	if len(up) == 0 {
		return
	}
	n := up[sc.rng.IntN(len(up))]
	n.s.Kill()
	n.down, n.restartAt = true, now.Add(sc.ms(200, 1500))
	sc.kills++
	if n.front {
		sc.frontKills++
	} else {
		sc.workerKills++
	}
	t.Logf("%v: killed %s", at, n.name)
}

// finish starts every node that is down and waits until all are ready.
func (sc *chaosSchedule) finish(t *testing.T, t0 time.Time) {
	t.Helper()
	for _, n := range sc.nodes {
		if n.down {
			n.s.Relaunch()
		}
	}
	for _, n := range sc.nodes {
		if n.down || n.starting {
			n.s.WaitReady()
			n.down, n.starting = false, false
		}
	}
	t.Logf("%v: every node ready", time.Since(t0).Round(time.Millisecond))
}

// proxySees reports whether the proxy counts front node name as up.
func proxySees(proxy *testserver.Server, name string) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(proxy.HTTPURL() + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return false
	}
	v, _ := metricValue(string(b), fmt.Sprintf(`openwit_proxy_gateway_up{gateway=%q}`, name))
	return v == 1
}

// chaosReady reports whether a started server answers /readyz with 200.
func chaosReady(s *testserver.Server) bool {
	c := &http.Client{Timeout: time.Second}
	resp, err := c.Get(s.HTTPURL() + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == 200
}
