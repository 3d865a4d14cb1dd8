package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/pqfile"
)

// ALTER TABLE ... DROP COLUMN, ALTER COLUMN ... SET/DROP DEFAULT, SET/DROP
// NOT NULL, TYPE, ADD COLUMN ... DEFAULT / NOT NULL, and COMMENT ON
// (docs/design/071). All of them change the catalog only:
//   - a dropped column moves to catalog.Table.Dropped; files, WAL records
//     and fresh rows keep its data under its data name, which stays taken
//     (a column added later with its name gets another one), and every
//     read conforms batches to the live columns (storage.Conform);
//   - an added column with a non-volatile DEFAULT gets the default,
//     evaluated once now, as its missing value (catalog.Column.Missing,
//     PostgreSQL's attmissingval): rows stored before read it.

// tableSchema is the cached Arrow schema of one table definition.
type tableSchema struct {
	def *catalog.Table
	s   *arrow.Schema
}

// alterDDL runs an ALTER TABLE that needs the session (AlterTable.
// NeedsSession) or a COMMENT ON.
func (s *Session) alterDDL(ctx context.Context, at *pgparse.AlterTable, tag string) (*Rows, error) {
	e := s.e
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if done, err := e.commentView(ctx, at); done || err != nil { // comment_views_catmisc.go
		if err != nil {
			return nil, err
		}
		return &Rows{tag: tag}, nil
	}
	t, err := e.cfg.Catalog.GetTable(ctx, at.Name)
	if errors.Is(err, catalog.ErrNotFound) {
		if at.IfExists {
			notice(ctx, severityNotice, codeSuccess, "relation %q does not exist, skipping", at.Name)
			return &Rows{tag: tag}, nil
		}
		return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", at.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("alter table %s: %w", at.Name, err)
	}
	w, err := s.alteredTable(ctx, t, at)
	if err != nil {
		return nil, err
	}
	if len(w.Dropped) > len(t.Dropped) && s.inBlock() {
		// DROP COLUMN in a block: its values leave the buffers at once, so
		// they are published first; files keep them for a ROLLBACK to
		// bring back (session_txddl.go).
		if err := e.publishBuffered(ctx, t, "ALTER TABLE"); err != nil {
			return nil, mapError(err)
		}
	}
	out, err := e.cfg.Catalog.AlterTable(ctx, t.ID, func(tb *catalog.Table) error {
		tb.Columns, tb.Dropped, tb.TimeColumn, tb.Comment = w.Columns, w.Dropped, w.TimeColumn, w.Comment
		return nil
	})
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", at.Name)
	case errors.Is(err, catalog.ErrInvalid):
		return nil, pgerror.New(pgerror.InvalidTableDefinition, "%v", err)
	case err != nil:
		return nil, fmt.Errorf("alter table %s: %w", at.Name, err)
	}
	if len(at.Set) > 0 || len(at.Reset) > 0 {
		if out, err = e.cfg.Catalog.UpdateTableOptions(ctx, out.Name, at.Set, at.Reset); err != nil {
			return nil, fmt.Errorf("alter table %s: %w", at.Name, err)
		}
	}
	// Buffered rows lose dropped columns and read added ones' missing
	// values at once.
	if err := e.cfg.Ingester.AlterTable(out); err != nil {
		return nil, err
	}
	e.schemas.Delete(t.ID)
	e.tables.Store(out.Name, out)
	s.noteAltered(t, out) // session_txddl.go
	return &Rows{tag: tag}, nil
}

// alteredTable applies the subcommands of at, in order, to a copy of t
// and returns it; errors are PostgreSQL's, and nothing is stored.
func (s *Session) alteredTable(ctx context.Context, t *catalog.Table, at *pgparse.AlterTable) (*catalog.Table, error) {
	w := *t
	w.Columns, w.Dropped = slices.Clone(t.Columns), slices.Clone(t.Dropped)
	col := func(name string) int {
		return slices.IndexFunc(w.Columns, func(c catalog.Column) bool { return c.Name == name })
	}
	noColumn := func(name string) error {
		return pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", name, t.Name)
	}
	if c := at.Comment; c != nil {
		if c.Column == "" {
			w.Comment = c.Text
			return &w, nil
		}
		i := col(c.Column)
		if i < 0 {
			return nil, noColumn(c.Column)
		}
		w.Columns[i].Comment = c.Text
		return &w, nil
	}
	sctx := s.sqlContext(ctx)
	for _, ac := range at.Alter {
		i := col(ac.Column)
		if i < 0 {
			if ac.Kind == pgparse.DropColumn && ac.IfExists {
				notice(ctx, severityNotice, codeSuccess, "column %q of relation %q does not exist, skipping", ac.Column, t.Name)
				continue
			}
			return nil, noColumn(ac.Column)
		}
		c := &w.Columns[i]
		switch ac.Kind {
		case pgparse.DropColumn:
			if c.Name == w.TimeColumn {
				return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
					Message: fmt.Sprintf("cannot drop column %q of table %q: it is the table's time column", c.Name, t.Name),
					Detail:  "The time column is the key of the table's time shards, files and retention."}
			}
			if len(w.Columns) == 1 {
				return nil, pgerror.New(pgerror.InvalidTableDefinition, "cannot drop column %q of table %q: a table needs at least one column", c.Name, t.Name)
			}
			if err := s.e.viewsReadingColumn(ctx, t, c.Name, ac.Cascade); err != nil {
				return nil, err
			}
			w.DropColumn(c.Name)
		case pgparse.SetDefault:
			probe := *c
			probe.Default = ac.Default
			if err := s.checkDefault(sctx, probe); err != nil {
				return nil, err
			}
			c.Default, c.DefaultDisplay = s.e.analyzedDefault(sctx, c.Type, ac.Default)
		case pgparse.DropDefault:
			c.Default, c.DefaultDisplay = "", ""
		case pgparse.SetNotNull:
			if c.NotNull {
				continue
			}
			has, err := s.anyRow(ctx, fmt.Sprintf("SELECT 1 FROM %s WHERE %s IS NULL LIMIT 1", quoteIdent(t.Name), quoteIdent(c.Name)))
			if err != nil {
				return nil, err
			}
			if has {
				return nil, pgerror.New(pgerror.NotNullViolation, "column %q of relation %q contains null values", c.Name, t.Name)
			}
			c.NotNull = true
		case pgparse.DropNotNull:
			if c.Name == w.TimeColumn {
				return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
					Message: fmt.Sprintf("column %q of table %q is its time column, which cannot hold NULL", c.Name, t.Name)}
			}
			c.NotNull = false
		case pgparse.SetType:
			if ac.Type == c.Type && !ac.Using {
				continue // PostgreSQL: nothing to rewrite
			}
			return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
				Message: fmt.Sprintf("ALTER COLUMN ... TYPE is not supported: changing column %q of %q from %s to %s would rewrite every stored row", c.Name, t.Name, c.Type, ac.Type),
				Hint:    "Add a column of the new type (ALTER TABLE ... ADD COLUMN), write new rows to it, and drop the old one when it is no longer needed."}
		}
	}
	for _, a := range at.Add {
		if col(a.Column.Name) >= 0 {
			if a.IfNotExists {
				notice(ctx, severityNotice, pgerror.DuplicateColumn, "column %q of relation %q already exists, skipping", a.Column.Name, t.Name)
				continue
			}
			return nil, pgerror.New(pgerror.DuplicateColumn, "column %q of relation %q already exists", a.Column.Name, t.Name)
		}
		if a.Volatile != "" {
			return nil, &pgerror.Error{Code: pgerror.FeatureNotSupported,
				Message: fmt.Sprintf("ADD COLUMN %q with a volatile DEFAULT (%s()) is not supported", a.Column.Name, a.Volatile),
				Detail:  "Every stored row would need its own value: PostgreSQL rewrites the table for it, OpenWit does not rewrite files.",
				Hint:    "Add the column without the DEFAULT, then ALTER COLUMN ... SET DEFAULT: new rows get it, stored rows read NULL."}
		}
		nc := catalog.Column{Name: a.Column.Name, Type: a.Column.Type, NotNull: a.Column.NotNull, Field: w.NewField(a.Column.Name), Num: w.NextNum()}
		nc.Default, nc.DefaultDisplay = s.e.analyzedDefault(sctx, nc.Type, a.Column.Default)
		missing, err := s.missingValue(sctx, nc)
		if err != nil {
			return nil, err
		}
		nc.Missing = missing
		if nc.NotNull && missing == nil {
			has, err := s.anyRow(ctx, "SELECT 1 FROM "+quoteIdent(t.Name)+" LIMIT 1")
			if err != nil {
				return nil, err
			}
			if has {
				return nil, pgerror.New(pgerror.NotNullViolation, "column %q of relation %q contains null values", nc.Name, t.Name)
			}
		}
		w.Columns = append(w.Columns, nc)
	}
	if err := checkColumnNames(t.Name, columnNamesWith(w.Columns)); err != nil {
		return nil, err
	}
	return &w, nil
}

// checkDefault binds a column's DEFAULT as CREATE TABLE does
// (checkDefaults): a string literal that does not fit the type fails now.
func (s *Session) checkDefault(sctx *sql.Context, c catalog.Column) error {
	return s.checkDefaults(sctx, &pgparse.CreateTable{Columns: []pgparse.ColumnDef{{Name: c.Name, Type: c.Type, Default: c.Default}}})
}

// missingValue evaluates the DEFAULT of a column being added, once, and
// returns it in storage form (pqfile.EncodeMissing); nil when it has none
// or it is NULL.
func (s *Session) missingValue(sctx *sql.Context, c catalog.Column) (*string, error) {
	cd, err := s.e.columnDefault(sctx, c)
	if err != nil || cd == nil {
		return nil, mapError(err)
	}
	v, err := cd.Eval(sctx, nil)
	if err != nil {
		return nil, mapError(err)
	}
	if v == nil {
		return nil, nil
	}
	if v, err = fitChar(c, v); err != nil {
		return nil, err
	}
	dt, err := storage.ArrowType(c.Type)
	if err != nil {
		return nil, err
	}
	b := array.NewBuilder(memory.DefaultAllocator, dt)
	defer b.Release()
	if err := appendValue(b, v); err != nil {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "column %q: %v", c.Name, err)
	}
	a := b.NewArray()
	defer a.Release()
	enc, err := pqfile.EncodeMissing(a, 0)
	if err != nil {
		return nil, err
	}
	return &enc, nil
}

// anyRow runs q, a query of this session, and reports whether it returns
// a row.
func (s *Session) anyRow(ctx context.Context, q string) (bool, error) {
	ps, err := s.prepare(ctx, q, nil)
	if err != nil {
		return false, err
	}
	if len(ps) != 1 {
		return false, fmt.Errorf("internal query %q: %d statements", q, len(ps))
	}
	rows, err := ps[0].execute(ctx, nil)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	_, err = rows.Next(ctx)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	return err == nil, err
}

// quoteIdent quotes an identifier for SQL text.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
