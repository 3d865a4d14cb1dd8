package planner

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
)

// settingFunctions are current_setting(name [, missing_ok]) and
// set_config(name, value, is_local): SHOW and SET as functions, over the
// same settings.
func settingFunctions() []sql.Function {
	return []sql.Function{
		catalogFn("current_setting", 1, 2, true, fixed(types.LongText), func(ctx *sql.Context, a []any) (any, error) {
			name, err := settingKey(a[0])
			if err != nil {
				return nil, err
			}
			missingOK := len(a) > 1 && truthy(a[1])
			ps, ok := ctx.Session.(*pgSession)
			if !ok {
				return nil, pgerror.New(pgerror.InternalError, "current_setting outside a session")
			}
			if v, ok := ps.settings[name]; ok {
				return v, nil
			}
			if missingOK {
				return nil, nil
			}
			return nil, pgerror.New(pgerror.UndefinedObject, "unrecognized configuration parameter %q", name)
		}),
		catalogFn("set_config", 3, 3, false, fixed(types.LongText), func(ctx *sql.Context, a []any) (any, error) {
			if a[0] == nil {
				return nil, pgerror.New(pgerror.NullValueNotAllowed, "SET requires parameter name")
			}
			name, err := settingKey(a[0])
			if err != nil {
				return nil, err
			}
			ps, ok := ctx.Session.(*pgSession)
			if !ok || ps.set == nil {
				return nil, pgerror.New(pgerror.InternalError, "set_config outside a session")
			}
			st := &pgparse.Set{Name: name, Default: a[1] == nil}
			if a[1] != nil {
				st.Value = toText(a[1])
			}
			if a[2] != nil && truthy(a[2]) {
				st.Local = true
				if !ps.inBlock() {
					// is_local outside a transaction block: the value
					// lasts until the end of this statement's transaction;
					// the next statement starts from the settings before.
					if ps.undoLocal == nil {
						saved := ps.snapshot()
						ps.undoLocal = func() { ps.restore(saved) }
					}
					st.Local = false
				}
			}
			if err := ps.set(st); err != nil {
				return nil, err
			}
			return ps.settings[name], nil
		}),
	}
}

// settingKey is a setting's name as the settings map keys it.
func settingKey(v any) (string, error) {
	name := strings.ToLower(strings.TrimSpace(toText(v)))
	if name == "" {
		return "", pgerror.New(pgerror.UndefinedObject, "unrecognized configuration parameter %q", toText(v))
	}
	return name, nil
}

func toText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case int8:
		return x != 0
	case int64:
		return x != 0
	case int32:
		return x != 0
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "t", "true", "on", "yes", "1", "y":
			return true
		}
	}
	return false
}
