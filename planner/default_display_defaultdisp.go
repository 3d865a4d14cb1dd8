package planner

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgparse"
	"openwit/storage/catalog"
)

// Column DEFAULTs as PostgreSQL displays them (docs/design/075). The
// catalog keeps the text the user wrote (catalog.Column.Default, which
// INSERT binds) and, computed when the DEFAULT is set, its display
// (catalog.Column.DefaultDisplay): the analyzed expression deparsed as
// ruleutils does (pgparse.DisplayDefault), with constants converted in
// the session that set it (a timestamptz literal in its TimeZone).
// pg_attrdef.adbin, pg_get_expr and information_schema.columns show the
// display; a column set before it was kept gets it computed on read.

// defaultDisplayOf returns the display of DEFAULT def on a column of type
// typ, converting its constants in ctx's session; def itself when it
// cannot be analyzed here (then INSERT's binding decides).
func (e *Engine) defaultDisplayOf(ctx *sql.Context, typ, def string) string {
	if def == "" {
		return ""
	}
	s, err := pgparse.DisplayDefault(def, typ, e.constOutput(ctx))
	if err != nil {
		return def
	}
	return s
}

// shownDefault is what the catalogs show of c's DEFAULT: its stored
// display, or one computed now for a column stored without it. A
// timestamptz constant is an instant, which PostgreSQL prints in the
// reading session's TimeZone: the stored display has it with its offset,
// and it is converted again here.
func (e *Engine) shownDefault(ctx *sql.Context, c catalog.Column) string {
	if c.Default == "" {
		return ""
	}
	if c.DefaultDisplay == "" {
		return e.defaultDisplayOf(ctx, c.Type, c.Default)
	}
	if !strings.Contains(c.DefaultDisplay, "::timestamp with time zone") {
		return c.DefaultDisplay
	}
	conv := e.constOutput(ctx)
	s, err := pgparse.DisplayDefault(c.DefaultDisplay, "", func(lit, typ string) (string, error) {
		if typ != "timestamptz" {
			return lit, nil
		}
		return conv(lit, typ)
	})
	if err != nil {
		return c.DefaultDisplay
	}
	return s
}

// setDefaultDisplays fills in the display of each DEFAULT of a new table.
func (s *Session) setDefaultDisplays(ctx *sql.Context, ct *pgparse.CreateTable) {
	for i, c := range ct.Columns {
		ct.Columns[i].Default, ct.Columns[i].DefaultDisplay = s.e.analyzedDefault(ctx, c.Type, c.Default)
	}
}

// nullConstant matches the display of a NULL constant (NULL, NULL::text,
// NULL::character varying(3), NULL::bigint[]).
var nullConstant = regexp.MustCompile(`^NULL(::[a-z ]+(\([0-9,]+\))?[a-z ]*(\[\])?)?$`)

// analyzedDefault returns the DEFAULT to store for def on a column of type
// typ and its display; both empty when it is a NULL constant, which
// PostgreSQL does not store either (no pg_attrdef row, atthasdef false).
func (e *Engine) analyzedDefault(ctx *sql.Context, typ, def string) (string, string) {
	disp := e.defaultDisplayOf(ctx, typ, def)
	if nullConstant.MatchString(disp) {
		return "", ""
	}
	return def, disp
}

// typeNamePattern is what constOutput puts in its query as a type: a
// name, a typmod, an array suffix (the type comes from the DEFAULT's
// casts, which are the user's).
var typeNamePattern = regexp.MustCompile(`^[a-z][a-z0-9_ ]*(\([0-9,]+\))?(\[\])?$`)

// constOutput converts a literal to a type and returns the value's text
// output, evaluated as a query in ctx's session (its TimeZone, DateStyle).
func (e *Engine) constOutput(ctx *sql.Context) pgparse.ConstOutput {
	return func(lit, typ string) (string, error) {
		if !typeNamePattern.MatchString(typ) {
			return "", fmt.Errorf("constant of type %q: not a type name", typ)
		}
		// The output function: inet's cast to text differs from it (it
		// always shows the netmask), concat uses it.
		q := fmt.Sprintf("SELECT CAST(CAST('%s' AS %s) AS text)", strings.ReplaceAll(lit, "'", "''"), typ)
		if typ == "inet" {
			q = fmt.Sprintf("SELECT concat(CAST('%s' AS %s))", strings.ReplaceAll(lit, "'", "''"), typ)
		}
		sts, err := pgparse.Parse(q)
		if err != nil {
			return "", err
		}
		if len(sts) != 1 || sts[0].Kind != pgparse.KindQuery {
			return "", fmt.Errorf("constant %s of type %s: not an expression", lit, typ)
		}
		expr, err := bindExpression(ctx, e, sts[0], q)
		if err != nil {
			return "", err
		}
		v, err := expr.Eval(ctx, nil)
		if err != nil {
			return "", mapError(err)
		}
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		case nil:
			return "", fmt.Errorf("constant %s of type %s: NULL", lit, typ)
		}
		return fmt.Sprint(v), nil
	}
}

// pgGetExpr is pg_get_expr(expr, relation [, pretty]): the stored text of
// an expression (pg_attrdef.adbin holds a DEFAULT's display); pretty
// leaves out the parentheses precedence does not need, as psql's \d
// shows a DEFAULT. That depends on the column's type, looked up as the
// column of the relation whose DEFAULT this is.
func (e *Engine) pgGetExpr(ctx *sql.Context, a []any) (any, error) {
	if len(a) < 3 || a[2] == nil || !truthy(a[2]) {
		return a[0], nil
	}
	s, ok := a[0].(string)
	if !ok {
		return a[0], nil
	}
	colType := ""
	if rel, err := toInt64(a[1]); err == nil && rel > tableOIDBase {
		if ts, err := e.listTables(ctx); err == nil {
			for _, t := range ts {
				if int64(tableOIDBase+t.ID) != rel {
					continue
				}
				for _, c := range t.Columns {
					if c.Default != "" && e.shownDefault(ctx, c) == s {
						colType = c.Type
						break
					}
				}
			}
		}
	}
	if p, err := pgparse.PrettyDefault(s, colType); err == nil {
		return p, nil
	}
	return s, nil
}
