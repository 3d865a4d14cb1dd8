package planner

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// The catalogs psql's remaining meta-commands read (docs/design/100):
// \do (pg_operator), \dC (pg_cast), \dc (pg_conversion), \dF* (the text
// search catalogs), \des/\dew/\det (foreign data), \drds
// (pg_db_role_setting), \dl (pg_largeobject_metadata), and the catalogs
// \dd unions over (pg_opclass, pg_opfamily, pg_rewrite, pg_trigger).
// pg_operator and pg_cast list PostgreSQL's rows, with its OIDs, for what
// OpenWit evaluates (pgcatalog_operators_data.go); the others are empty:
// OpenWit has none of those objects.

// pgOperator is a row of pg_operator.
type pgOperator struct {
	oid                       int64
	name                      string
	kind                      byte // 'b' infix, 'l' prefix
	canMerge, canHash         bool
	left, right, result       int64
	commutator, negator       int64
	code, rest, join, comment string
}

// pgCast is a row of pg_cast.
type pgCast struct {
	oid, source, target, fn int64
	context, method         byte
}

// psqlMetaOIDs are PostgreSQL's OIDs of the catalogs of this file.
var psqlMetaOIDs = map[string]int64{
	"pg_operator": 2617, "pg_cast": 2605, "pg_conversion": 2607, "pg_opclass": 2616, "pg_opfamily": 2753,
	"pg_rewrite": 2618, "pg_trigger": 2620, "pg_ts_config": 3602, "pg_ts_dict": 3600, "pg_ts_parser": 3601,
	"pg_ts_template": 3764, "pg_foreign_server": 1417, "pg_foreign_data_wrapper": 2328, "pg_foreign_table": 3118,
	"pg_db_role_setting": 2964, "pg_largeobject_metadata": 2995,
}

// psqlMetaTable returns the catalog of this file called name, or nil.
func psqlMetaTable(name string) sql.Table {
	text, i8, i4, i2, b := types.LongText, types.Int64, types.Int32, types.Int16, types.Boolean
	textArray := pgtypes.ArrayType{Elem: pgtypes.OIDText}
	empty := func(*sql.Context) ([]sql.Row, error) { return nil, nil }
	t := func(spec ...any) sql.Table { return &rowsTable{name: name, schema: cols(name, spec...), rows: empty} }
	switch name {
	case "pg_operator":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "oprname", text, "oprnamespace", i8, "oprowner", i8,
			"oprkind", text, "oprcanmerge", b, "oprcanhash", b, "oprleft", i8, "oprright", i8, "oprresult", i8,
			"oprcom", i8, "oprnegate", i8, "oprcode", text, "oprrest", text, "oprjoin", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				out := make([]sql.Row, 0, len(operatorRows))
				for _, o := range operatorRows {
					out = append(out, sql.Row{o.oid, o.name, int64(oidPgCatalog), int64(oidUser), string(o.kind),
						boolInt8(o.canMerge), boolInt8(o.canHash), o.left, o.right, o.result, o.commutator, o.negator,
						o.code, o.rest, o.join})
				}
				return out, nil
			}}
	case "pg_cast":
		return &rowsTable{name: name, schema: cols(name, "oid", i8, "castsource", i8, "casttarget", i8, "castfunc", i8,
			"castcontext", text, "castmethod", text),
			rows: func(*sql.Context) ([]sql.Row, error) {
				out := make([]sql.Row, 0, len(castRows))
				for _, c := range castRows {
					out = append(out, sql.Row{c.oid, c.source, c.target, c.fn, string(c.context), string(c.method)})
				}
				return out, nil
			}}
	case "pg_conversion":
		return t("oid", i8, "conname", text, "connamespace", i8, "conowner", i8, "conforencoding", i4,
			"contoencoding", i4, "conproc", text, "condefault", b)
	case "pg_opclass":
		return t("oid", i8, "opcmethod", i8, "opcname", text, "opcnamespace", i8, "opcowner", i8, "opcfamily", i8,
			"opcintype", i8, "opcdefault", b, "opckeytype", i8)
	case "pg_opfamily":
		return t("oid", i8, "opfmethod", i8, "opfname", text, "opfnamespace", i8, "opfowner", i8)
	case "pg_rewrite":
		return t("oid", i8, "rulename", text, "ev_class", i8, "ev_type", text, "ev_enabled", text, "is_instead", b,
			"ev_qual", text, "ev_action", text)
	case "pg_trigger":
		return t("oid", i8, "tgrelid", i8, "tgparentid", i8, "tgname", text, "tgfoid", i8, "tgtype", i2,
			"tgenabled", text, "tgisinternal", b, "tgconstrrelid", i8, "tgconstrindid", i8, "tgconstraint", i8,
			"tgdeferrable", b, "tginitdeferred", b, "tgnargs", i2, "tgattr", text, "tgargs", text, "tgqual", text,
			"tgoldtable", text, "tgnewtable", text)
	case "pg_ts_config":
		return t("oid", i8, "cfgname", text, "cfgnamespace", i8, "cfgowner", i8, "cfgparser", i8)
	case "pg_ts_dict":
		return t("oid", i8, "dictname", text, "dictnamespace", i8, "dictowner", i8, "dicttemplate", i8, "dictinitoption", text)
	case "pg_ts_parser":
		return t("oid", i8, "prsname", text, "prsnamespace", i8, "prsstart", text, "prstoken", text, "prsend", text,
			"prsheadline", text, "prslextype", text)
	case "pg_ts_template":
		return t("oid", i8, "tmplname", text, "tmplnamespace", i8, "tmplinit", text, "tmpllexize", text)
	case "pg_foreign_server":
		return t("oid", i8, "srvname", text, "srvowner", i8, "srvfdw", i8, "srvtype", text, "srvversion", text,
			"srvacl", text, "srvoptions", textArray)
	case "pg_foreign_data_wrapper":
		return t("oid", i8, "fdwname", text, "fdwowner", i8, "fdwhandler", i8, "fdwvalidator", i8, "fdwacl", text,
			"fdwoptions", textArray)
	case "pg_foreign_table":
		return t("ftrelid", i8, "ftserver", i8, "ftoptions", textArray)
	case "pg_db_role_setting":
		return t("setdatabase", i8, "setrole", i8, "setconfig", textArray)
	case "pg_largeobject_metadata":
		return t("oid", i8, "lomowner", i8, "lomacl", text)
	}
	return nil
}

// operatorComment is obj_description(oid, 'pg_operator').
func operatorComment(oid int64) any {
	for _, o := range operatorRows {
		if o.oid == oid && o.comment != "" {
			return o.comment
		}
	}
	return nil
}

// psqlMetaFunctions are the functions psql's meta-commands and monitoring
// tools call that the catalogs above need: the visibility tests of their
// objects, pg_get_functiondef (\sf, \ef) and the WAL position functions.
func psqlMetaFunctions(e *Engine) []sql.Function {
	text, b := types.LongText, types.Boolean
	yes := func(*sql.Context, []any) (any, error) { return int8(1), nil }
	var out []sql.Function
	for _, f := range []string{"pg_operator_is_visible", "pg_opclass_is_visible", "pg_opfamily_is_visible",
		"pg_conversion_is_visible", "pg_ts_config_is_visible", "pg_ts_dict_is_visible", "pg_ts_parser_is_visible",
		"pg_ts_template_is_visible", "pg_collation_is_visible", "pg_statistics_obj_is_visible"} {
		out = append(out, catalogFn(f, 1, 1, true, fixed(b), yes))
	}
	return append(out,
		catalogFn("pg_get_functiondef", 1, 1, true, fixed(text), func(_ *sql.Context, a []any) (any, error) {
			return functionDef(a[0])
		}),
		// This node's WAL: the LSN of the last record made durable
		// (acknowledged writes), formatted as PostgreSQL formats an LSN.
		// OpenWit's LSNs count records, not bytes. NULL on a node that
		// does not ingest.
		catalogFn("pg_current_wal_lsn", 0, 0, false, fixed(text), func(*sql.Context, []any) (any, error) {
			if e.cfg.Ingester == nil {
				return nil, nil
			}
			return formatLSN(e.cfg.Ingester.DurableLSN()), nil
		}),
		// No node replays another's WAL (no standby): NULL, as on a
		// PostgreSQL primary.
		catalogFn("pg_last_wal_replay_lsn", 0, 0, false, fixed(text), null),
		catalogFn("pg_last_wal_receive_lsn", 0, 0, false, fixed(text), null),
		catalogFn("pg_is_wal_replay_paused", 0, 0, false, fixed(b), notInRecovery),
		catalogFn("pg_get_wal_replay_pause_state", 0, 0, false, fixed(text), notInRecovery),
	)
}

// notInRecovery is PostgreSQL's error for the recovery control functions
// on a server that is not a standby.
func notInRecovery(*sql.Context, []any) (any, error) {
	err := pgerror.New(pgerror.ObjectNotInState, "recovery is not in progress")
	err.Hint = "Recovery control functions can only be executed during recovery."
	return nil, err
}

// formatLSN writes an LSN as PostgreSQL does: the high and low 32 bits in
// hexadecimal, X/X.
func formatLSN(lsn uint64) string {
	return fmt.Sprintf("%X/%X", lsn>>32, lsn&0xffffffff)
}

// procVolatility is a built-in function's provolatile.
func procVolatility(p proc) string {
	switch p.name {
	case "random":
		return "v"
	case "now", "to_char", "date_trunc", "date_part", "to_timestamp", "generate_series":
		return "s"
	}
	return "i"
}

// procStrict is a built-in function's proisstrict: as in PostgreSQL, all
// but count and the window functions without arguments.
func procStrict(p proc) bool { return p.name != "count" && (p.kind != 'w' || len(p.args) > 0) }

// functionDef is pg_get_functiondef: the CREATE statement of a function of
// pg_proc, laid out as PostgreSQL's; NULL for an OID that is not one. The
// argument is the OID, or the name a regproc cast of a name yields.
func functionDef(arg any) (any, error) {
	var p proc
	var ok bool
	if s, isName := arg.(string); isName {
		if _, err := toInt64(s); err != nil {
			oid, err := procOIDOf("regproc", s)
			if err != nil {
				return nil, err
			}
			arg = oid
		}
	}
	oid, err := toInt64(arg)
	if err != nil {
		return nil, err
	}
	if p, ok = procByOID(oid); !ok {
		return nil, nil
	}
	if p.kind == 'a' {
		return nil, pgerror.New(pgerror.WrongObjectType, "%q is an aggregate function", p.name)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "CREATE OR REPLACE FUNCTION pg_catalog.%s(%s)\n RETURNS %s\n LANGUAGE internal\n", p.name, procArguments(p), procResult(p))
	var opts []string
	if p.kind == 'w' {
		opts = append(opts, "WINDOW")
	}
	switch procVolatility(p) {
	case "i":
		opts = append(opts, "IMMUTABLE")
	case "s":
		opts = append(opts, "STABLE")
	}
	opts = append(opts, "PARALLEL SAFE")
	if procStrict(p) {
		opts = append(opts, "STRICT")
	}
	fmt.Fprintf(&sb, " %s\nAS $function$%s$function$\n", strings.Join(opts, " "), p.name)
	return sb.String(), nil
}

// procOIDOf is 'name'::regproc::oid (kind regproc) or
// 'name(types)'::regprocedure::oid: the pg_proc OID of the function, with
// PostgreSQL's errors for no such function and, for regproc, for a name
// with more than one.
func procOIDOf(kind, name string) (int64, error) {
	name = strings.TrimSpace(name)
	args, hasArgs := "", false
	if i := strings.IndexByte(name, '('); i >= 0 && strings.HasSuffix(name, ")") {
		args, hasArgs = name[i+1:len(name)-1], true
		name = strings.TrimSpace(name[:i])
	}
	full := name
	name = strings.TrimPrefix(name, "pg_catalog.")
	if strings.HasPrefix(name, `"`) && strings.HasSuffix(name, `"`) && len(name) > 1 {
		name = name[1 : len(name)-1]
	} else {
		name = strings.ToLower(name)
	}
	if kind == "regprocedure" && !hasArgs {
		return 0, pgerror.New(pgerror.InvalidTextRepr, "expected a left parenthesis")
	}
	if kind == "regproc" && hasArgs {
		return 0, pgerror.New(pgerror.InvalidTextRepr, "invalid name syntax")
	}
	var want []int64
	if hasArgs {
		for _, a := range strings.Split(args, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			oid, ok := procArgTypeOID(a)
			if !ok {
				return 0, pgerror.New(pgerror.UndefinedObject, "type %q does not exist", a)
			}
			want = append(want, oid)
		}
	}
	found := int64(-1)
	for i, p := range procs() {
		if p.name != name {
			continue
		}
		if hasArgs {
			if len(p.args) != len(want) {
				continue
			}
			same := true
			for j, t := range p.args {
				if int64(t) != want[j] {
					same = false
				}
			}
			if !same {
				continue
			}
		} else if found >= 0 {
			return 0, pgerror.New(pgerror.AmbiguousFunction, "more than one function named \"%s\"", full)
		}
		found = int64(procOIDBase + i)
		if hasArgs {
			break
		}
	}
	if found < 0 {
		if hasArgs {
			return 0, pgerror.New(pgerror.UndefinedFunction, "function \"%s\" does not exist", full+"("+args+")")
		}
		return 0, pgerror.New(pgerror.UndefinedFunction, "function \"%s\" does not exist", full)
	}
	return found, nil
}

// procArgTypeOID is the OID of an argument type as regprocedure's input
// names it (a type name, or one of the pseudo-types pg_proc uses).
func procArgTypeOID(name string) (int64, bool) {
	switch n := strings.ToLower(strings.TrimPrefix(name, "pg_catalog.")); n {
	case `"any"`, "any":
		return oidAny, true
	case "anyarray":
		return oidAnyArray, true
	case "anyelement":
		return oidAnyElement, true
	case "regtype":
		return oidRegtype, true
	case "int", "int4":
		return pgtypes.OIDInt4, true
	case "float8", "double precision":
		return pgtypes.OIDFloat8, true
	}
	return typeOID(name)
}
