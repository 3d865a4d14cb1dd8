package planner

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// viewReloptions is pg_class.reloptions of a view WITH CHECK OPTION, a
// text[] as PostgreSQL stores it ({check_option=local}); psql's \d+
// prints it as the "Options:" footer.
func viewReloptions(v *catalog.View) string {
	return "{check_option=" + v.CheckOption + "}"
}

// viewDefinitionText is pg_get_viewdef's text of a view: PostgreSQL's
// layout (pgparse.ViewDefinition) where the query has a shape it prints,
// else the stored SELECT on one line, as pg_query deparses it. pretty is
// pg_get_viewdef's second argument (psql's \d+ passes true; pg_views and
// information_schema.views print without).
func (e *Engine) viewDefinitionText(ctx *sql.Context, v *catalog.View, pretty bool) string {
	names := make([]string, len(v.Columns))
	for i, c := range v.Columns {
		names[i] = c.Name
	}
	var views []*catalog.View
	rel := func(name string) (pgparse.ViewRelation, bool) {
		if t, err := e.cfg.Catalog.GetTable(ctx, name); err == nil && t != nil {
			var r pgparse.ViewRelation
			for _, c := range t.Columns {
				gt, err := pgtypes.GMSType(c.Type)
				if err != nil {
					return r, false
				}
				oid, _ := pgtypes.OID(gt)
				r.Names, r.Types = append(r.Names, c.Name), append(r.Types, oid)
			}
			return r, true
		}
		if views == nil {
			views, _ = e.catalogViewList(ctx)
		}
		for _, w := range views {
			if w.Name == name {
				var r pgparse.ViewRelation
				for _, c := range w.Columns {
					r.Names, r.Types = append(r.Names, c.Name), append(r.Types, c.TypeOID)
				}
				return r, true
			}
		}
		return pgparse.ViewRelation{}, false
	}
	if s, ok := pgparse.ViewDefinition(v.Query, names, rel, e.constOutput(ctx), pretty); ok {
		return s
	}
	return viewDefinition(v)
}
