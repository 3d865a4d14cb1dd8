package planner

import (
	"fmt"
	"io"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// generateSeries is PostgreSQL's generate_series(start, stop [, step]) as a
// table function: integers, or timestamps with an interval step (time
// buckets for dashboards). The front end passes the output column name as a
// first, hidden argument.
type generateSeries struct {
	db   sql.Database
	col  string
	args []sql.Expression // start, stop, step
}

var (
	_ sql.TableFunction = (*generateSeries)(nil)
	_ sql.ExecSourceRel = (*generateSeries)(nil)
)

func (g *generateSeries) NewInstance(_ *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) < 3 || len(args) > 4 {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function generate_series takes 2 or 3 arguments")
	}
	lit, ok := args[0].(interface {
		Eval(*sql.Context, sql.Row) (any, error)
	})
	if !ok {
		return nil, fmt.Errorf("generate_series: bad column name")
	}
	name, err := lit.Eval(nil, nil)
	if err != nil {
		return nil, err
	}
	g2 := &generateSeries{db: db, col: fmt.Sprint(name), args: args[1:]}
	t0 := g2.args[0].Type()
	if pgtypes.IsTime(t0) || types.IsText(t0) {
		if len(g2.args) != 3 {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function generate_series(timestamp, timestamp) does not exist: give an interval step")
		}
	} else if !types.IsInteger(t0) {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "generate_series over %s is not supported", pgexpr.TypeOfName(t0))
	}
	return g2, nil
}

func (g *generateSeries) Name() string           { return "generate_series" }
func (g *generateSeries) Database() sql.Database { return g.db }
func (g *generateSeries) WithDatabase(db sql.Database) (sql.Node, error) {
	n := *g
	n.db = db
	return &n, nil
}
func (g *generateSeries) Resolved() bool {
	for _, a := range g.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}
func (g *generateSeries) String() string                                      { return "generate_series" }
func (g *generateSeries) Children() []sql.Node                                { return nil }
func (g *generateSeries) IsReadOnly() bool                                    { return true }
func (g *generateSeries) Expressions() []sql.Expression                       { return g.args }
func (g *generateSeries) WithChildren(children ...sql.Node) (sql.Node, error) { return g, nil }
func (g *generateSeries) WithExpressions(e ...sql.Expression) (sql.Node, error) {
	n := *g
	n.args = e
	return &n, nil
}

func (g *generateSeries) typ() sql.Type {
	if len(g.args) == 0 {
		return types.Int64
	}
	t := g.args[0].Type()
	switch {
	case t == types.DatetimeMaxPrecision:
		return t
	case pgtypes.IsTime(t) || types.IsText(t):
		return pgtypes.TimestampTZType
	case t == types.Int64:
		return types.Int64
	}
	return types.Int32
}

func (g *generateSeries) Schema() sql.Schema {
	return sql.Schema{{Name: g.col, Type: g.typ(), Nullable: false, Source: g.col}}
}

func (g *generateSeries) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	vals := make([]any, len(g.args))
	for i, a := range g.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return &seriesIter{done: true}, nil
		}
		vals[i] = v
	}
	if pgtypes.IsTime(g.typ()) {
		var ts [2]time.Time
		for i := 0; i < 2; i++ {
			v, err := pgexpr.CastValue(ctx, vals[i], g.args[i].Type(), "timestamptz")
			if err != nil {
				return nil, err
			}
			ts[i] = v.(time.Time)
		}
		step, err := pgexpr.CastValue(ctx, vals[2], g.args[2].Type(), "interval")
		if err != nil {
			return nil, err
		}
		iv := step.(pgtypes.Interval)
		if iv == (pgtypes.Interval{}) {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
		}
		return &seriesIter{time: true, cur: ts[0], stop: ts[1], step: iv, ctx: ctx}, nil
	}
	var n [3]int64
	n[2] = 1
	for i, v := range vals {
		x, err := pgexpr.CastValue(ctx, v, g.args[i].Type(), "int8")
		if err != nil {
			return nil, err
		}
		n[i] = x.(int64)
	}
	if n[2] == 0 {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "step size cannot equal zero")
	}
	return &seriesIter{i: n[0], end: n[1], inc: n[2], int32: g.typ() == types.Int32}, nil
}

const maxSeriesRows = 10_000_000

type seriesIter struct {
	done bool
	n    int
	// integers
	i, end, inc int64
	int32       bool
	// timestamps
	time      bool
	cur, stop time.Time
	step      pgtypes.Interval
	ctx       *sql.Context
}

func (it *seriesIter) Next(ctx *sql.Context) (sql.Row, error) {
	if it.done {
		return nil, io.EOF
	}
	it.n++
	if it.n%1024 == 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	if it.n > maxSeriesRows {
		return nil, pgerror.New(pgerror.ProgramLimitExceeded, "generate_series would produce more than %d rows", maxSeriesRows)
	}
	if it.time {
		forward := pgexpr.AddInterval(it.ctx, it.cur, it.step, pgtypes.TimestampTZType).After(it.cur)
		if (forward && it.cur.After(it.stop)) || (!forward && it.cur.Before(it.stop)) {
			return nil, io.EOF
		}
		v := it.cur
		it.cur = pgexpr.AddInterval(it.ctx, it.cur, it.step, pgtypes.TimestampTZType)
		return sql.Row{v}, nil
	}
	if (it.inc > 0 && it.i > it.end) || (it.inc < 0 && it.i < it.end) {
		return nil, io.EOF
	}
	v := it.i
	it.i += it.inc
	if it.int32 {
		return sql.Row{int32(v)}, nil
	}
	return sql.Row{v}, nil
}

func (it *seriesIter) Close(*sql.Context) error { return nil }

// TableFunction implements sql.TableFunctionProvider.
func (p *provider) TableFunction(_ *sql.Context, name string) (sql.TableFunction, bool) {
	if name == "generate_series" {
		return &generateSeries{}, true
	}
	if name == "unnest" {
		return &unnest{}, true
	}
	if isJSONSRFName(name) {
		return &jsonSRF{name: name}, true
	}
	return nil, false
}

// WithTableFunctions implements sql.TableFunctionProvider; OpenWit's table
// functions are fixed.
func (p *provider) WithTableFunctions(...sql.TableFunction) (sql.TableFunctionProvider, error) {
	return p, nil
}

var _ sql.TableFunctionProvider = (*provider)(nil)
