package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// ALTER TABLE ... RENAME (design 066). A table is known to its files, WAL
// records and buffers by its ID, so renaming it changes the catalog row
// only. A renamed column keeps its data name (catalog.Column.Field): the
// Arrow fields of the buffers and WAL records, the Parquet columns and the
// index artifacts written before and after the rename all use the name the
// column was created with, and SQL sees the new one. The planner speaks
// data names to the executor (fieldOf); everything below it never sees a
// SQL name.

// renameTable runs ALTER TABLE t RENAME TO u or RENAME COLUMN a TO b
// and returns the renamed definition; the caller holds the DDL and schema
// locks.
func (e *Engine) renameTable(ctx context.Context, t *catalog.Table, at *pgparse.AlterTable) (*catalog.Table, error) {
	var (
		out *catalog.Table
		err error
	)
	if at.RenameTo != "" {
		if _, gerr := e.cfg.Catalog.GetTable(ctx, at.RenameTo); gerr == nil || e.viewNamed(ctx, at.RenameTo) {
			return nil, pgerror.New(pgerror.DuplicateTable, "relation %q already exists", at.RenameTo)
		}
		out, err = e.cfg.Catalog.RenameTable(ctx, t.ID, at.RenameTo)
		if err == nil {
			err = e.renameInViews(ctx, t.ID, false, t.Name, out.Name) // views.go
		}
	} else {
		if v := e.viewOnTable(ctx, t.ID); v != "" { // views.go
			return nil, pgerror.New(pgerror.FeatureNotSupported, "cannot rename a column of table %q: view %q depends on it", t.Name, v)
		}
		rc := at.RenameColumn
		has := func(name string) bool {
			for _, c := range t.Columns {
				if c.Name == name {
					return true
				}
			}
			return false
		}
		switch {
		case !has(rc.From):
			return nil, pgerror.New(pgerror.UndefinedColumn, "column %q does not exist", rc.From)
		case has(rc.To):
			return nil, pgerror.New(pgerror.DuplicateColumn, "column %q of relation %q already exists", rc.To, t.Name)
		}
		others := make([]catalog.Column, 0, len(t.Columns))
		for _, c := range t.Columns {
			if c.Name != rc.From {
				others = append(others, c)
			}
		}
		if err := checkColumnNames(t.Name, columnNamesWith(others, rc.To)); err != nil {
			return nil, err
		}
		out, err = e.cfg.Catalog.RenameColumn(ctx, t.ID, rc.From, rc.To)
	}
	switch {
	case errors.Is(err, catalog.ErrExists) && at.RenameTo != "":
		return nil, pgerror.New(pgerror.DuplicateTable, "relation %q already exists", at.RenameTo)
	case errors.Is(err, catalog.ErrExists):
		return nil, pgerror.New(pgerror.DuplicateColumn, "column %q of relation %q already exists", at.RenameColumn.To, t.Name)
	case errors.Is(err, catalog.ErrNoColumn):
		return nil, pgerror.New(pgerror.UndefinedColumn, "column %q does not exist", at.RenameColumn.From)
	case errors.Is(err, catalog.ErrNotFound):
		return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", at.Name)
	case errors.Is(err, catalog.ErrInvalid):
		return nil, pgerror.New(pgerror.InvalidParameterValue, "%v", err)
	case err != nil:
		return nil, fmt.Errorf("alter table %s: %w", at.Name, err)
	}
	e.cfg.Ingester.RenameTable(out)
	e.tables.Delete(t.Name)
	e.tables.Store(out.Name, out)
	return out, nil
}

// fieldOf is the data name of t's column name (catalog.Column.FieldName);
// name itself when t has no such column.
func fieldOf(t *catalog.Table, name string) string {
	for _, c := range t.Columns {
		if c.Name == name {
			return c.FieldName()
		}
	}
	for _, c := range t.Columns {
		if strings.EqualFold(c.Name, name) {
			return c.FieldName()
		}
	}
	return name
}

// fieldsOf maps column names to data names (fieldOf).
func fieldsOf(t *catalog.Table, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = fieldOf(t, n)
	}
	return out
}
