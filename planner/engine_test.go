package planner_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/internal/pgerror"
	"openwit/internal/testlocal"
	"openwit/planner"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

type harness struct {
	t      testing.TB
	eng    *planner.Engine
	ing    *ingest.Ingester
	s      *planner.Session
	bucket objstore.Bucket
	cfg    planner.Config // as given to planner.New
}

func newHarness(t testing.TB) *harness { return newHarnessConfig(t, planner.Config{}) }

// newHarnessConfig is newHarness with engine settings from cfg (Catalog,
// Ingester and Bucket are filled in).
func newHarnessConfig(t testing.TB, cfg planner.Config) *harness {
	t.Helper()
	ctx := context.Background()
	p := testlocal.Open(t, t.TempDir())
	cat, bucket, w := p.Catalog, p.Bucket, p.WAL
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: bucket, Catalog: cat}, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Catalog, cfg.Ingester, cfg.Bucket = cat, ing, bucket
	eng, err := planner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, eng: eng, ing: ing, s: eng.NewSession("openwit", "test"), bucket: bucket, cfg: cfg}
}

// query runs sql and renders the rows, one line each, values joined by "|".
func (h *harness) query(sql string, params ...any) (string, error) {
	ctx := context.Background()
	stmts, err := h.s.Prepare(ctx, sql, nil)
	if err != nil {
		return "", err
	}
	var out []string
	for _, st := range stmts {
		rows, err := st.Execute(ctx, params)
		if err != nil {
			return "", err
		}
		for {
			r, err := rows.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				rows.Close()
				return "", err
			}
			vals := make([]string, len(r))
			for i, v := range r {
				if v == nil {
					vals[i] = "NULL"
				} else if tm, ok := v.(time.Time); ok {
					vals[i] = tm.UTC().Format(time.RFC3339Nano)
				} else {
					vals[i] = fmt.Sprint(v)
				}
			}
			out = append(out, strings.Join(vals, "|"))
		}
		if err := rows.Close(); err != nil {
			return "", err
		}
	}
	return strings.Join(out, "\n"), nil
}

func (h *harness) mustQuery(sql string, params ...any) string {
	h.t.Helper()
	s, err := h.query(sql, params...)
	if err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	return s
}

func TestEngineEndToEnd(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE logs (ts timestamptz NOT NULL, service text, level text, status int, latency float8)`)
	h.mustQuery(`INSERT INTO logs VALUES
		('2026-01-01 10:00:00+00', 'api', 'info', 200, 1.5),
		('2026-01-01 10:30:00+00', 'api', 'error', 500, 20.25),
		('2026-01-01 11:00:00Z', 'web', 'info', 200, NULL),
		('2026-01-01T12:00:00Z', NULL, 'warn', 404, 3)`)
	cases := []struct{ sql, want string }{
		{`SELECT count(*) FROM logs`, "4"},
		{`SELECT service, count(*) FROM logs GROUP BY service ORDER BY service`, "api|2\nweb|1\nNULL|1"},
		{`SELECT service FROM logs ORDER BY service DESC`, "NULL\nweb\napi\napi"},
		{`SELECT service FROM logs ORDER BY service NULLS FIRST`, "NULL\napi\napi\nweb"},
		{`SELECT 7 / 2, 7 % 3, -7 / 2`, "3|1|-3"},
		{`SELECT status FROM logs WHERE level = 'error'`, "500"},
		{`SELECT status::text || '!' FROM logs WHERE ts >= '2026-01-01 11:00:00+00' ORDER BY ts`, "200!\n404!"},
		{`SELECT level FROM logs WHERE latency IS NULL`, "info"},
		{`SELECT max(latency), min(status) FROM logs`, "20.25|200"},
		{`SELECT ts FROM logs ORDER BY ts LIMIT 1 OFFSET 1`, "2026-01-01T10:30:00Z"},
		{`SELECT level FROM logs WHERE level ILIKE 'ERR%'`, "error"},
		{`SELECT '42'::int + 1`, "43"},
	}
	for _, c := range cases {
		got, err := h.query(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.sql, got, c.want)
		}
	}
	// Flushing moves the rows to Parquet; the answers stay the same.
	if err := h.ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.mustQuery(`SELECT service, count(*) FROM logs GROUP BY service ORDER BY service`); got != "api|2\nweb|1\nNULL|1" {
		t.Errorf("after flush: %q", got)
	}
	if got := h.mustQuery(`SELECT sum(status) FROM logs WHERE service = $1`, "api"); got != "700" {
		t.Errorf("param: %q", got)
	}
}

// TestTableCreatedElsewhere: a table another node created in the shared
// catalog is queryable and writable here at once, before the ingester's
// periodic refresh would have loaded it (found by TestChaos: INSERTs
// failed with XX000 "catalog: not found" and SELECTs with 42P01 on the
// second front node for up to a second after CREATE TABLE on the first).
func TestTableCreatedElsewhere(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	if _, err := h.cfg.Catalog.CreateTable(ctx, &catalog.Table{Name: "other", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "v", Type: "int8"}}}); err != nil {
		t.Fatal(err)
	}
	if got := h.mustQuery(`SELECT count(*) FROM other`); got != "0" {
		t.Fatalf("count of the new table: %q", got)
	}
	h.mustQuery(`INSERT INTO other VALUES ('2026-01-01 10:00:00+00', 1), ('2026-01-01 11:00:00+00', 2)`)
	if got := h.mustQuery(`SELECT count(*), sum(v) FROM other`); got != "2|3" {
		t.Fatalf("after INSERT: %q", got)
	}
	// Another session, and a second table only ever written to.
	if _, err := h.cfg.Catalog.CreateTable(ctx, &catalog.Table{Name: "other2", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}}}); err != nil {
		t.Fatal(err)
	}
	h.s = h.eng.NewSession("openwit", "test")
	h.mustQuery(`INSERT INTO other2 VALUES ('2026-01-01 10:00:00+00')`)
	if got := h.mustQuery(`SELECT count(*) FROM other2`); got != "1" {
		t.Fatalf("other2: %q", got)
	}
	// COPY FROM as the first statement on a third one.
	if _, err := h.cfg.Catalog.CreateTable(ctx, &catalog.Table{Name: "other3", TimeColumn: "ts", ShardDuration: time.Hour,
		Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}}}); err != nil {
		t.Fatal(err)
	}
	in, err := h.beginCopy("COPY other3 FROM STDIN")
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Append(ctx, []any{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	if n, err := in.Commit(ctx); err != nil || n != 1 {
		t.Fatalf("COPY into a table created elsewhere: %d, %v", n, err)
	}
	if got := h.mustQuery(`SELECT count(*) FROM other3`); got != "1" {
		t.Fatalf("other3: %q", got)
	}
}

func TestEngineErrors(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE t (ts timestamptz, x int)`)
	cases := []struct{ sql, code string }{
		{`SELEC 1`, pgerror.SyntaxError},
		{`SELECT * FROM nosuch`, pgerror.UndefinedTable},
		{`SELECT nosuch FROM t`, pgerror.UndefinedColumn},
		{`SELECT nosuchfn(1)`, pgerror.UndefinedFunction},
		{`SELECT 1/0`, pgerror.DivisionByZero},
		{`SELECT 'abc'::int`, pgerror.InvalidTextRepr},
		{`CREATE TABLE t (ts timestamptz)`, pgerror.DuplicateTable},
		{`INSERT INTO t VALUES (NULL, 1)`, pgerror.NotNullViolation},
		{`UPDATE t SET x = 1 FROM t`, "42712"}, // table name "t" specified more than once
	}
	for _, c := range cases {
		_, err := h.query(c.sql)
		if got := pgerror.Code(err); err == nil || got != c.code {
			t.Errorf("%s: got %v (%s), want %s", c.sql, err, got, c.code)
		}
	}
}

func TestStatementTimeout(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`SET statement_timeout = '50ms'`)
	// A cross join large enough to outlast the timeout.
	_, err := h.query(`SELECT count(*) FROM generate_series(1, 3000) a, generate_series(1, 3000) b`)
	if code := pgerror.Code(err); err == nil || code != pgerror.QueryCanceled {
		t.Fatalf("got %v (%s), want 57014", err, code)
	}
	h.mustQuery(`SET statement_timeout = 0`)
	if got := h.mustQuery(`SELECT count(*) FROM generate_series(1, 300) a, generate_series(1, 30) b`); got != "9000" {
		t.Fatalf("after reset: %q", got)
	}
	if _, err := h.query(`SET statement_timeout = 'soon'`); pgerror.Code(err) != pgerror.InvalidParameterValue {
		t.Fatalf("bad value: %v", err)
	}
}
