package catalog

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
)

func TestPostgres(t *testing.T) {
	srv := testpg.Start(t)
	runContract(t, func(t *testing.T) Catalog {
		// CreateDB returns the same database when called again with the
		// same name, which is how the contract reopens.
		c, err := Open(t.Context(), srv.CreateDB(t, dbName(t)))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
}

// Nodes opening the same fresh catalog at once all succeed: the migration
// runs once, under the advisory lock.
func TestPostgresConcurrentOpen(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	dsn := srv.CreateDB(t, "fresh")
	const n = 8
	cats := make([]*Postgres, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			cats[i], errs[i] = OpenPostgres(t.Context(), dsn)
		}()
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("open %d: %v", i, errs[i])
			continue
		}
		defer cats[i].Close()
	}
	if t.Failed() {
		return
	}
	if got := appliedMigrations(t, cats[0]); len(got) != len(migrations()) {
		t.Errorf("applied migrations %v, want %d rows", got, len(migrations()))
	}
	for i, c := range cats {
		if _, err := c.CreateTable(t.Context(), sampleTable(fmt.Sprintf("t%d", i))); err != nil {
			t.Errorf("CreateTable through catalog %d: %v", i, err)
		}
	}
	if got := tableNames(t, cats[0]); len(got) != n {
		t.Errorf("tables %v, want %d", got, n)
	}
}

// A multi-host DSN whose first host is down, with target_session_attrs,
// reaches the second (pgx semantics), through the postgresql:// scheme.
func TestPostgresMultiHost(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	srv.CreateDB(t, "multi")
	dead := testpg.FreePort(t)
	dsn := fmt.Sprintf("postgresql://postgres@127.0.0.1:%d,127.0.0.1:%d/multi?sslmode=disable&target_session_attrs=read-write", dead, srv.Port)
	c, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open(%s): %v", dsn, err)
	}
	defer c.Close()
	if _, err := c.CreateTable(t.Context(), sampleTable("t")); err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
}

// Table names and file IDs order bytewise even in a database whose default
// collation does not (ICU en-US, as most production databases use).
func TestPostgresBytewiseKeys(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, `CREATE DATABASE icu TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`); err != nil {
		t.Fatalf("create ICU database: %v", err)
	}
	c, err := OpenPostgres(ctx, srv.DSN("icu"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var linguistic bool
	if err := c.pool.QueryRow(ctx, `SELECT 'a'::text < 'B'::text`).Scan(&linguistic); err != nil || !linguistic {
		t.Fatalf("the database's default collation is bytewise (%v): the test would prove nothing", err)
	}
	for _, name := range []string{"b", "a", "C", "B"} {
		mustCreate(t, c, name)
	}
	if got, want := tableNames(t, c), []string{"B", "C", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListTables = %v, want %v", got, want)
	}
	tbl, err := c.GetTable(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "a", "C", "B"} {
		mustPublish(t, c, sampleFile(tbl.ID, id, 0, 0, 1))
	}
	if got, want := fileIDs(mustFiles(t, c, tbl.ID)), []string{"B", "C", "a", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListFiles order = %v, want %v", got, want)
	}
}

func fastRetry(dsn string) PostgresConfig {
	return PostgresConfig{DSN: dsn, Retry: RetryPolicy{Attempts: 8, BaseDelay: 5 * time.Millisecond, MaxDelay: 100 * time.Millisecond}}
}

// A connection lost while COMMIT is in flight leaves the outcome unknown.
// PublishFile retries and, being idempotent, ends with exactly one file
// whether or not the first COMMIT took effect; CreateTable and DropTable
// report ErrUnknownOutcome instead of retrying.
func TestPostgresUnknownCommitOutcome(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	srv.CreateDB(t, "cut")
	proxy := startCommitCutter(t, fmt.Sprintf("127.0.0.1:%d", srv.Port))
	dsn := fmt.Sprintf("postgres://postgres@%s/cut?sslmode=disable", proxy.addr())
	c, err := OpenPostgresConfig(t.Context(), fastRetry(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")

	for i, mode := range []cutMode{cutAfterCommit, cutBeforeCommit} {
		cutsBefore := proxy.cuts.Load()
		f := sampleFile(tbl.ID, fmt.Sprintf("f-%s", mode), int64(i), 0, uint64(100+i))
		proxy.arm(mode)
		if err := c.PublishFile(ctx, f); err != nil {
			t.Errorf("%s: PublishFile: %v", mode, err)
		}
		if got := proxy.cuts.Load() - cutsBefore; got != 1 {
			t.Fatalf("%s: proxy cut %d commits, want 1 (the test did not test anything)", mode, got)
		}
		var n int
		for _, g := range mustFiles(t, c, tbl.ID) {
			if g.ID == f.ID {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: file %s listed %d times, want once", mode, f.ID, n)
		}
		if cp := mustCheckpoints(t, c, tbl.ID); cp[f.Shard] != f.MaxLSN {
			t.Errorf("%s: checkpoint of shard %d = %d, want %d", mode, f.Shard, cp[f.Shard], f.MaxLSN)
		}
	}

	cutsBefore := proxy.cuts.Load()
	proxy.arm(cutAfterCommit)
	if _, err := c.CreateTable(ctx, sampleTable("u")); !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("CreateTable with its commit reply lost: err = %v, want ErrUnknownOutcome", err)
	}
	if _, err := c.GetTable(ctx, "u"); err != nil {
		t.Errorf("GetTable(u): %v; the lost commit did take effect", err)
	}
	proxy.arm(cutBeforeCommit)
	if err := c.DropTable(ctx, "u"); !errors.Is(err, ErrUnknownOutcome) {
		t.Errorf("DropTable with its commit lost: err = %v, want ErrUnknownOutcome", err)
	}
	if _, err := c.GetTable(ctx, "u"); err != nil {
		t.Errorf("GetTable(u): %v; the commit never reached the server", err)
	}
	if got := proxy.cuts.Load() - cutsBefore; got != 2 {
		t.Errorf("proxy cut %d commits, want 2", got)
	}
}

// Backends killed by an administrator (57P01) are retried on a fresh
// connection.
func TestPostgresTerminatedBackends(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	dsn := srv.CreateDB(t, "term")
	c, err := OpenPostgresConfig(t.Context(), fastRetry(dsn))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := t.Context()
	tbl := mustCreate(t, c, "t")
	admin, err := pgx.Connect(ctx, srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for round := range 3 {
		var killed int
		// The timeout argument makes pg_terminate_backend wait until the
		// backend has exited.
		err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 10000))
FROM pg_stat_activity WHERE datname = 'term' AND pid <> pg_backend_pid()`).Scan(&killed)
		if err != nil {
			t.Fatal(err)
		}
		if killed == 0 {
			t.Fatalf("round %d: no catalog connection to terminate", round)
		}
		mustPublish(t, c, sampleFile(tbl.ID, fmt.Sprintf("f%d", round), 0, int64(round), uint64(round)))
	}
	if n := len(mustFiles(t, c, tbl.ID)); n != 3 {
		t.Errorf("%d files, want 3", n)
	}
}

// A connection that turned read-only (what a pool keeps after a failover
// behind a stable address) fails writes with 25006. The catalog must drop
// its pooled connections and retry on fresh ones, not reuse the stale one.
// Here new sessions of the database are made read-only, the pool refilled
// with them, and the retry hook in the logger lifts the setting: only new
// connections can succeed.
func TestPostgresReadOnlyConnections(t *testing.T) {
	t.Parallel()
	srv := testpg.Start(t)
	dsn := srv.CreateDB(t, "ro")
	ctx := t.Context()
	admin, err := pgx.Connect(ctx, srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	h := &retryHook{code: "25006", fn: func() {
		if _, err := admin.Exec(context.Background(), `ALTER DATABASE ro RESET default_transaction_read_only`); err != nil {
			t.Errorf("reset read-only: %v", err)
		}
	}}
	cfg := fastRetry(dsn)
	cfg.Logger = slog.New(h)
	c, err := OpenPostgresConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tbl := mustCreate(t, c, "t")
	if _, err := admin.Exec(ctx, `ALTER DATABASE ro SET default_transaction_read_only = on`); err != nil {
		t.Fatal(err)
	}
	// The pool's next connections are read-only; reads still work and
	// leave an idle read-only connection behind.
	c.pool.Reset()
	if _, err := c.ListTables(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.PublishFile(ctx, sampleFile(tbl.ID, "f", 0, 0, 1)); err != nil {
		t.Fatalf("PublishFile: %v", err)
	}
	if h.fired.Load() == 0 {
		t.Fatal("no write failed with 25006: the test did not test anything")
	}
	if ids := fileIDs(mustFiles(t, c, tbl.ID)); !slices.Equal(ids, []string{"f"}) {
		t.Errorf("files = %v, want [f]", ids)
	}
}

// retryHook is a slog.Handler that runs fn once, on the first "catalog
// retry" record whose error carries SQLSTATE code.
type retryHook struct {
	code  string
	fn    func()
	once  sync.Once
	fired atomic.Int32
}

func (h *retryHook) Enabled(context.Context, slog.Level) bool { return true }
func (h *retryHook) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *retryHook) WithGroup(string) slog.Handler            { return h }

func (h *retryHook) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "catalog retry" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" && strings.Contains(a.Value.String(), h.code) {
			h.fired.Add(1)
			h.once.Do(h.fn)
		}
		return true
	})
	return nil
}

// cutMode says where a commitCutter breaks a transaction's COMMIT.
type cutMode int32

const (
	cutAfterCommit  cutMode = iota + 1 // the server commits; its reply is lost
	cutBeforeCommit                    // COMMIT never reaches the server
)

func (m cutMode) String() string {
	if m == cutAfterCommit {
		return "after_commit"
	}
	return "before_commit"
}

// commitCutter is a TCP proxy in front of PostgreSQL that, when armed,
// breaks the next COMMIT it sees: it closes both sides of that connection
// either before forwarding the COMMIT or after the server has answered it
// (ReadyForQuery), without forwarding the answer.
type commitCutter struct {
	ln     net.Listener
	target string
	armed  atomic.Int32 // a cutMode, or 0
	cuts   atomic.Int32 // commits cut so far
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
}

func startCommitCutter(t *testing.T, target string) *commitCutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &commitCutter{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *commitCutter) addr() string { return p.ln.Addr().String() }

func (p *commitCutter) arm(m cutMode) { p.armed.Store(int32(m)) }

func (p *commitCutter) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(client)
		}()
	}
}

func (p *commitCutter) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, client, server)
	p.mu.Unlock()
	closeBoth := sync.OnceFunc(func() { client.Close(); server.Close() })
	defer closeBoth()

	var dropReply atomic.Bool // the in-flight COMMIT's reply must be dropped
	done := make(chan struct{})
	go func() { // server -> client: typed messages only
		defer close(done)
		defer closeBoth()
		r := bufio.NewReader(server)
		for {
			typ, msg, err := readMessage(r, true)
			if err != nil {
				return
			}
			if dropReply.Load() {
				if typ == 'Z' { // the COMMIT is done: hang up without a reply
					p.cuts.Add(1)
					return
				}
				continue
			}
			if _, err := client.Write(msg); err != nil {
				return
			}
		}
	}()

	r := bufio.NewReader(client)
	typed := false // the startup message has no type byte
	for {
		typ, msg, err := readMessage(r, typed)
		if err != nil {
			break
		}
		typed = true
		if isCommit(typ, msg) {
			switch cutMode(p.armed.Swap(0)) {
			case cutAfterCommit:
				dropReply.Store(true)
			case cutBeforeCommit:
				p.cuts.Add(1)
				closeBoth()
				<-done
				return
			}
		}
		if _, err := server.Write(msg); err != nil {
			break
		}
	}
	<-done
}

// readMessage reads one protocol message and returns its type (0 for the
// untyped startup message) and its raw bytes.
func readMessage(r *bufio.Reader, typed bool) (byte, []byte, error) {
	var typ byte
	var head []byte
	if typed {
		b, err := r.ReadByte()
		if err != nil {
			return 0, nil, err
		}
		typ, head = b, []byte{b}
	}
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return 0, nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size < 4 || size > 1<<30 {
		return 0, nil, fmt.Errorf("bad message length %d", size)
	}
	msg := make([]byte, len(head)+int(size))
	copy(msg, head)
	copy(msg[len(head):], n[:])
	if _, err := io.ReadFull(r, msg[len(head)+4:]); err != nil {
		return 0, nil, err
	}
	return typ, msg, nil
}

// isCommit reports whether a client message runs COMMIT: a simple Query, or
// the Parse of an extended-protocol query.
func isCommit(typ byte, msg []byte) bool {
	if len(msg) < 5 {
		return false
	}
	parts := strings.Split(string(msg[5:]), "\x00")
	var q string
	switch {
	case typ == 'Q' && len(parts) > 0:
		q = parts[0]
	case typ == 'P' && len(parts) > 1:
		q = parts[1]
	default:
		return false
	}
	q = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(q), ";"))
	return strings.EqualFold(q, "commit") || strings.EqualFold(q, "end")
}
