package planner

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// Comments on views (COMMENT ON VIEW v, COMMENT ON COLUMN v.c), kept with
// the view in the catalog and shown as PostgreSQL shows them:
// pg_description, obj_description, col_description, psql's \d+ and \dv+.

// commentView runs a COMMENT ON that names a view; done is false when the
// name is not a view's (the caller goes on with tables). The caller holds
// the DDL locks.
func (e *Engine) commentView(ctx context.Context, at *pgparse.AlterTable) (done bool, err error) {
	c := at.Comment
	if c == nil {
		return false, nil
	}
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return false, nil
	}
	v, err := vs.GetView(ctx, at.Name)
	if errors.Is(err, catalog.ErrNotFound) {
		if !c.View {
			return false, nil
		}
		if _, terr := e.cfg.Catalog.GetTable(ctx, at.Name); terr == nil {
			return true, pgerror.New(pgerror.WrongObjectType, "%q is not a view", at.Name)
		}
		return true, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", at.Name)
	}
	if err != nil {
		return true, fmt.Errorf("comment on %s: %w", at.Name, err)
	}
	w := *v
	w.Columns = slices.Clone(v.Columns)
	switch {
	case c.Column != "":
		i := slices.IndexFunc(w.Columns, func(col catalog.ViewColumn) bool { return col.Name == c.Column })
		if i < 0 {
			return true, pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", c.Column, v.Name)
		}
		w.Columns[i].Comment = c.Text
	case !c.View:
		return true, pgerror.New(pgerror.WrongObjectType, "%q is not a table", v.Name)
	default:
		w.Comment = c.Text
	}
	if _, err := vs.CreateView(ctx, &w, true); err != nil {
		return true, fmt.Errorf("comment on %s: %w", at.Name, err)
	}
	e.forgetViews()
	return true, nil
}

// keepViewComments carries the comments of the view CREATE OR REPLACE
// VIEW replaces over to its new definition, as PostgreSQL keeps them (the
// old columns are a prefix of the new ones: replaceableBy).
func keepViewComments(old, def *catalog.View) {
	def.Comment = old.Comment
	for i := range min(len(old.Columns), len(def.Columns)) {
		def.Columns[i].Comment = old.Columns[i].Comment
	}
}

// viewDescriptionRows are pg_description's rows of the views' comments.
func (e *Engine) viewDescriptionRows(ctx *sql.Context) ([]sql.Row, error) {
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return nil, err
	}
	var out []sql.Row
	for _, v := range vs {
		if v.Comment != "" {
			out = append(out, sql.Row{viewOID(v), int64(oidPgClass), int32(0), v.Comment})
		}
		for i, c := range v.Columns {
			if c.Comment != "" {
				out = append(out, sql.Row{viewOID(v), int64(oidPgClass), int32(i + 1), c.Comment})
			}
		}
	}
	return out, nil
}

// viewDescription is obj_description and col_description of a view's
// OID: the view's comment (attnum 0) or its column's; ok is false when
// oid is no view.
func (e *Engine) viewDescription(ctx *sql.Context, oid any, attnum int64) (any, bool, error) {
	id, err := toInt64(oid)
	if err != nil {
		return nil, false, nil
	}
	v, err := e.viewByOID(ctx, id)
	if err != nil || v == nil {
		return nil, false, err
	}
	text := v.Comment
	if attnum != 0 {
		text = ""
		if attnum >= 1 && int(attnum) <= len(v.Columns) {
			text = v.Columns[attnum-1].Comment
		}
	}
	if text == "" {
		return nil, true, nil
	}
	return text, true, nil
}
