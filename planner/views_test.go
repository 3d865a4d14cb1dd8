package planner_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/pgerror"
	"openwit/planner"
	"openwit/storage"
)

// otherNode is a second coordinator on h's catalog and object store, with
// a WAL and ingester of its own.
func otherNode(t *testing.T, h *harness) *harness {
	t.Helper()
	ctx := context.Background()
	w, err := wal.Open(wal.Options{Dir: filepath.Join(t.TempDir(), "wal")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	cat := h.cfg.Catalog
	ing, err := ingest.New(ctx, ingest.Config{WAL: w, Catalog: cat, Publisher: &storage.Publisher{Bucket: h.bucket, Catalog: cat}, FlushAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cfg := planner.Config{Catalog: cat, Ingester: ing, Bucket: h.bucket}
	eng, err := planner.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, eng: eng, ing: ing, s: eng.NewSession("openwit", "test"), bucket: h.bucket, cfg: cfg}
}

// TestViewsAcrossNodes: a view created through one coordinator is read by
// another at once and by a fresh engine on the same catalog (a restart);
// a view replaced or dropped on one is seen so on the other within the
// view cache's second (design 070).
func TestViewsAcrossNodes(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.mustQuery(`CREATE TABLE vt (ts timestamptz NOT NULL, svc text, status int)`)
	h.mustQuery(`INSERT INTO vt VALUES ('2026-01-01 10:00:00+00', 'api', 500), ('2026-01-01 10:01:00+00', 'web', 200), ('2026-01-01 10:02:00+00', 'api', 503)`)
	if err := h.ing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	h.mustQuery(`CREATE VIEW verr AS SELECT * FROM vt WHERE status >= 500`)

	other := otherNode(t, h)
	if got := other.mustQuery(`SELECT svc, count(*) FROM verr GROUP BY svc`); got != "api|2" {
		t.Fatalf("view on the other node: %q", got)
	}
	if got := other.mustQuery(`SELECT relkind FROM pg_class WHERE relname = 'verr'`); got != "v" {
		t.Fatalf("pg_class on the other node: %q", got)
	}
	// A table of the view's name is refused on the other node too.
	if _, err := other.query(`CREATE TABLE verr (ts timestamptz)`); !isCode(err, pgerror.DuplicateTable) {
		t.Fatalf("CREATE TABLE over a view on the other node: %v", err)
	}

	// Replaced on the other node (columns added at the end): seen here.
	other.mustQuery(`CREATE OR REPLACE VIEW verr AS SELECT vt.ts, vt.svc, vt.status, vt.status * 2 AS twice FROM vt WHERE status >= 500`)
	waitFor(t, func() bool {
		got, err := h.query(`SELECT max(twice) FROM verr`)
		return err == nil && got == "1006"
	})
	// Dropped there: gone here.
	other.mustQuery(`DROP VIEW verr`)
	waitFor(t, func() bool {
		_, err := h.query(`SELECT * FROM verr`)
		return isCode(err, pgerror.UndefinedTable)
	})

	// A fresh engine (a restarted node) on the same catalog.
	h.mustQuery(`CREATE VIEW vapi (at, code) AS SELECT ts, status FROM vt WHERE svc = 'api'`)
	restarted := otherNode(t, h)
	if got := restarted.mustQuery(`SELECT code FROM vapi ORDER BY at`); got != "500\n503" {
		t.Fatalf("view after a restart: %q", got)
	}
	if got := restarted.mustQuery(`SELECT attname FROM pg_attribute WHERE attrelid = 'vapi'::regclass ORDER BY attnum`); got != "at\ncode" {
		t.Fatalf("pg_attribute after a restart: %q", got)
	}
}

func isCode(err error, code string) bool {
	var pe *pgerror.Error
	return errors.As(err, &pe) && pe.Code == code
}

// waitFor polls cond for up to ten seconds (the view cache holds a
// snapshot for one).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
