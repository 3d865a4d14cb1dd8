package planner

import (
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/planner/pgtypes"
)

// pg_proc lists the functions OpenWit implements, with PostgreSQL's
// argument and result types, so that psql's \df and drivers' function
// metadata (JDBC getFunctions) see them. OIDs are OpenWit's own (from
// procOIDBase); PostgreSQL's functions have one row per argument-type
// overload, of which the list keeps the common ones.

const procOIDBase = 9000

// Pseudo-type OIDs used by polymorphic functions.
const (
	oidRegtype     = 2206
	oidAny         = 2276
	oidAnyArray    = 2277
	oidAnyElement  = 2283
	oidFloat8Array = 1022
)

type proc struct {
	name   string
	kind   byte // 'f' function, 'a' aggregate, 'w' window
	ret    uint32
	args   []uint32
	retset bool
}

func procs() []proc {
	const (
		text, i4, i8, f8, num, b = pgtypes.OIDText, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDFloat8, pgtypes.OIDNumeric, pgtypes.OIDBool
		tz, ts, iv, js           = pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp, pgtypes.OIDInterval, pgtypes.OIDJSONB
	)
	a := func(t ...uint32) []uint32 { return t }
	return []proc{
		// Text.
		{"lower", 'f', text, a(text), false}, {"upper", 'f', text, a(text), false},
		{"length", 'f', i4, a(text), false}, {"char_length", 'f', i4, a(text), false},
		{"substring", 'f', text, a(text, i4, i4), false}, {"substr", 'f', text, a(text, i4, i4), false},
		{"replace", 'f', text, a(text, text, text), false}, {"strpos", 'f', i4, a(text, text), false},
		{"position", 'f', i4, a(text, text), false}, {"split_part", 'f', text, a(text, text, i4), false},
		{"starts_with", 'f', b, a(text, text), false}, {"left", 'f', text, a(text, i4), false},
		{"right", 'f', text, a(text, i4), false}, {"repeat", 'f', text, a(text, i4), false},
		{"reverse", 'f', text, a(text), false}, {"lpad", 'f', text, a(text, i4, text), false},
		{"rpad", 'f', text, a(text, i4, text), false}, {"btrim", 'f', text, a(text), false},
		{"ltrim", 'f', text, a(text), false}, {"rtrim", 'f', text, a(text), false},
		{"initcap", 'f', text, a(text), false}, {"md5", 'f', text, a(text), false},
		{"regexp_replace", 'f', text, a(text, text, text), false},
		{"translate", 'f', text, a(text, text, text), false}, {"to_hex", 'f', text, a(i4), false},
		{"to_hex", 'f', text, a(i8), false}, {"format", 'f', text, a(text, oidAny), false},
		{"string_to_array", 'f', pgtypes.ArrayOID(text), a(text, text), false},
		{"regexp_split_to_array", 'f', pgtypes.ArrayOID(text), a(text, text), false},
		{"regexp_match", 'f', pgtypes.ArrayOID(text), a(text, text), false},
		{"regexp_like", 'f', b, a(text, text), false}, {"regexp_count", 'f', i4, a(text, text), false},
		{"regexp_instr", 'f', i4, a(text, text), false}, {"regexp_substr", 'f', text, a(text, text), false},
		{"chr", 'f', text, a(i4), false}, {"quote_literal", 'f', text, a(oidAnyElement), false},
		{"quote_nullable", 'f', text, a(oidAnyElement), false}, {"pg_is_in_recovery", 'f', b, nil, false},
		{"gcd", 'f', i4, a(i4, i4), false}, {"gcd", 'f', i8, a(i8, i8), false}, {"gcd", 'f', num, a(num, num), false},
		{"lcm", 'f', i4, a(i4, i4), false}, {"lcm", 'f', i8, a(i8, i8), false}, {"lcm", 'f', num, a(num, num), false},
		{"div", 'f', num, a(num, num), false}, {"width_bucket", 'f', i4, a(f8, f8, f8, i4), false}, {"width_bucket", 'f', i4, a(num, num, num, i4), false},
		// Numbers.
		{"abs", 'f', f8, a(f8), false}, {"abs", 'f', i4, a(i4), false}, {"ceil", 'f', f8, a(f8), false},
		{"floor", 'f', f8, a(f8), false}, {"round", 'f', f8, a(f8), false}, {"round", 'f', num, a(num, i4), false},
		{"sqrt", 'f', f8, a(f8), false}, {"ln", 'f', f8, a(f8), false}, {"log", 'f', f8, a(f8), false},
		{"exp", 'f', f8, a(f8), false}, {"power", 'f', f8, a(f8, f8), false}, {"mod", 'f', i4, a(i4, i4), false},
		{"random", 'f', f8, nil, false},
		// Time.
		{"now", 'f', tz, nil, false}, {"date_trunc", 'f', tz, a(text, tz), false},
		{"date_trunc", 'f', ts, a(text, ts), false}, {"date_part", 'f', f8, a(text, tz), false},
		{"date_bin", 'f', tz, a(iv, tz, tz), false}, {"make_interval", 'f', iv, a(i4, i4, i4, i4, i4, i4, f8), false}, {"to_timestamp", 'f', tz, a(f8), false},
		{"to_char", 'f', text, a(tz, text), false},
		// Other scalars.
		{"pg_typeof", 'f', oidRegtype, a(oidAny), false}, {"jsonb_typeof", 'f', text, a(js), false},
		// JSON (planner/pgexpr/json_*.go, planner/json_srf.go).
		{"jsonb_array_length", 'f', i4, a(js), false}, {"jsonb_extract_path", 'f', js, a(js, pgtypes.ArrayOID(text)), false},
		{"jsonb_extract_path_text", 'f', text, a(js, pgtypes.ArrayOID(text)), false}, {"jsonb_build_object", 'f', js, a(oidAny), false},
		{"jsonb_build_array", 'f', js, a(oidAny), false}, {"to_jsonb", 'f', js, a(oidAny), false},
		{"jsonb_strip_nulls", 'f', js, a(js), false}, {"jsonb_pretty", 'f', text, a(js), false},
		{"jsonb_set", 'f', js, a(js, pgtypes.ArrayOID(text), js, b), false}, {"jsonb_object_keys", 'f', text, a(js), true},
		{"jsonb_array_elements", 'f', js, a(js), true}, {"jsonb_array_elements_text", 'f', text, a(js), true},
		{"jsonb_agg", 'a', js, a(oidAny), false}, {"jsonb_object_agg", 'a', js, a(oidAny, oidAny), false},
		// Set-returning.
		{"generate_series", 'f', i4, a(i4, i4), true}, {"generate_series", 'f', i8, a(i8, i8), true},
		{"generate_series", 'f', tz, a(tz, tz, iv), true},
		// Aggregates.
		{"count", 'a', i8, nil, false}, {"count", 'a', i8, a(oidAny), false},
		{"sum", 'a', i8, a(i4), false}, {"sum", 'a', num, a(i8), false}, {"sum", 'a', f8, a(f8), false},
		{"sum", 'a', num, a(num), false}, {"avg", 'a', num, a(i4), false}, {"avg", 'a', num, a(i8), false},
		{"avg", 'a', f8, a(f8), false}, {"avg", 'a', num, a(num), false},
		{"min", 'a', i4, a(i4), false}, {"min", 'a', i8, a(i8), false}, {"min", 'a', f8, a(f8), false},
		{"min", 'a', text, a(text), false}, {"min", 'a', tz, a(tz), false},
		{"max", 'a', i4, a(i4), false}, {"max", 'a', i8, a(i8), false}, {"max", 'a', f8, a(f8), false},
		{"max", 'a', text, a(text), false}, {"max", 'a', tz, a(tz), false},
		{"bool_and", 'a', b, a(b), false}, {"bool_or", 'a', b, a(b), false}, {"every", 'a', b, a(b), false},
		{"string_agg", 'a', text, a(text, text), false}, {"array_agg", 'a', oidAnyArray, a(oidAnyElement), false},
		{"stddev", 'a', f8, a(f8), false}, {"stddev_samp", 'a', f8, a(f8), false}, {"stddev_pop", 'a', f8, a(f8), false},
		{"variance", 'a', f8, a(f8), false}, {"var_samp", 'a', f8, a(f8), false}, {"var_pop", 'a', f8, a(f8), false},
		{"stddev", 'a', num, a(i8), false}, {"stddev_samp", 'a', num, a(i8), false}, {"stddev_pop", 'a', num, a(i8), false},
		{"variance", 'a', num, a(i8), false}, {"var_samp", 'a', num, a(i8), false}, {"var_pop", 'a', num, a(i8), false},
		{"percentile_cont", 'a', f8, a(f8, f8), false}, {"percentile_cont", 'a', oidFloat8Array, a(oidFloat8Array, f8), false},
		{"percentile_disc", 'a', oidAnyElement, a(f8, oidAnyElement), false},
		// Window functions.
		{"row_number", 'w', i8, nil, false}, {"rank", 'w', i8, nil, false}, {"dense_rank", 'w', i8, nil, false},
		{"percent_rank", 'w', f8, nil, false}, {"cume_dist", 'w', f8, nil, false}, {"ntile", 'w', i4, a(i4), false},
		{"lag", 'w', oidAnyElement, a(oidAnyElement), false}, {"lead", 'w', oidAnyElement, a(oidAnyElement), false},
		{"first_value", 'w', oidAnyElement, a(oidAnyElement), false}, {"last_value", 'w', oidAnyElement, a(oidAnyElement), false},
		// Added later: at the end, so that the OIDs above stay.
		{"to_number", 'f', num, a(text, text), false}, {"mode", 'a', oidAnyElement, a(oidAnyElement), false},
		{"regexp_matches", 'f', pgtypes.ArrayOID(text), a(text, text), true},
		{"regexp_matches", 'f', pgtypes.ArrayOID(text), a(text, text, text), true},
		{"regexp_split_to_table", 'f', text, a(text, text), true}, {"string_to_table", 'f', text, a(text, text), true},
		{"pg_listening_channels", 'f', text, nil, true},
	}
}

// procTypeName is format_type's name for the types procs use.
func procTypeName(oid uint32) string {
	switch oid {
	case oidRegtype:
		return "regtype"
	case oidAny:
		return `"any"`
	case oidAnyArray:
		return "anyarray"
	case oidAnyElement:
		return "anyelement"
	case pgtypes.OIDText:
		return "text"
	}
	return pgtypes.TypeName(oid)
}

// procRows are pg_proc's rows.
func procRows(*sql.Context) ([]sql.Row, error) {
	var out []sql.Row
	for i, p := range procs() {
		argTypes := make([]string, len(p.args))
		for j, t := range p.args {
			argTypes[j] = strconv.FormatUint(uint64(t), 10)
		}
		strict, volatile := boolInt8(procStrict(p)), procVolatility(p) // pgcatalog_psqlmeta.go
		rows := float32(0)
		if p.retset {
			rows = 1000
		}
		out = append(out, sql.Row{int64(procOIDBase + i), p.name, int64(oidPgCatalog), int64(oidUser),
			int64(12), float32(1), rows, int64(0), "-", string(p.kind),
			int8(0), int8(0), strict, boolInt8(p.retset), volatile, "s",
			int16(len(p.args)), int16(0), int64(p.ret), strings.Join(argTypes, " "), nil,
			nil, nil, nil, nil, p.name,
			nil, nil, nil, nil})
	}
	return out, nil
}

// procByOID finds a pg_proc row's function.
func procByOID(oid int64) (proc, bool) {
	ps := procs()
	if oid < procOIDBase || oid >= procOIDBase+int64(len(ps)) {
		return proc{}, false
	}
	return ps[oid-procOIDBase], true
}

// procResult is pg_get_function_result.
func procResult(p proc) string {
	if p.retset {
		return "SETOF " + procTypeName(p.ret)
	}
	return procTypeName(p.ret)
}

// procArguments is pg_get_function_arguments (and the identity form).
func procArguments(p proc) string {
	names := make([]string, len(p.args))
	for i, t := range p.args {
		names[i] = procTypeName(t)
	}
	if len(names) == 0 && p.kind == 'a' {
		return "*"
	}
	if (p.name == "percentile_cont" || p.name == "percentile_disc") && len(names) == 2 {
		return names[0] + " ORDER BY " + names[1]
	}
	return strings.Join(names, ", ")
}

// procInfo evaluates f on the function with the OID in args[0]; NULL for
// other OIDs.
func procInfo(f func(proc) string) func(*sql.Context, []any) (any, error) {
	return func(_ *sql.Context, args []any) (any, error) {
		oid, err := toInt64(args[0])
		if err != nil {
			return nil, nil
		}
		if p, ok := procByOID(oid); ok {
			return f(p), nil
		}
		return nil, nil
	}
}
