package planner

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

// System information and catalog functions clients' metadata queries call,
// over the generated pg_catalog (pgcatalog.go). pg_oid_of, pg_oid_name,
// pg_oid, pg_array_subscript and pg_field_select are what the translator
// turns ::regclass casts, subscripts and field selection into
// (planner/pgparse/catalog.go).

// catalogFunc is a scalar function of the catalog.
type catalogFunc struct {
	name   string
	args   []sql.Expression
	typ    sql.Type
	strict bool // a NULL argument makes the result NULL without calling eval
	eval   func(ctx *sql.Context, args []any) (any, error)
}

var _ sql.FunctionExpression = (*catalogFunc)(nil)

func (f *catalogFunc) Resolved() bool {
	for _, a := range f.args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}
func (f *catalogFunc) String() string {
	s := make([]string, len(f.args))
	for i, a := range f.args {
		s[i] = a.String()
	}
	return f.name + "(" + strings.Join(s, ", ") + ")"
}
func (f *catalogFunc) Type() sql.Type             { return f.typ }
func (f *catalogFunc) IsNullable() bool           { return true }
func (f *catalogFunc) Children() []sql.Expression { return f.args }
func (f *catalogFunc) FunctionName() string       { return f.name }
func (f *catalogFunc) Description() string        { return "PostgreSQL catalog function " + f.name }
func (f *catalogFunc) IsNonDeterministic() bool   { return true }
func (f *catalogFunc) WithChildren(c ...sql.Expression) (sql.Expression, error) {
	if len(c) != len(f.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(c), len(f.args))
	}
	nf := *f
	nf.args = c
	return &nf, nil
}

func (f *catalogFunc) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.args))
	for i, a := range f.args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if v == nil && f.strict {
			return nil, nil
		}
		vals[i] = v
	}
	return f.eval(ctx, vals)
}

// catalogFn declares a function taking between minArgs and maxArgs
// arguments; typ may depend on the arguments (pg_oid_of's first one).
func catalogFn(name string, minArgs, maxArgs int, strict bool, typ func(args []sql.Expression) sql.Type,
	eval func(ctx *sql.Context, args []any) (any, error)) sql.Function {
	return sql.FunctionN{Name: name, Fn: func(args ...sql.Expression) (sql.Expression, error) {
		if len(args) < minArgs || len(args) > maxArgs {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function %s with %d arguments does not exist", name, len(args))
		}
		return &catalogFunc{name: name, args: args, typ: typ(args), strict: strict, eval: eval}, nil
	}}
}

func fixed(t sql.Type) func([]sql.Expression) sql.Type {
	return func([]sql.Expression) sql.Type { return t }
}

func null(*sql.Context, []any) (any, error) { return nil, nil }

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int8:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case int:
		return int64(x), nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err != nil {
			return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type oid: %q", x)
		}
		return n, nil
	}
	return 0, pgerror.New(pgerror.DatatypeMismatch, "cannot use %T as an OID", v)
}

// constString returns the value of a string literal argument.
func constString(e sql.Expression) string {
	if e == nil {
		return ""
	}
	v, err := e.Eval(sql.NewEmptyContext(), nil)
	if err != nil {
		return ""
	}
	s, _ := v.(string)
	return s
}

// arrayElems splits an array's text form ({a,b} or an int2vector's "1 2").
func arrayElems(s string) []string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
		s = s[1 : len(s)-1]
		if s == "" {
			return nil
		}
		parts := strings.Split(s, ",")
		for i, p := range parts {
			parts[i] = strings.Trim(p, `"`)
		}
		return parts
	}
	return strings.Fields(s)
}

// catalogFunctions are the functions of this file.
func catalogFunctions(e *Engine) []sql.Function {
	text, i8, b := types.LongText, types.Int64, types.Boolean
	yes := func(*sql.Context, []any) (any, error) { return int8(1), nil }
	return []sql.Function{
		catalogFn("pg_oid_of", 2, 2, true, func(args []sql.Expression) sql.Type {
			if k := constString(args[0]); k == "regproc" || k == "regprocedure" {
				return text
			}
			return i8
		}, func(ctx *sql.Context, a []any) (any, error) {
			return e.oidOf(ctx, a[0].(string), fmt.Sprint(a[1]))
		}),
		toReg(e, "to_regclass", "regclass", i8),
		toReg(e, "to_regtype", "regtype", i8),
		toReg(e, "to_regnamespace", "regnamespace", i8),
		toReg(e, "to_regrole", "regrole", i8),
		toReg(e, "to_regproc", "regproc", text),
		toReg(e, "to_regprocedure", "regprocedure", text),
		catalogFn("pg_oid_name", 2, 2, true, fixed(text), func(ctx *sql.Context, a []any) (any, error) {
			if s, ok := a[1].(string); ok {
				return s, nil
			}
			oid, err := toInt64(a[1])
			if err != nil {
				return nil, err
			}
			if oid == 0 {
				return "-", nil // InvalidOid, as PostgreSQL's reg* output functions print it
			}
			var name string
			switch a[0].(string) {
			case "regclass":
				if name, err = e.relationName(ctx, oid); err != nil {
					return nil, err
				}
				if name != "" && !strings.HasPrefix(name, "information_schema.") {
					name = pgexpr.QuoteIdent(name) // "Tx", as PostgreSQL's regclassout
				}
			case "regtype":
				name = formatType(oid, -1)
				if name == "???" {
					name = ""
				}
			case "regnamespace":
				name = map[int64]string{oidPgCatalog: "pg_catalog", oidPublic: "public", oidInfoSchema: "information_schema"}[oid]
			case "regrole":
				for i, r := range e.roleNames() {
					if roleOID(i) == oid {
						name = r
					}
				}
			}
			if name == "" {
				return strconv.FormatInt(oid, 10), nil
			}
			return name, nil
		}),
		catalogFn("pg_oid", 1, 1, true, fixed(i8), func(_ *sql.Context, a []any) (any, error) { return toInt64(a[0]) }),
		catalogFn("pg_array_subscript", 2, 2, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, pgerror.New(pgerror.DatatypeMismatch, "cannot subscript type %T because it does not support subscripting", a[0])
			}
			i, err := toInt64(a[1])
			if err != nil {
				return nil, err
			}
			if els, ok := pgtypes.ParseArray(s); ok { // quoting and NULL elements (docs/design/072)
				if i < 1 || i > int64(len(els)) || els[i-1] == nil {
					return nil, nil
				}
				return *els[i-1], nil
			}
			elems := arrayElems(s)
			if i < 1 || i > int64(len(elems)) {
				return nil, nil
			}
			return elems[i-1], nil
		}),
		// Records exist only as _pg_expandarray's result, over arrays the
		// empty pg_index and pg_constraint never yield.
		catalogFn("pg_field_select", 2, 2, true, fixed(i8), func(_ *sql.Context, a []any) (any, error) {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "field selection .%v is not supported", a[1])
		}),
		catalogFn("_pg_expandarray", 1, 1, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			if s, ok := a[0].(string); ok && len(arrayElems(s)) == 0 {
				return nil, nil
			}
			return nil, pgerror.New(pgerror.FeatureNotSupported, "information_schema._pg_expandarray is not supported")
		}),
		catalogFn("array_upper", 2, 2, true, fixed(types.Int32), func(_ *sql.Context, a []any) (any, error) {
			return arrayBound("array_upper", a, true)
		}),
		catalogFn("array_lower", 2, 2, true, fixed(types.Int32), func(_ *sql.Context, a []any) (any, error) {
			return arrayBound("array_lower", a, false)
		}),
		catalogFn("pg_relation_is_publishable", 1, 1, true, fixed(b), func(*sql.Context, []any) (any, error) { return int8(0), nil }),
		catalogFn("current_schemas", 1, 1, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			if v, _ := toInt64(a[0]); v != 0 {
				return "{pg_catalog,public}", nil
			}
			return "{public}", nil
		}),
		catalogFn("pg_get_expr", 2, 3, true, fixed(text), e.pgGetExpr), // default_display_defaultdisp.go
		catalogFn("obj_description", 1, 2, false, fixed(text), e.objDescription),
		catalogFn("col_description", 2, 2, false, fixed(text), e.colDescription),
		catalogFn("shobj_description", 2, 2, false, fixed(text), null),
		catalogFn("pg_get_function_result", 1, 1, true, fixed(text), procInfo(procResult)),
		catalogFn("pg_get_function_arguments", 1, 1, true, fixed(text), procInfo(procArguments)),
		catalogFn("pg_get_function_identity_arguments", 1, 1, true, fixed(text), procInfo(procArguments)),
		catalogFn("pg_get_function_sqlbody", 1, 1, false, fixed(text), null),
		catalogFn("pg_get_indexdef", 1, 3, false, fixed(text), null),
		catalogFn("pg_get_constraintdef", 1, 2, false, fixed(text), null),
		catalogFn("pg_get_viewdef", 1, 2, false, fixed(text), e.pgGetViewdef), // views_catalog.go
		catalogFn("pg_get_partkeydef", 1, 1, false, fixed(text), null),
		catalogFn("pg_get_statisticsobjdef_columns", 1, 1, false, fixed(text), null),
		catalogFn("pg_tablespace_location", 1, 1, false, fixed(text), func(*sql.Context, []any) (any, error) { return "", nil }),
		catalogFn("pg_type_is_visible", 1, 1, true, fixed(b), yes),
		catalogFn("pg_function_is_visible", 1, 1, true, fixed(b), yes),
		catalogFn("pg_is_other_temp_schema", 1, 1, true, fixed(b), func(*sql.Context, []any) (any, error) { return int8(0), nil }),
		catalogFn("array_to_string", 2, 3, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			s, ok := a[0].(string)
			if !ok {
				return nil, pgerror.New(pgerror.UndefinedFunction, "function array_to_string(%T, text) does not exist", a[0])
			}
			return strings.Join(arrayElems(s), fmt.Sprint(a[1])), nil
		}),
		catalogFn("quote_ident", 1, 1, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			return pgexpr.QuoteIdent(fmt.Sprint(a[0])), nil
		}),
	}
}

// formatType is format_type(oid, typmod): the SQL name of a type, with
// numeric's precision and scale; "???" for an unknown OID.
func formatType(oid int64, typmod int64) string {
	for _, t := range catalogTypes {
		if int64(t.oid) != oid {
			continue
		}
		name := pgtypes.TypeName(t.oid)
		switch t.oid {
		case pgtypes.OIDNumeric:
			if typmod >= 4 {
				m := typmod - 4
				return fmt.Sprintf("numeric(%d,%d)", m>>16, m&0xffff)
			}
		case pgtypes.OIDVarchar, pgtypes.OIDBPChar:
			return charFormatType(t.oid, typmod)
		case pgtypes.OIDName, pgtypes.OIDOid, pgtypes.OIDJSON, pgtypes.OIDText:
			return map[uint32]string{pgtypes.OIDName: "name", pgtypes.OIDOid: "oid", pgtypes.OIDJSON: "json",
				pgtypes.OIDText: "text"}[t.oid]
		}
		return name
	}
	if elem, ok := arrayElemOID(oid); ok {
		return formatType(elem, typmod) + "[]"
	}
	return "???"
}

// oidOf is a cast of the name of an object to an OID alias type: the
// object's OID (the function's name for regproc and regprocedure), or
// PostgreSQL's error when there is no such object.
func (e *Engine) oidOf(ctx *sql.Context, kind, name string) (any, error) {
	switch kind {
	case "regproc_oid", "regprocedure_oid":
		return procOIDOf(strings.TrimSuffix(kind, "_oid"), name) // pgcatalog_psqlmeta.go
	case "regproc", "regprocedure":
		name = strings.TrimPrefix(name, "pg_catalog.")
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		if !knownFunction(name) {
			return nil, pgerror.New(pgerror.UndefinedFunction, "function %q does not exist", name)
		}
		return name, nil
	case "regclass":
		oid, ok, err := e.relationOID(ctx, name)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", name)
		}
		return oid, nil
	case "regtype":
		if oid, ok := typeOID(name); ok {
			return oid, nil
		}
		return nil, pgerror.New(pgerror.UndefinedObject, "type %q does not exist", name)
	case "regnamespace":
		switch name {
		case "pg_catalog":
			return int64(oidPgCatalog), nil
		case "public":
			return int64(oidPublic), nil
		case "information_schema":
			return int64(oidInfoSchema), nil
		}
		return nil, pgerror.New(pgerror.InvalidSchemaName, "schema %q does not exist", name)
	case "regrole":
		for i, r := range e.roleNames() {
			if r == name {
				return roleOID(i), nil
			}
		}
		return nil, pgerror.New(pgerror.UndefinedObject, "role %q does not exist", name)
	}
	return toInt64(name)
}

// toReg is to_regclass and its siblings: the cast of a name to an OID
// alias type, NULL where the cast fails because there is no such object.
func toReg(e *Engine, fn, kind string, typ sql.Type) sql.Function {
	return catalogFn(fn, 1, 1, true, fixed(typ), func(ctx *sql.Context, a []any) (any, error) {
		v, err := e.oidOf(ctx, kind, fmt.Sprint(a[0]))
		if err != nil {
			switch pgerror.Code(err) {
			case pgerror.UndefinedTable, pgerror.UndefinedObject, pgerror.UndefinedFunction, pgerror.InvalidSchemaName:
				return nil, nil
			}
			return nil, err
		}
		return v, nil
	})
}
