package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
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
	return append([]sql.Function{
		function0("version", types.LongText, func(*sql.Context) (any, error) {
			return "PostgreSQL 15.0 (OpenWit " + version.Version + ")", nil
		}),
		function0("pg_current_user", types.LongText, func(ctx *sql.Context) (any, error) {
			return ctx.Client().User, nil
		}),
		function0("current_database", types.LongText, func(*sql.Context) (any, error) { return "openwit", nil }),
		function0("current_schema", types.LongText, func(*sql.Context) (any, error) { return "public", nil }),
		function0("pg_backend_pid", types.Int32, func(ctx *sql.Context) (any, error) { return int32(ctx.ID()), nil }),
		catalogFn("pg_get_userbyid", 1, 1, true, fixed(types.LongText), func(_ *sql.Context, a []any) (any, error) {
			oid, err := toInt64(a[0])
			if err != nil {
				return nil, err
			}
			for i, r := range e.roleNames() {
				if roleOID(i) == oid {
					return r, nil
				}
			}
			return fmt.Sprintf("unknown (OID=%d)", oid), nil
		}),
		catalogFn("format_type", 2, 2, false, fixed(types.LongText), func(_ *sql.Context, a []any) (any, error) {
			if a[0] == nil {
				return nil, nil
			}
			oid, err := toInt64(a[0])
			if err != nil {
				return nil, err
			}
			mod := int64(-1)
			if a[1] != nil {
				if mod, err = toInt64(a[1]); err != nil {
					return nil, err
				}
			} else if oid == pgtypes.OIDBPChar {
				// No typmod at all (psql's \dC, \do): PostgreSQL names
				// the type, where typmod -1 gives its internal name.
				return "character", nil
			}
			return formatType(oid, mod), nil
		}),
	}, append(append(append(append(catalogFunctions(e), psqlMetaFunctions(e)...), settingFunctions()...), privilegeFunctions(e)...), append(append(notifyFunctions(), sizeFunctions(e)...), txidFunctions()...)...)...)
}
