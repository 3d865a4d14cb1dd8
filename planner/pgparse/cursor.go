package pgparse

import (
	"math"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// Cursor is DECLARE name [NO SCROLL | SCROLL] CURSOR [WITH HOLD] FOR query.
type Cursor struct {
	Name   string
	Hold   bool // WITH HOLD: survives COMMIT
	Scroll bool // SCROLL was asked for (backward fetches still fail)
}

// Fetch is FETCH or MOVE [FORWARD|NEXT] [count|ALL] [FROM|IN] name.
type Fetch struct {
	Name  string
	Count int64 // rows; -1 means ALL
	Move  bool  // MOVE: position only, no rows
}

// Close is CLOSE name or CLOSE ALL.
type Close struct {
	Name string // "" with All
	All  bool
}

// PostgreSQL's CURSOR_OPT_* bits of DeclareCursorStmt.Options.
const (
	cursorOptBinary = 0x0001
	cursorOptScroll = 0x0002
	cursorOptHold   = 0x0020
)

func (t *translator) declareCursor(d *pg.DeclareCursorStmt) *Statement {
	if d.Options&cursorOptBinary != 0 {
		t.fail(pgerror.FeatureNotSupported, "BINARY cursors are not supported; use the extended protocol's binary result formats")
	}
	q := d.Query.GetSelectStmt()
	if q == nil {
		t.fail(pgerror.FeatureNotSupported, "DECLARE CURSOR FOR %s is not supported", statementName(d.Query))
	}
	return &Statement{Kind: KindDeclare, AST: t.selectStmt(q, true), Tag: "DECLARE CURSOR",
		Cursor: &Cursor{Name: d.Portalname, Hold: d.Options&cursorOptHold != 0, Scroll: d.Options&cursorOptScroll != 0}}
}

func (t *translator) fetch(f *pg.FetchStmt) *Statement {
	tag := "FETCH"
	if f.Ismove {
		tag = "MOVE"
	}
	if f.Portalname == "" {
		t.fail(pgerror.InvalidCursorName, "cursor name is missing")
	}
	count := f.HowMany
	switch f.Direction {
	case pg.FetchDirection_FETCH_FORWARD:
	case pg.FetchDirection_FETCH_RELATIVE:
		if count <= 0 {
			t.fail(pgerror.ObjectNotInState, "cursor can only scan forward")
		}
	default:
		// BACKWARD, PRIOR, FIRST, LAST, ABSOLUTE: OpenWit's cursors stream
		// the query once.
		t.fail(pgerror.ObjectNotInState, "cursor can only scan forward")
	}
	switch {
	case count == math.MaxInt64:
		count = -1
	case count <= 0:
		t.fail(pgerror.FeatureNotSupported, "%s FORWARD 0 (the current row again) is not supported", tag)
	}
	return &Statement{Kind: KindFetch, Tag: tag, Fetch: &Fetch{Name: f.Portalname, Count: count, Move: f.Ismove}}
}

func (t *translator) closeCursor(c *pg.ClosePortalStmt) *Statement {
	return &Statement{Kind: KindClose, Tag: "CLOSE CURSOR", Close: &Close{Name: c.Portalname, All: c.Portalname == ""}}
}

// IsTransactionEnd reports whether a utility tag ends a transaction block
// (ROLLBACK TO, tag ROLLBACK, does not: check Statement.Savepoint).
func IsTransactionEnd(tag string) bool {
	switch strings.ToUpper(tag) {
	case "COMMIT", "ROLLBACK":
		return true
	}
	return false
}
