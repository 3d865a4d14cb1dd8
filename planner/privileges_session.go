package planner

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// The has_*_privilege functions. OpenWit has no GRANT: every role may do
// everything with every object, so an existing object answers true. As in
// PostgreSQL, the object and role must exist (a name that names nothing is
// an error, an OID that names nothing gives NULL) and every privilege name
// must be one the object kind has (else 22023).

// privilegeNames are the privileges of each object kind.
var privilegeNames = map[string][]string{
	"table":    {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
	"column":   {"SELECT", "INSERT", "UPDATE", "REFERENCES"},
	"schema":   {"CREATE", "USAGE"},
	"database": {"CREATE", "CONNECT", "TEMPORARY", "TEMP"},
}

// checkPrivileges checks a comma-separated list of privilege names, each
// optionally WITH GRANT OPTION.
func checkPrivileges(kind string, v any) error {
	for _, raw := range strings.Split(toText(v), ",") {
		p := strings.ToUpper(strings.TrimSpace(raw))
		name := strings.TrimSpace(strings.TrimSuffix(p, " WITH GRANT OPTION"))
		found := false
		for _, n := range privilegeNames[kind] {
			if n == name {
				found = true
			}
		}
		if !found {
			return pgerror.New(pgerror.InvalidParameterValue, "unrecognized privilege type: %q", strings.TrimSpace(raw))
		}
	}
	return nil
}

// privilegeFunctions are has_table_privilege, has_column_privilege,
// has_schema_privilege and has_database_privilege.
func privilegeFunctions(e *Engine) []sql.Function {
	b := types.Boolean
	// role checks the optional leading role argument; ok is false for an
	// OID that names no role.
	role := func(v any) (bool, error) {
		if s, isText := v.(string); isText {
			for _, r := range e.roleNames() {
				if r == s {
					return true, nil
				}
			}
			return false, pgerror.New(pgerror.UndefinedObject, "role %q does not exist", s)
		}
		oid, err := toInt64(v)
		if err != nil {
			return false, err
		}
		for i := range e.roleNames() {
			if roleOID(i) == oid {
				return true, nil
			}
		}
		return false, nil
	}
	// relation resolves a table argument (name or OID) to its OID; ok is
	// false for an OID that names no relation.
	relation := func(ctx *sql.Context, v any) (int64, bool, error) {
		if s, isText := v.(string); isText {
			oid, ok, err := e.relationOID(ctx, s)
			if err != nil {
				return 0, false, err
			}
			if !ok {
				return 0, false, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", s)
			}
			return oid, true, nil
		}
		oid, err := toInt64(v)
		if err != nil {
			return 0, false, err
		}
		name, err := e.relationName(ctx, oid)
		return oid, name != "", err
	}
	// fn builds a function whose object takes n arguments, with or
	// without the leading role.
	fn := func(name, kind string, n int, object func(ctx *sql.Context, a []any) (bool, error)) sql.Function {
		return catalogFn(name, n+1, n+2, true, fixed(b), func(ctx *sql.Context, a []any) (any, error) {
			if len(a) == n+2 {
				ok, err := role(a[0])
				if err != nil || !ok {
					return nil, err
				}
				a = a[1:]
			}
			ok, err := object(ctx, a[:n])
			if err != nil || !ok {
				return nil, err
			}
			if err := checkPrivileges(kind, a[n]); err != nil {
				return nil, err
			}
			return int8(1), nil
		})
	}
	return []sql.Function{
		fn("has_table_privilege", "table", 1, func(ctx *sql.Context, a []any) (bool, error) {
			_, ok, err := relation(ctx, a[0])
			return ok, err
		}),
		fn("has_column_privilege", "column", 2, func(ctx *sql.Context, a []any) (bool, error) {
			oid, ok, err := relation(ctx, a[0])
			if err != nil || !ok {
				return ok, err
			}
			cols, err := e.relationColumns(ctx, oid)
			if err != nil {
				return false, err
			}
			if s, isText := a[1].(string); isText {
				for _, c := range cols {
					if c == s {
						return true, nil
					}
				}
				rel, _ := e.relationName(ctx, oid)
				return false, pgerror.New(pgerror.UndefinedColumn, "column %q of relation %q does not exist", s, rel)
			}
			num, err := toInt64(a[1])
			return err == nil && num >= 1 && num <= int64(len(cols)), err
		}),
		fn("has_schema_privilege", "schema", 1, func(_ *sql.Context, a []any) (bool, error) {
			if s, isText := a[0].(string); isText {
				switch s {
				case "pg_catalog", "public", "information_schema":
					return true, nil
				}
				return false, pgerror.New(pgerror.InvalidSchemaName, "schema %q does not exist", s)
			}
			oid, err := toInt64(a[0])
			return oid == oidPgCatalog || oid == oidPublic || oid == oidInfoSchema, err
		}),
		fn("has_database_privilege", "database", 1, func(_ *sql.Context, a []any) (bool, error) {
			if s, isText := a[0].(string); isText {
				if s == "openwit" {
					return true, nil
				}
				return false, pgerror.New(codeUndefinedDatabase, "database %q does not exist", s)
			}
			oid, err := toInt64(a[0])
			return oid == oidDatabase, err
		}),
	}
}

// codeUndefinedDatabase is invalid_catalog_name.
const codeUndefinedDatabase = "3D000"

// relationColumns returns the column names of the relation with the given
// OID.
func (e *Engine) relationColumns(ctx *sql.Context, oid int64) ([]string, error) {
	name, err := e.relationName(ctx, oid)
	if err != nil || name == "" {
		return nil, err
	}
	if oid > tableOIDBase {
		t, err := e.tableDef(ctx, name)
		if err != nil {
			return nil, err
		}
		out := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			out[i] = c.Name
		}
		return out, nil
	}
	for _, r := range e.systemRelations() {
		if r.oid == oid {
			var out []string
			for _, c := range r.table.Schema() {
				out = append(out, c.Name)
			}
			return out, nil
		}
	}
	return nil, nil
}
