package planner

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/storage/catalog"
)

// Comments (COMMENT ON TABLE / COLUMN, docs/design/071) as clients read
// them: pg_description rows (classoid pg_class, objsubid the column's
// attnum, 0 for the table), obj_description and col_description. They
// read the catalog, so every node shows the same comments at once.

// oidPgClass is pg_class's OID: the classoid of a relation's comments.
const oidPgClass = 1259

// descriptionRows are pg_description's rows.
func (e *Engine) descriptionRows(ctx *sql.Context) ([]sql.Row, error) {
	ts, err := e.listTables(ctx)
	if err != nil {
		return nil, err
	}
	// PostgreSQL's own comment on the public schema (psql's \dn+).
	out := []sql.Row{{int64(oidPublic), catalogOIDs["pg_namespace"], int32(0), publicSchemaComment}}
	for _, t := range ts {
		rel := int64(tableOIDBase + t.ID)
		if t.Comment != "" {
			out = append(out, sql.Row{rel, int64(oidPgClass), int32(0), t.Comment})
		}
		for i, c := range t.Columns {
			if c.Comment != "" {
				out = append(out, sql.Row{rel, int64(oidPgClass), int32(t.AttNum(i)), c.Comment})
			}
		}
	}
	vrows, err := e.viewDescriptionRows(ctx) // comment_views_catmisc.go
	if err != nil {
		return nil, err
	}
	return append(out, vrows...), nil
}

// publicSchemaComment is PostgreSQL's comment on the public schema.
const publicSchemaComment = "standard public schema"

// tableByOID returns the table whose pg_class OID is oid, or nil.
func (e *Engine) tableByOID(ctx *sql.Context, oid any) (*catalog.Table, error) {
	id, err := toInt64(oid)
	if err != nil {
		return nil, nil
	}
	ts, err := e.listTables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if int64(tableOIDBase+t.ID) == id {
			return t, nil
		}
	}
	return nil, nil
}

// objDescription is obj_description(oid [, catalog]): the comment of the
// table of that OID (catalog 'pg_class' or omitted), else NULL.
func (e *Engine) objDescription(ctx *sql.Context, a []any) (any, error) {
	if a[0] != nil && len(a) > 1 && a[1] == "pg_namespace" {
		if n, err := toInt64(a[0]); err == nil && n == oidPublic {
			return publicSchemaComment, nil
		}
		return nil, nil
	}
	if a[0] != nil && len(a) > 1 && a[1] == "pg_operator" {
		if n, err := toInt64(a[0]); err == nil {
			return operatorComment(n), nil
		}
		return nil, nil
	}
	if a[0] == nil || len(a) > 1 && a[1] != "pg_class" {
		return nil, nil
	}
	if d, ok, err := e.viewDescription(ctx, a[0], 0); ok || err != nil {
		return d, err
	}
	t, err := e.tableByOID(ctx, a[0])
	if err != nil || t == nil || t.Comment == "" {
		return nil, err
	}
	return t.Comment, nil
}

// colDescription is col_description(table oid, attnum): the comment of
// that column, else NULL.
func (e *Engine) colDescription(ctx *sql.Context, a []any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return nil, nil
	}
	n, err := toInt64(a[1])
	if err != nil {
		return nil, nil
	}
	if d, ok, err := e.viewDescription(ctx, a[0], n); ok || err != nil {
		return d, err
	}
	t, err := e.tableByOID(ctx, a[0])
	if err != nil || t == nil {
		return nil, err
	}
	if i := t.ColumnByAttNum(int(n)); i >= 0 && t.Columns[i].Comment != "" {
		return t.Columns[i].Comment, nil
	}
	return nil, nil
}
