package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// regexpMatches is the set-returning regexp_matches(s, pattern [, flags])
// in FROM (and, rewritten to a LATERAL FROM item, in the select list): one
// text[] row per match (pgexpr.RegexpMatchRows). The front end passes the
// output column name as a hidden first argument. A NULL argument gives no
// rows (the function is strict).
type regexpMatches struct {
	db   sql.Database
	col  string
	args []sql.Expression
}

var (
	_ sql.TableFunction = (*regexpMatches)(nil)
	_ sql.ExecSourceRel = (*regexpMatches)(nil)
)

func (r *regexpMatches) NewInstance(ctx *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) != 3 && len(args) != 4 {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function regexp_matches with %d arguments does not exist", len(args)-1)
	}
	v, err := args[0].Eval(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("regexp_matches: bad column name: %w", err)
	}
	for _, a := range args[1:] {
		if t := a.Type(); t != types.Null && !types.IsText(t) {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function regexp_matches(%s) does not exist", pgexpr.TypeOfName(t))
		}
	}
	return &regexpMatches{db: db, col: fmt.Sprint(v), args: args[1:]}, nil
}

func (r *regexpMatches) Name() string           { return "regexp_matches" }
func (r *regexpMatches) Database() sql.Database { return r.db }
func (r *regexpMatches) WithDatabase(db sql.Database) (sql.Node, error) {
	n := *r
	n.db = db
	return &n, nil
}

func (r *regexpMatches) Resolved() bool {
	for _, a := range r.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}
func (r *regexpMatches) String() string                                      { return "regexp_matches" }
func (r *regexpMatches) Children() []sql.Node                                { return nil }
func (r *regexpMatches) IsReadOnly() bool                                    { return true }
func (r *regexpMatches) Expressions() []sql.Expression                       { return r.args }
func (r *regexpMatches) WithChildren(children ...sql.Node) (sql.Node, error) { return r, nil }
func (r *regexpMatches) WithExpressions(e ...sql.Expression) (sql.Node, error) {
	if len(e) != len(r.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(e), len(r.args))
	}
	n := *r
	n.args = e
	return &n, nil
}

func (r *regexpMatches) Schema() sql.Schema {
	return sql.Schema{{Name: r.col, Type: pgtypes.ArrayType{Elem: pgtypes.OIDText}, Nullable: true, Source: r.col}}
}

func (r *regexpMatches) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	vals := make([]string, 3)
	for i, a := range r.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return &unnestIter{}, nil
		}
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("regexp_matches: unexpected %T", v)
		}
		vals[i] = s
	}
	rows, err := pgexpr.RegexpMatchRows(vals[0], vals[1], vals[2])
	if err != nil {
		return nil, err
	}
	out := make([]any, len(rows))
	for i, s := range rows {
		out[i] = s
	}
	return &unnestIter{vals: out}, nil
}
