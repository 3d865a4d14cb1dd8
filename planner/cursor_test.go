package planner_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// TestCursors: DECLARE / FETCH / MOVE / CLOSE stream a query forward in
// pieces, with PostgreSQL's tags and errors; WITH HOLD cursors survive
// COMMIT and the others do not.
func TestCursors(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE t (ts timestamptz NOT NULL, n int8)`)
	var b strings.Builder
	b.WriteString(`INSERT INTO t VALUES `)
	for i := range 25 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString("('2024-01-01 00:00:00+00'::timestamptz + interval '" + itoa(i) + " seconds', " + itoa(i) + ")")
	}
	h.mustQuery(b.String())

	h.mustQuery(`BEGIN`)
	h.mustQuery(`DECLARE c NO SCROLL CURSOR FOR SELECT n FROM t ORDER BY n`)
	if got := h.mustQuery(`FETCH 3 FROM c`); got != "0\n1\n2" {
		t.Fatalf("FETCH 3: %q", got)
	}
	if got := h.mustQuery(`FETCH NEXT c`); got != "3" {
		t.Fatalf("FETCH NEXT: %q", got)
	}
	tag := h.tag(`MOVE FORWARD 10 IN c`)
	if tag != "MOVE 10" {
		t.Errorf("MOVE tag %q", tag)
	}
	// Another query on the same session while the cursor is open.
	if got := h.mustQuery(`SELECT count(*) FROM t`); got != "25" {
		t.Fatalf("count with an open cursor: %q", got)
	}
	if got := h.mustQuery(`FETCH ALL IN c`); got != "14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24" {
		t.Fatalf("FETCH ALL: %q", got)
	}
	if tag := h.tag(`FETCH 5 c`); tag != "FETCH 0" {
		t.Errorf("FETCH past the end: tag %q", tag)
	}
	for sql, code := range map[string]string{
		`FETCH BACKWARD 1 FROM c`:                 pgerror.ObjectNotInState,
		`FETCH PRIOR FROM c`:                      pgerror.ObjectNotInState,
		`DECLARE c CURSOR FOR SELECT 1`:           pgerror.DuplicateCursor,
		`FETCH 1 FROM nosuch`:                     pgerror.InvalidCursorName,
		`CLOSE nosuch`:                            pgerror.InvalidCursorName,
		`DECLARE b BINARY CURSOR FOR SELECT 1`:    pgerror.FeatureNotSupported,
		`DECLARE x CURSOR FOR SELECT * FROM nope`: pgerror.UndefinedTable,
	} {
		if _, err := h.query(sql); pgerror.Code(err) != code {
			t.Errorf("%s: %v, want SQLSTATE %s", sql, err, code)
		}
	}
	h.mustQuery(`DECLARE held CURSOR WITH HOLD FOR SELECT n FROM t WHERE n >= 20 ORDER BY n`)
	h.mustQuery(`COMMIT`)
	if _, err := h.query(`FETCH 1 FROM c`); pgerror.Code(err) != pgerror.InvalidCursorName {
		t.Errorf("a cursor without HOLD after COMMIT: %v", err)
	}
	if got := h.mustQuery(`FETCH 2 FROM held`); got != "20\n21" {
		t.Errorf("WITH HOLD cursor after COMMIT: %q", got)
	}
	if tag := h.tag(`CLOSE held`); tag != "CLOSE CURSOR" {
		t.Errorf("CLOSE tag %q", tag)
	}
	if _, err := h.query(`FETCH 1 FROM held`); pgerror.Code(err) != pgerror.InvalidCursorName {
		t.Errorf("after CLOSE: %v", err)
	}
	// Declared and fetched in one query string; parameters in DECLARE.
	if got := h.mustQuery(`DECLARE p CURSOR FOR SELECT n FROM t WHERE n > $1 ORDER BY n; FETCH 2 FROM p; CLOSE ALL`, int64(22)); got != "23\n24" {
		t.Errorf("one string: %q", got)
	}
}

// tag runs one statement and returns its command tag.
func (h *harness) tag(sql string) string {
	h.t.Helper()
	ctx := context.Background()
	stmts, err := h.s.Prepare(ctx, sql, nil)
	if err != nil || len(stmts) != 1 {
		h.t.Fatalf("%s: %v", sql, err)
	}
	rows, err := stmts[0].Execute(ctx, nil)
	if err != nil {
		h.t.Fatalf("%s: %v", sql, err)
	}
	defer rows.Close()
	for {
		if _, err := rows.Next(ctx); err != nil {
			break
		}
	}
	return rows.Tag()
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestCursorClosedUnread: a cursor closed before any FETCH releases its
// query cleanly in both engines (go-mysql-server's grouping iterator
// panics when closed before its first row).
func TestCursorClosedUnread(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE cur (ts timestamptz NOT NULL, n int8)`)
	for _, mode := range []string{"on", "off"} {
		h.mustQuery(`SET openwit.vectorize = ` + mode)
		h.mustQuery(`BEGIN`)
		h.mustQuery(`DECLARE d CURSOR FOR SELECT count(*) FROM cur`)
		h.mustQuery(`ROLLBACK`)
		h.mustQuery(`DECLARE e CURSOR FOR SELECT n, count(*) FROM cur GROUP BY n`)
		h.mustQuery(`CLOSE e`)
	}
}
