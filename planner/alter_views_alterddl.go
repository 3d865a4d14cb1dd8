package planner

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"openwit/internal/pgerror"
	"openwit/storage/catalog"
)

// viewsReadingColumn refuses (2BP01, as PostgreSQL) to drop column col of
// table t while a view that reads t names it. Views record the tables
// they read, not the columns, so a view whose query text holds col as a
// whole identifier counts as reading it (conservative: a view that only
// names another table's column of the same name is counted too). With
// CASCADE PostgreSQL drops those views; OpenWit refuses (0A000) and asks
// for DROP VIEW first.
func (e *Engine) viewsReadingColumn(ctx context.Context, t *catalog.Table, col string, cascade bool) error {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil // a catalog without views
	}
	all, err := vs.ListViews(ctx)
	if err != nil {
		return err
	}
	var names, detail []string
	for _, v := range all {
		if slices.Contains(v.Tables, t.ID) && namesIdentifier(v.Query, col) {
			names = append(names, v.Name)
			detail = append(detail, fmt.Sprintf("view %s depends on column %s of table %s", v.Name, col, t.Name))
		}
	}
	if len(names) == 0 {
		return nil
	}
	if cascade {
		return &pgerror.Error{Code: pgerror.FeatureNotSupported,
			Message: fmt.Sprintf("DROP COLUMN %s ... CASCADE would drop view %s: not supported", col, strings.Join(names, ", ")),
			Hint:    "Drop the views first (DROP VIEW), then the column."}
	}
	return &pgerror.Error{Code: codeDependentObjects,
		Message: fmt.Sprintf("cannot drop column %s of table %s because other objects depend on it", col, t.Name),
		Detail:  strings.Join(detail, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
}

// namesIdentifier reports whether name occurs in query as a whole
// identifier (not part of a longer one), quoted or not.
func namesIdentifier(query, name string) bool {
	word := func(b byte) bool {
		return b == '_' || b == '$' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= 0x80
	}
	for i := 0; ; {
		j := strings.Index(query[i:], name)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(name)
		if (j == 0 || !word(query[j-1])) && (end == len(query) || !word(query[end])) {
			return true
		}
		i = j + 1
	}
}
