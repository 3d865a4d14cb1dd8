package planner

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// Writes through views (docs/design/076-view-dml.md): pgparse rewrites an
// INSERT, UPDATE or DELETE on an automatically updatable view into the
// statement on its base table; the planner enforces WITH CHECK OPTION on
// the rows INSERT and UPDATE write.

// checkOptionAllowed refuses WITH CHECK OPTION on a view that is not
// automatically updatable, as PostgreSQL does.
func checkOptionAllowed(def *catalog.View, names []string) error {
	if def.CheckOption == "" {
		return nil
	}
	why := pgparse.ViewNotUpdatable(def.Name, def.Query, names, false)
	if why == "" {
		return nil
	}
	e := pgerror.New(pgerror.FeatureNotSupported, "WITH CHECK OPTION is supported only on automatically updatable views")
	e.Hint = why
	return e
}

// viewCheck is a WITH CHECK OPTION condition bound over the base table.
type viewCheck struct {
	view string
	cond sql.Expression
}

// viewChecks pairs the statement's check conditions with their bound
// expressions.
func viewChecks(st *pgparse.Statement, exprs []sql.Expression) []viewCheck {
	out := make([]viewCheck, 0, len(exprs))
	for i, x := range exprs {
		if i < len(st.ViewChecks) {
			out = append(out, viewCheck{view: st.ViewChecks[i].View, cond: x})
		}
	}
	return out
}

// checkRow fails with 44000 when a check condition is not true (false or
// NULL) for the new row, the innermost view's first; full returns the
// whole new row (table column order) for the DETAIL.
func checkRow(ctx *sql.Context, checks []viewCheck, row sql.Row, schema sql.Schema, full func() (sql.Row, error)) error {
	for _, c := range checks {
		v, err := sql.EvaluateCondition(ctx, c.cond, row)
		if err != nil {
			return mapError(err)
		}
		if sql.IsTrue(v) {
			continue
		}
		e := pgparse.CheckOptionViolation(c.view)
		if r, err := full(); err == nil {
			e.Detail = failingRow(ctx, schema, r)
		}
		return e
	}
	return nil
}

// failingRow is PostgreSQL's DETAIL for a refused row: each value's text
// output (null for NULL), cut after 64 bytes with "...".
func failingRow(ctx *sql.Context, schema sql.Schema, row sql.Row) string {
	var b strings.Builder
	b.WriteString("Failing row contains (")
	for i, v := range row {
		if i > 0 {
			b.WriteString(", ")
		}
		if v == nil || i >= len(schema) {
			b.WriteString("null")
			continue
		}
		oid, _ := pgtypes.OID(schema[i].Type)
		text, err := pgexpr.TextOf(ctx, v, oid)
		if err != nil {
			text = fmt.Sprint(v)
		}
		switch {
		case oid == pgtypes.OIDBool:
			text = map[bool]string{true: "t", false: "f"}[text == "true" || text == "1" || text == "t"]
		case oid == pgtypes.OIDNumeric:
			if d, ok := v.(decimal.Decimal); ok {
				if dt, ok := schema[i].Type.(sql.DecimalType); ok && dt.Scale() > 0 {
					text = d.StringFixed(int32(dt.Scale()))
				}
			}
		}
		if len(text) > 64 {
			cut := 64
			for cut > 0 && !utf8.RuneStart(text[cut]) {
				cut--
			}
			text = text[:cut] + "..."
		}
		b.WriteString(text)
	}
	b.WriteString(").")
	return b.String()
}

// insertChecks are the check conditions of an INSERT through views, bound
// over its table's rows; the statement's inserter takes them.
type insertChecks struct {
	table  int64
	checks []viewCheck
	cols   []int // expression row position -> table column
}

// prepareInsertChecks binds the check conditions of an INSERT through
// views with the check option (SELECT cond, ... FROM table on the row
// engine) and hands them to the session for the statement's inserter;
// any other statement clears them.
func (s *Session) prepareInsertChecks(ctx context.Context, p *Prepared) error {
	s.base.insertChecks = nil
	ins, ok := p.st.AST.(*ast.Insert)
	if p.st.Kind != pgparse.KindInsert || len(p.st.ViewChecks) == 0 || !ok {
		return nil
	}
	t, err := s.e.dmlTable(ctx, ins.Table.Name.String())
	if err != nil {
		return err
	}
	conds := make([]string, len(p.st.ViewChecks))
	for i, c := range p.st.ViewChecks {
		conds[i] = c.Cond
	}
	ps, err := s.prepare(ctx, "SELECT "+strings.Join(conds, ", ")+" FROM "+quoteIdent(t.Name), nil)
	if err != nil {
		return err
	}
	if len(ps) != 1 {
		return pgerror.New(pgerror.InternalError, "check option: %d statements", len(ps))
	}
	saved := s.base.rowEngine
	s.base.rowEngine = true
	_, node, cancel, err := ps[0].bindPlan(ctx, nil)
	s.base.rowEngine = saved
	if err != nil {
		return err
	}
	defer cancel()
	exprs := projectionOf(node)
	tbl, _, _, empty, err := deleteScan(node, t)
	if err != nil || empty || len(exprs) != len(p.st.ViewChecks) || unsupportedIn(exprs, true) {
		return pgerror.New(pgerror.FeatureNotSupported, "this WITH CHECK OPTION condition is not supported (subqueries are not)")
	}
	s.base.insertChecks = &insertChecks{table: t.ID, checks: viewChecks(p.st, exprs), cols: tbl.columns()}
	return nil
}

// insertChecksFor returns the check conditions for an inserter of the
// table with that ID in the session of ctx, nil without any.
func insertChecksFor(ctx *sql.Context, table int64) *insertChecks {
	if ctx == nil {
		return nil
	}
	ps, ok := ctx.Session.(*pgSession)
	if !ok || ps.insertChecks == nil || ps.insertChecks.table != table {
		return nil
	}
	return ps.insertChecks
}

// check evaluates the conditions on a row to insert (in table column
// order).
func (c *insertChecks) check(ctx *sql.Context, row sql.Row, schema sql.Schema) error {
	if c == nil {
		return nil
	}
	r := make(sql.Row, len(c.cols))
	for pos, col := range c.cols {
		if col < len(row) {
			r[pos] = row[col]
		}
	}
	return checkRow(ctx, c.checks, r, schema, func() (sql.Row, error) { return row, nil })
}

// viewUpdatable tells, as PostgreSQL's pg_relation_is_updatable, whether
// INSERT and whether both UPDATE and DELETE can write through the view
// (through its base view too).
func viewUpdatable(all []*catalog.View, v *catalog.View, depth int) (insertable, updatable bool) {
	names := make([]string, len(v.Columns))
	for i, c := range v.Columns {
		names[i] = c.Name
	}
	cols, del, base := pgparse.ViewUpdatability(v.Name, v.Query, names)
	insertable, updatable = cols, cols && del
	if !insertable && !updatable || depth > 32 {
		return insertable && depth <= 32, updatable && depth <= 32
	}
	for _, b := range all {
		if b.Name == base {
			bi, bu := viewUpdatable(all, b, depth+1)
			return insertable && bi, updatable && bu
		}
	}
	return insertable, updatable
}

// checkOptionName is information_schema.views.check_option.
func checkOptionName(opt string) string {
	switch opt {
	case "local":
		return "LOCAL"
	case "cascaded":
		return "CASCADED"
	}
	return "NONE"
}

// updatedRow is row r of rec (every table column) with the new values of
// the targets.
func updatedRow(ctx *sql.Context, tbl *table, rec arrow.RecordBatch, r int, targets []int, vals []any) (sql.Row, error) {
	n := min(int(rec.NumCols()), len(tbl.schema))
	row := make(sql.Row, n)
	for c := 0; c < n; c++ {
		v, err := arrowValue(ctx, rec.Column(c), r, tbl.schema[c].Type)
		if err != nil {
			return nil, err
		}
		row[c] = v
	}
	for i, c := range targets {
		if c < n {
			row[c] = vals[i]
		}
	}
	return row, nil
}

// viewColumnUpdatable tells, as PostgreSQL's pg_column_is_updatable,
// whether UPDATE can assign the view's column i: a plain column of an
// updatable base (through base views too).
func viewColumnUpdatable(all []*catalog.View, v *catalog.View, i, depth int) bool {
	names := make([]string, len(v.Columns))
	for k, c := range v.Columns {
		names[k] = c.Name
	}
	bases, base, ok := pgparse.ViewColumnBases(v.Name, v.Query, names)
	if !ok || i >= len(bases) || bases[i] == "" || depth > 32 {
		return false
	}
	for _, b := range all {
		if b.Name == base {
			for k, c := range b.Columns {
				if c.Name == bases[i] {
					return viewColumnUpdatable(all, b, k, depth+1)
				}
			}
			return false
		}
	}
	return true
}
