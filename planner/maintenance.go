package planner

import (
	"context"
	"errors"
	"slices"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// maintenance runs VACUUM and ANALYZE (design 098): there is nothing to
// do, but the targets are checked as PostgreSQL checks them: VACUUM
// refuses a transaction block (25001), an unknown table is 42P01, an
// unknown column 42703, and a view is skipped with a WARNING. Both run in
// read-only transactions, as in PostgreSQL.
func (s *Session) maintenance(ctx context.Context, st *pgparse.Statement) (*Rows, error) {
	m := st.Maintenance
	if m.Vacuum && s.tx.active {
		return nil, pgerror.New(codeActiveSQLTransaction, "VACUUM cannot run inside a transaction block")
	}
	verb := "analyze"
	if m.Vacuum {
		verb = "vacuum"
	}
	for _, tg := range m.Targets {
		t, err := s.e.cfg.Catalog.GetTable(ctx, tg.Name)
		if errors.Is(err, catalog.ErrNotFound) {
			if s.e.viewNamed(ctx, tg.Name) {
				notice(ctx, severityWarning, codeWarning, "skipping %q --- cannot %s non-tables or special system tables", tg.Name, verb)
				continue
			}
			return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", tg.Name)
		}
		if err != nil {
			return nil, err
		}
		for _, c := range tg.Columns {
			if !slices.ContainsFunc(t.Columns, func(tc catalog.Column) bool { return tc.Name == c }) {
				return nil, pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", c, tg.Name)
			}
		}
	}
	return &Rows{tag: st.Tag}, nil
}

// noop answers a statement that changes nothing (KindNoop) with its tag
// and notices.
func noop(ctx context.Context, st *pgparse.Statement) *Rows {
	for _, n := range st.Notices {
		notice(ctx, n.Severity, n.Code, "%s", n.Message)
	}
	return &Rows{tag: st.Tag}
}
