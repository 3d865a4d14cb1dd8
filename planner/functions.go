package planner

import (
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/version"
)

// constFunc is a zero-argument function evaluated against the session.
type constFunc struct {
	name string
	typ  sql.Type
	eval func(ctx *sql.Context) (any, error)
}

var _ sql.Expression = (*constFunc)(nil)

func (f *constFunc) Resolved() bool                                { return true }
func (f *constFunc) String() string                                { return f.name + "()" }
func (f *constFunc) Type() sql.Type                                { return f.typ }
func (f *constFunc) IsNullable() bool                              { return false }
func (f *constFunc) Children() []sql.Expression                    { return nil }
func (f *constFunc) Eval(ctx *sql.Context, _ sql.Row) (any, error) { return f.eval(ctx) }
func (f *constFunc) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), 0)
	}
	return f, nil
}

func function0(name string, typ sql.Type, eval func(ctx *sql.Context) (any, error)) sql.Function {
	return sql.Function0{Name: name, Fn: func() sql.Expression { return &constFunc{name: name, typ: typ, eval: eval} }}
}

// functions are PostgreSQL functions go-mysql-server lacks or names
// differently; they are registered before go-mysql-server's defaults so
// they take precedence.
func functions(e *Engine) []sql.Function {
	return []sql.Function{
		function0("version", types.LongText, func(*sql.Context) (any, error) {
			return "PostgreSQL 15.0 (OpenWit " + version.Version + ")", nil
		}),
		function0("pg_current_user", types.LongText, func(ctx *sql.Context) (any, error) {
			return ctx.Client().User, nil
		}),
		function0("current_database", types.LongText, func(*sql.Context) (any, error) { return "openwit", nil }),
		function0("current_schema", types.LongText, func(*sql.Context) (any, error) { return "public", nil }),
		function0("pg_backend_pid", types.Int32, func(ctx *sql.Context) (any, error) { return int32(ctx.ID()), nil }),
	}
}
