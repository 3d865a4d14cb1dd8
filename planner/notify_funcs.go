package planner

import (
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// notifyFunctions is pg_notify(channel, payload), NOTIFY as a function
// (docs/design/064-listen-notify.md): a NULL channel is an empty one
// (22023), a NULL payload none.
func notifyFunctions() []sql.Function {
	return []sql.Function{
		catalogFn("pg_notify", 2, 2, false, fixed(pgtypes.VoidType), func(ctx *sql.Context, a []any) (any, error) {
			ps, ok := ctx.Session.(*pgSession)
			if !ok || ps.notify == nil {
				return nil, pgerror.New(pgerror.InternalError, "pg_notify outside a session")
			}
			var channel, payload string
			if a[0] != nil {
				channel = toText(a[0])
			}
			if a[1] != nil {
				payload = toText(a[1])
			}
			if err := ps.notify(ctx, channel, payload); err != nil {
				return nil, err
			}
			return "", nil
		}),
	}
}
