package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"

	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// Column DEFAULT expressions. The catalog keeps each as PostgreSQL text
// (catalog.Column.Default); the planner binds it, cast to the column's
// type, into an expression go-mysql-server's INSERT evaluates for every
// row that leaves the column out or says DEFAULT. The bound expression
// depends only on the text and the type, so it is cached by both.

// columnDefault returns the bound DEFAULT of c, or nil when it has none.
func (e *Engine) columnDefault(ctx *sql.Context, c catalog.Column) (*sql.ColumnDefaultValue, error) {
	if c.Default == "" {
		return nil, nil
	}
	key := c.Type + "\x00" + c.Default
	if v, ok := e.defaults.Load(key); ok {
		return v.(*sql.ColumnDefaultValue), nil
	}
	typ, err := pgtypes.GMSType(c.Type)
	if err != nil {
		return nil, err
	}
	q := fmt.Sprintf("SELECT CAST((%s) AS %s)", c.Default, c.Type)
	sts, err := pgparse.Parse(q)
	if err != nil {
		return nil, err
	}
	if len(sts) != 1 || sts[0].Kind != pgparse.KindQuery {
		return nil, fmt.Errorf("DEFAULT %s: not an expression", c.Default)
	}
	node, err := bindExpression(ctx, e, sts[0], q)
	if err != nil {
		return nil, err
	}
	cd := &sql.ColumnDefaultValue{Expr: node, OutType: typ, ReturnNil: true, Parenthesized: true}
	e.defaults.Store(key, cd)
	return cd, nil
}

// bindExpression binds a one-column SELECT without a FROM and returns its
// expression.
func bindExpression(ctx *sql.Context, e *Engine, st *pgparse.Statement, q string) (expr sql.Expression, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("DEFAULT: %v", r)
		}
	}()
	g := e.gms
	node, _, err := planbuilder.New(ctx, g.Analyzer.Catalog, g.EventScheduler, g.Parser).BindOnly(st.AST, q, nil)
	if err != nil {
		return nil, mapError(err)
	}
	transform.Inspect(node, func(n sql.Node) bool {
		if p, ok := n.(*plan.Project); ok && expr == nil && len(p.Projections) == 1 {
			expr = p.Projections[0]
		}
		return expr == nil
	})
	if expr == nil {
		return nil, fmt.Errorf("DEFAULT: %s did not bind to one expression", q)
	}
	if a, ok := expr.(*expression.Alias); ok {
		expr = a.Child
	}
	return expr, nil
}

// checkDefaults binds each DEFAULT of a new table, so that one that
// cannot be (an unknown function) fails CREATE TABLE, as in PostgreSQL,
// not every INSERT. A bare string literal is also converted to the
// column's type ('x' for an integer column fails): PostgreSQL does that
// while parsing, and evaluates nothing else before an INSERT.
func (s *Session) checkDefaults(ctx *sql.Context, ct *pgparse.CreateTable) error {
	for _, c := range ct.Columns {
		cd, err := s.e.columnDefault(ctx, catalog.Column{Name: c.Name, Type: c.Type, Default: c.Default})
		if err != nil {
			return err
		}
		if cd == nil || !isStringLiteral(c.Default) {
			continue
		}
		if _, err := cd.Eval(ctx, nil); err != nil {
			return mapError(err)
		}
	}
	s.setDefaultDisplays(ctx, ct) // default_display_defaultdisp.go
	return nil
}

// withDefaults sets the DEFAULT of the table's columns in its schema.
// A DEFAULT that no longer binds fails the INSERT that needs it.
func (t *table) withDefaults(ctx *sql.Context) {
	for i, c := range t.def.Columns {
		if c.Default == "" {
			continue
		}
		cd, err := t.eng.columnDefault(ctx, c)
		if err != nil {
			cd = &sql.ColumnDefaultValue{Expr: &failingDefault{err: err, typ: t.schema[i].Type}, OutType: t.schema[i].Type, ReturnNil: true, Parenthesized: true}
		}
		t.schema[i].Default = cd
	}
}

// failingDefault is a DEFAULT that cannot be computed: evaluating it
// returns the error binding it gave.
type failingDefault struct {
	err error
	typ sql.Type
}

func (f *failingDefault) Resolved() bool                          { return true }
func (f *failingDefault) String() string                          { return "DEFAULT(error)" }
func (f *failingDefault) Type() sql.Type                          { return f.typ }
func (f *failingDefault) IsNullable() bool                        { return true }
func (f *failingDefault) Children() []sql.Expression              { return nil }
func (f *failingDefault) Eval(*sql.Context, sql.Row) (any, error) { return nil, f.err }
func (f *failingDefault) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	return f, nil
}

// isStringLiteral reports whether a deparsed expression is one string
// literal ('...' with doubled quotes inside).
func isStringLiteral(s string) bool {
	if len(s) < 2 || s[0] != '\'' || s[len(s)-1] != '\'' {
		return false
	}
	in := s[1 : len(s)-1]
	for i := 0; i < len(in); i++ {
		if in[i] == '\'' {
			if i+1 >= len(in) || in[i+1] != '\'' {
				return false
			}
			i++
		}
	}
	return true
}

// attrdefOIDBase numbers pg_attrdef rows: table OID * 1600 + column.
const attrdefOIDBase = 1 << 32

// attrdefRows are pg_attrdef's rows: one per column with a DEFAULT, adbin
// holding its display (what pg_get_expr returns).
func (e *Engine) attrdefRows(ctx *sql.Context) ([]sql.Row, error) {
	ts, err := e.listTables(ctx)
	if err != nil {
		return nil, err
	}
	var out []sql.Row
	for _, t := range ts {
		rel := int64(tableOIDBase + t.ID)
		for i, c := range t.Columns {
			if c.Default != "" {
				n := int64(t.AttNum(i))
				out = append(out, sql.Row{attrdefOIDBase + rel*catalog.MaxColumns + n, rel, int16(n), e.shownDefault(ctx, c)})
			}
		}
	}
	return out, nil
}
