package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
)

// The views in the generated pg_catalog and information_schema
// (docs/design/070-views.md): pg_class (relkind 'v', OID viewOIDBase +
// ID), pg_attribute, pg_views, information_schema.tables (VIEW), views
// and columns, ::regclass, and pg_get_viewdef.

// catalogViews lists the views for a catalog query: read from the
// catalog each time, as the tables are.
func (e *Engine) catalogViewList(ctx *sql.Context) ([]*catalog.View, error) {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil, nil
	}
	return vs.ListViews(ctx)
}

func viewOID(v *catalog.View) int64 { return int64(viewOIDBase + v.ID) }

// viewDefinition is pg_get_viewdef's text of a view: its stored SELECT,
// as pg_query deparses it (PostgreSQL prints its own layout: a newline
// and indentation per clause, qualified columns) and a semicolon.
func viewDefinition(v *catalog.View) string {
	return " " + v.Query + ";"
}

// viewColumnType is the canonical column type name of a view column (for
// information_schema.columns's lengths and precisions); "" when there is
// none.
func viewColumnType(c catalog.ViewColumn) string {
	t, err := storedType(Column{Name: c.Name, TypeOID: c.TypeOID, TypeModifier: max(c.Typmod, 0)})
	if err != nil {
		return ""
	}
	return t
}

// viewClassRows are the pg_class rows of the views, made by row.
func (e *Engine) viewClassRows(ctx *sql.Context, row func(oid int64, name string, ns int64, kind string, natts int) sql.Row) ([]sql.Row, error) {
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return nil, err
	}
	var out []sql.Row
	for _, v := range vs {
		r := row(viewOID(v), v.Name, int64(oidPublic), "v", len(v.Columns))
		if v.CheckOption != "" {
			r[len(r)-2] = viewReloptions(v) // views_catalog_catmisc.go
		}
		out = append(out, r)
	}
	return out, nil
}

// viewAttributeRows are the pg_attribute rows of the views' columns.
func (e *Engine) viewAttributeRows(ctx *sql.Context, row func(rel int64, name string, typ sql.Type, colType string, num int, notNull, hasDef bool) sql.Row) ([]sql.Row, error) {
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return nil, err
	}
	var out []sql.Row
	for _, v := range vs {
		for i, c := range v.Columns {
			ct := viewColumnType(c)
			gt, err := pgtypes.GMSType(ct)
			if ct == "" || err != nil {
				gt, err = pgtypes.GMSType(storage.TypeText)
				if err != nil {
					return nil, err
				}
			}
			r := row(int64(viewOIDBase+v.ID), c.Name, gt, ct, i+1, false, false)
			r[2], r[6] = int64(c.TypeOID), c.Typmod // atttypid, atttypmod as stored
			out = append(out, r)
		}
	}
	return out, nil
}

// viewRelations are the views as information_schema lists relations.
func (e *Engine) viewRelations(ctx *sql.Context) ([]relationInfo, error) {
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return nil, err
	}
	var out []relationInfo
	for _, v := range vs {
		r := relationInfo{schema: "public", name: v.Name, kind: "v", def: e.viewDefinitionText(ctx, v, false)}
		r.insertable, r.updatable = viewUpdatable(vs, v, 0) // views_viewdml.go
		r.checkOption = v.CheckOption
		for i, c := range v.Columns {
			r.cols = append(r.cols, relationColumn{name: c.Name, oid: c.TypeOID, colType: viewColumnType(c),
				readOnly: !viewColumnUpdatable(vs, v, i, 0)})
		}
		out = append(out, r)
	}
	return out, nil
}

// viewRelationOID returns the OID of the view named rel, if any.
func (e *Engine) viewRelationOID(ctx *sql.Context, rel string) (int64, bool, error) {
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return 0, false, err
	}
	for _, v := range vs {
		if v.Name == rel {
			return viewOID(v), true, nil
		}
	}
	return 0, false, nil
}

// viewByOID returns the view of a pg_class OID, or nil.
func (e *Engine) viewByOID(ctx *sql.Context, oid int64) (*catalog.View, error) {
	if oid <= viewOIDBase {
		return nil, nil
	}
	vs, err := e.catalogViewList(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if viewOID(v) == oid {
			return v, nil
		}
	}
	return nil, nil
}

// pgGetViewdef is pg_get_viewdef(view [, pretty]): view is an OID or a
// name; NULL for an OID that is no view, 42P01 for an unknown name.
func (e *Engine) pgGetViewdef(ctx *sql.Context, args []any) (any, error) {
	if args[0] == nil {
		return nil, nil
	}
	if s, ok := args[0].(string); ok {
		parts := splitQualified(s)
		oid, found, err := e.viewRelationOID(ctx, parts[len(parts)-1])
		if err != nil {
			return nil, err
		}
		if !found {
			if o, ok, err := e.relationOID(ctx, s); err == nil && ok && o > 0 {
				return nil, nil // a table: PostgreSQL prints nothing useful either
			}
			return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", s)
		}
		args = append([]any{oid}, args[1:]...)
	}
	oid, err := toInt64(args[0])
	if err != nil {
		return nil, fmt.Errorf("pg_get_viewdef: %w", err)
	}
	v, err := e.viewByOID(ctx, oid)
	if err != nil || v == nil {
		return nil, err
	}
	pretty := false
	if len(args) > 1 && args[1] != nil {
		if b, ok := args[1].(bool); ok {
			pretty = b
		} else if n, err := toInt64(args[1]); err == nil {
			pretty = n != 0
		}
	}
	return e.viewDefinitionText(ctx, v, pretty), nil
}
