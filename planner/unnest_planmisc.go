package planner

import (
	"fmt"
	"io"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// unnest is PostgreSQL's unnest(array) in FROM: one row per element, in
// order, NULL elements included; WITH ORDINALITY adds the 1-based
// position as a bigint column. The front end passes the output column
// names as two hidden first arguments (the second is "" without
// ORDINALITY).
type unnest struct {
	db       sql.Database
	col, ord string
	arg      sql.Expression
	elem     sql.Type
}

var (
	_ sql.TableFunction = (*unnest)(nil)
	_ sql.ExecSourceRel = (*unnest)(nil)
)

func (u *unnest) NewInstance(ctx *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) != 3 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "unnest takes one array argument here")
	}
	var names [2]string
	for i := range names {
		v, err := args[i].Eval(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("unnest: bad column name: %w", err)
		}
		names[i] = fmt.Sprint(v)
	}
	arg := args[2]
	elem := sql.Type(types.LongText)
	switch t := arg.Type().(type) {
	case pgtypes.ArrayType:
		if name := pgtypes.CastName(t.Elem); name != "" {
			if gt, err := pgtypes.GMSType(name); err == nil {
				elem = gt
			}
		}
	default:
		if t != types.Null && !types.IsText(t) {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function unnest(%s) does not exist", pgexpr.TypeOfName(t))
		}
	}
	return &unnest{db: db, col: names[0], ord: names[1], arg: arg, elem: elem}, nil
}

func (u *unnest) Name() string           { return "unnest" }
func (u *unnest) Database() sql.Database { return u.db }
func (u *unnest) WithDatabase(db sql.Database) (sql.Node, error) {
	n := *u
	n.db = db
	return &n, nil
}
func (u *unnest) Resolved() bool                                      { return u.arg.Resolved() }
func (u *unnest) String() string                                      { return "unnest" }
func (u *unnest) Children() []sql.Node                                { return nil }
func (u *unnest) IsReadOnly() bool                                    { return true }
func (u *unnest) Expressions() []sql.Expression                       { return []sql.Expression{u.arg} }
func (u *unnest) WithChildren(children ...sql.Node) (sql.Node, error) { return u, nil }
func (u *unnest) WithExpressions(e ...sql.Expression) (sql.Node, error) {
	if len(e) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(u, len(e), 1)
	}
	n := *u
	n.arg = e[0]
	return &n, nil
}

func (u *unnest) Schema() sql.Schema {
	s := sql.Schema{{Name: u.col, Type: u.elem, Nullable: true, Source: u.col}}
	if u.ord != "" {
		s = append(s, &sql.Column{Name: u.ord, Type: types.Int64, Nullable: false, Source: u.col})
	}
	return s
}

func (u *unnest) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	v, err := u.arg.Eval(ctx, row)
	if err != nil || v == nil {
		return &unnestIter{}, err
	}
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	s, ok := v.(string)
	if !ok {
		return nil, fmt.Errorf("unnest: unexpected %T", v)
	}
	elems, ok := pgtypes.ParseArray(s)
	if !ok {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: %q", s)
	}
	out := make([]any, len(elems))
	to := ""
	if oid, _ := pgtypes.OID(u.elem); oid != pgtypes.OIDText {
		to = pgtypes.CastName(oid)
	}
	for i, e := range elems {
		if e == nil {
			continue
		}
		out[i] = *e
		if to != "" {
			if out[i], err = pgexpr.CastValue(ctx, *e, types.LongText, to); err != nil {
				return nil, err
			}
		}
	}
	return &unnestIter{vals: out, ord: u.ord != ""}, nil
}

type unnestIter struct {
	vals []any
	i    int
	ord  bool
}

func (it *unnestIter) Next(*sql.Context) (sql.Row, error) {
	if it.i >= len(it.vals) {
		return nil, io.EOF
	}
	it.i++
	if it.ord {
		return sql.Row{it.vals[it.i-1], int64(it.i)}, nil
	}
	return sql.Row{it.vals[it.i-1]}, nil
}

func (it *unnestIter) Close(*sql.Context) error { return nil }
