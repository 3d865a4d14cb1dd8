package pgexpr

import (
	"fmt"
	"slices"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// mode() WITHIN GROUP (ORDER BY x): json_arrayagg collects the group's
// values as they are (it keeps Go values, not JSON text) and Mode sorts
// them with the argument type's order and returns the first value of the
// longest run. The argument passes through modeArg, which the vectorized
// executor does not compile, so the row engine runs the aggregation and
// values keep their type (the executor's json_arrayagg yields float8).

// ModeInfo carries the argument's type from the argument to the result.
type ModeInfo struct{ Type sql.Type }

// InjectableModeArg records the argument's type and wraps it.
type InjectableModeArg struct{ Info *ModeInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (m InjectableModeArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("mode: argument is not an expression")
	}
	if _, isArray := e.Type().(interface{ Elem() sql.Type }); isArray {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "mode() of arrays is not supported")
	}
	m.Info.Type = e.Type()
	return &modeArg{e}, nil
}

// modeArg passes its child's value through.
type modeArg struct{ sql.Expression }

func (a *modeArg) String() string { return a.Expression.String() }
func (a *modeArg) Children() []sql.Expression {
	return []sql.Expression{a.Expression}
}

func (a *modeArg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &modeArg{children[0]}, nil
}

// InjectableMode picks the mode from the collected values. Children: the
// json_arrayagg aggregate.
type InjectableMode struct {
	Info *ModeInfo
	Desc bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (m InjectableMode) WithResolvedChildren(children []any) (any, error) {
	agg, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("mode: argument is not an expression")
	}
	typ := m.Info.Type
	if typ == nil || typ == types.Null {
		typ = types.LongText // mode(NULL) and untyped literals: PostgreSQL's text
	}
	return &mode{agg: agg, typ: typ, desc: m.Desc}, nil
}

// mode is the scalar over the aggregated list.
type mode struct {
	agg  sql.Expression
	typ  sql.Type
	desc bool
}

func (m *mode) Resolved() bool             { return m.agg.Resolved() }
func (m *mode) String() string             { return fmt.Sprintf("mode(%s)", m.agg) }
func (m *mode) Type() sql.Type             { return m.typ }
func (m *mode) IsNullable() bool           { return true }
func (m *mode) Children() []sql.Expression { return []sql.Expression{m.agg} }

func (m *mode) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(m, len(children), 1)
	}
	n := *m
	n.agg = children[0]
	return &n, nil
}

func (m *mode) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	av, err := m.agg.Eval(ctx, row)
	if err != nil || av == nil {
		return nil, err
	}
	var list []any
	switch x := av.(type) {
	case types.JSONDocument:
		list, _ = x.Val.([]any)
	case sql.JSONWrapper:
		v, err := x.ToInterface()
		if err != nil {
			return nil, err
		}
		list, _ = v.([]any)
	}
	vals := make([]any, 0, len(list))
	for _, v := range list {
		if v != nil {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	var cmpErr error
	cmp := func(a, b any) int {
		c, err := m.typ.Compare(ctx, a, b)
		if err != nil && cmpErr == nil {
			cmpErr = err
		}
		if m.desc {
			return -c
		}
		return c
	}
	slices.SortStableFunc(vals, cmp)
	if cmpErr != nil {
		return nil, cmpErr
	}
	best, bestN := vals[0], 0
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && cmp(vals[i], vals[j]) == 0 {
			j++
		}
		if j-i > bestN {
			best, bestN = vals[i], j-i
		}
		i = j
	}
	return best, cmpErr
}
