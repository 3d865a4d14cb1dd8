package pgexpr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

func jsonResultType([]sql.Expression) sql.Type { return types.JSON }

// jsonFirstArg accepts a json/jsonb first argument (or an untyped literal).
func jsonFirstArg(args []sql.Expression) bool { return len(args) > 0 && jsonCastable(args[0]) }

// jsonArg reads argument v (a jsonb, json or untyped literal) as a tree.
func jsonArg(v any) (any, error) {
	j, err := AsJSONB(v)
	return j.V, err
}

// jsonFuncs are PostgreSQL's json and jsonb functions (scalar ones; the
// set-returning ones are in planner/json_srf.go and the aggregates in
// json_agg.go).
var jsonFuncs = map[string]funcDef{
	"jsonb_typeof":            {args: []argKind{kAny}, check: jsonFirstArg, result: textResult, eval: evalJSONTypeof},
	"json_typeof":             {args: []argKind{kAny}, check: jsonFirstArg, result: textResult, eval: evalJSONTypeof},
	"jsonb_array_length":      {args: []argKind{kAny}, check: jsonFirstArg, result: int32Result, eval: evalJSONArrayLength},
	"json_array_length":       {args: []argKind{kAny}, check: jsonFirstArg, result: int32Result, eval: evalJSONArrayLength},
	"jsonb_extract_path":      {args: []argKind{kAny, kText}, variadic: true, check: jsonFirstArg, result: jsonResultType, eval: extractPath(false)},
	"json_extract_path":       {args: []argKind{kAny, kText}, variadic: true, check: jsonFirstArg, result: jsonResultType, eval: extractPath(false)},
	"jsonb_extract_path_text": {args: []argKind{kAny, kText}, variadic: true, check: jsonFirstArg, result: textResult, eval: extractPath(true)},
	"json_extract_path_text":  {args: []argKind{kAny, kText}, variadic: true, check: jsonFirstArg, result: textResult, eval: extractPath(true)},
	"jsonb_build_object":      {args: []argKind{kAny}, opt: 1, variadic: true, nonStrict: true, result: jsonResultType, evalCtx: buildObject("jsonb_build_object", false)},
	"json_build_object":       {args: []argKind{kAny}, opt: 1, variadic: true, nonStrict: true, result: jsonResultType, evalCtx: buildObject("json_build_object", true)},
	"jsonb_build_array":       {args: []argKind{kAny}, opt: 1, variadic: true, nonStrict: true, result: jsonResultType, evalCtx: buildArray(false)},
	"json_build_array":        {args: []argKind{kAny}, opt: 1, variadic: true, nonStrict: true, result: jsonResultType, evalCtx: buildArray(true)},
	"to_jsonb": {args: []argKind{kAny}, result: jsonResultType, evalCtx: func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		v, _, err := SQLToJSON(ctx, a[0], ts[0])
		return JSONB{V: v}, err
	}},
	"to_json": {args: []argKind{kAny}, result: jsonResultType, evalCtx: func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		v, text, err := SQLToJSON(ctx, a[0], ts[0])
		return JSONB{V: v, Text: text}, err
	}},
	"jsonb_strip_nulls": {args: []argKind{kAny}, check: jsonFirstArg, result: jsonResultType, eval: func(a []any, _ []sql.Type) (any, error) {
		v, err := jsonArg(a[0])
		return JSONB{V: stripNulls(v)}, err
	}},
	"json_strip_nulls": {args: []argKind{kAny}, check: jsonFirstArg, result: jsonResultType, eval: func(a []any, _ []sql.Type) (any, error) {
		v, err := jsonArg(a[0])
		v = stripNulls(v)
		return JSONB{V: v, Text: string(appendCompactJSON(nil, v))}, err
	}},
	"jsonb_pretty": {args: []argKind{kAny}, check: jsonFirstArg, result: textResult, eval: func(a []any, _ []sql.Type) (any, error) {
		v, err := jsonArg(a[0])
		if err != nil {
			return nil, err
		}
		return JSONPretty(v), nil
	}},
	"jsonb_set": {args: []argKind{kAny, kAny, kAny, kAny}, opt: 1, check: jsonFirstArg, result: jsonResultType, eval: evalJSONBSet},
}

func evalJSONTypeof(a []any, _ []sql.Type) (any, error) {
	v, err := jsonArg(a[0])
	if err != nil {
		return nil, err
	}
	return JSONTypeOf(v), nil
}

func evalJSONArrayLength(a []any, _ []sql.Type) (any, error) {
	v, err := jsonArg(a[0])
	if err != nil {
		return nil, err
	}
	switch x := v.(type) {
	case []any:
		return int32(len(x)), nil
	case *JSONObject:
		return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot get array length of a non-array")
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot get array length of a scalar")
}

func extractPath(asText bool) func([]any, []sql.Type) (any, error) {
	return func(a []any, _ []sql.Type) (any, error) {
		v, err := jsonArg(a[0])
		if err != nil {
			return nil, err
		}
		path := make([]*string, len(a)-1)
		for i := range path {
			s := textArg(a[i+1])
			path[i] = &s
		}
		r, ok := jsonPath(v, path)
		if !ok {
			return nil, nil
		}
		return jsonResult(r, asText), nil
	}
}

// buildObject is json(b)_build_object(VARIADIC "any").
func buildObject(name string, json bool) func(*sql.Context, []any, []sql.Type) (any, error) {
	return func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		if len(a)%2 != 0 {
			e := pgerror.New(pgerror.InvalidParameterValue, "argument list must have even number of elements")
			e.Hint = fmt.Sprintf("The arguments of %s() must consist of alternating keys and values.", name)
			return nil, e
		}
		obj := &JSONObject{}
		var text strings.Builder
		text.WriteByte('{')
		for i := 0; i < len(a); i += 2 {
			if a[i] == nil {
				return nil, pgerror.New(pgerror.InvalidParameterValue, "argument %d: key must not be null", i+1)
			}
			key, err := jsonKeyText(ctx, a[i], ts[i])
			if err != nil {
				return nil, err
			}
			v, vt, err := SQLToJSON(ctx, a[i+1], ts[i+1])
			if err != nil {
				return nil, err
			}
			obj.Keys = append(obj.Keys, key)
			obj.Vals = append(obj.Vals, v)
			if i > 0 {
				text.WriteString(", ")
			}
			text.Write(appendJSONString(nil, key))
			text.WriteString(" : ")
			text.WriteString(vt)
		}
		text.WriteByte('}')
		out := JSONB{V: obj.normalize()}
		if json {
			out.Text = text.String()
		}
		return out, nil
	}
}

// jsonKeyText is an object key given as a SQL value: its text (a boolean
// as true/false).
func jsonKeyText(ctx *sql.Context, v any, t sql.Type) (string, error) {
	oid, _ := pgtypes.OID(t)
	if t == boolType {
		oid = pgtypes.OIDBool
	}
	if types.IsText(t) || t == types.Null {
		oid = pgtypes.OIDText
	}
	if j, ok := v.(JSONB); ok {
		return j.String(), nil
	}
	return TextOf(ctx, v, oid)
}

func buildArray(json bool) func(*sql.Context, []any, []sql.Type) (any, error) {
	return func(ctx *sql.Context, a []any, ts []sql.Type) (any, error) {
		arr := make([]any, len(a))
		texts := make([]string, len(a))
		for i := range a {
			v, vt, err := SQLToJSON(ctx, a[i], ts[i])
			if err != nil {
				return nil, err
			}
			arr[i], texts[i] = v, vt
		}
		out := JSONB{V: arr}
		if json {
			out.Text = "[" + strings.Join(texts, ", ") + "]"
		}
		return out, nil
	}
}

// SQLToJSON converts a SQL value of engine type t to a JSON tree (as
// to_jsonb does) and to json text (as to_json does): numbers stay
// numbers (NaN and the infinities become strings), booleans booleans,
// date/time values ISO 8601 strings, arrays JSON arrays, json values
// themselves, anything else its text as a string.
func SQLToJSON(ctx *sql.Context, v any, t sql.Type) (any, string, error) {
	if v == nil {
		return nil, "null", nil
	}
	oid, _ := pgtypes.OID(t)
	if t == boolType {
		oid = pgtypes.OIDBool
	}
	if b, ok := v.([]byte); ok && oid != pgtypes.OIDBytea {
		v = string(b)
	}
	switch x := v.(type) {
	case JSONB:
		return x.V, x.String(), nil
	case sql.JSONWrapper:
		j, err := AsJSONB(x)
		return j.V, j.String(), err
	case time.Time:
		s := pgtypes.InfinityText(x)
		if s == "" {
			switch oid {
			case pgtypes.OIDDate:
				s = x.Format("2006-01-02")
			case pgtypes.OIDTimestamp:
				s = x.Format("2006-01-02T15:04:05.999999")
			default:
				s = isoTimestampTZ(x.In(SessionLocation(ctx)))
			}
		}
		return s, string(appendJSONString(nil, s)), nil
	case float64, float32:
		f, _ := asFloat(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			s := FormatFloat(f, 64)
			return s, string(appendJSONString(nil, s)), nil
		}
		bits := 64
		if _, ok := x.(float32); ok {
			bits = 32
		}
		s := FormatFloat(f, bits)
		n, err := jsonNumberOf(s)
		return n, s, err
	case decimal.Decimal:
		s, _ := TextOf(ctx, x, pgtypes.OIDNumeric)
		n, err := jsonNumberOf(s)
		return n, s, err
	case pgtypes.NumericNaN:
		return "NaN", `"NaN"`, nil
	}
	if oid == pgtypes.OIDBool {
		b, err := castBool(v)
		if err != nil {
			return nil, "", err
		}
		if b.(bool) {
			return true, "true", nil
		}
		return false, "false", nil
	}
	if at, ok := t.(pgtypes.ArrayType); ok {
		return arrayToJSON(ctx, v, at.Elem)
	}
	if types.IsInteger(t) {
		i, err := asInt64(v)
		if err != nil {
			return nil, "", err
		}
		return JSONNumber{D: decimal.NewFromInt(i)}, strconv.FormatInt(i, 10), nil
	}
	s, err := TextOf(ctx, v, oid)
	if err != nil {
		return nil, "", err
	}
	return s, string(appendJSONString(nil, s)), nil
}

func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	}
	return 0, false
}

// jsonNumberOf reads numeric text as a JSON number.
func jsonNumberOf(s string) (any, error) {
	p := jsonParser{s: s}
	return p.number()
}

// isoTimestampTZ is a timestamptz as to_json writes it:
// 2024-01-02T03:04:05.5+00:00.
func isoTimestampTZ(t time.Time) string {
	s := t.Format("2006-01-02T15:04:05.999999")
	_, off := t.Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	s += fmt.Sprintf("%s%02d:%02d", sign, off/3600, (off%3600)/60)
	if sec := off % 60; sec != 0 {
		s += fmt.Sprintf(":%02d", sec)
	}
	return s
}

// arrayToJSON is array_to_json of an array value (its text form) with
// elements of type elem: "[1,2]" without spaces.
func arrayToJSON(ctx *sql.Context, v any, elem uint32) (any, string, error) {
	elems, err := arrayElemsOf(textArg(v))
	if err != nil {
		return nil, "", err
	}
	arr := make([]any, len(elems))
	texts := make([]string, len(elems))
	for i, e := range elems {
		if e == nil {
			arr[i], texts[i] = nil, "null"
			continue
		}
		switch elem {
		case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDNumeric, pgtypes.OIDFloat4, pgtypes.OIDFloat8:
			if n, err := jsonNumberOf(*e); err == nil {
				arr[i], texts[i] = n, *e
				continue
			}
		case pgtypes.OIDBool:
			b := *e == "t" || *e == "true"
			arr[i], texts[i] = b, strconv.FormatBool(b)
			continue
		case pgtypes.OIDJSONB:
			j, err := ParseJSONB(*e, false)
			if err != nil {
				return nil, "", err
			}
			arr[i], texts[i] = j.V, j.String()
			continue
		}
		arr[i], texts[i] = *e, string(appendJSONString(nil, *e))
	}
	return arr, "[" + strings.Join(texts, ",") + "]", nil
}

func stripNulls(v any) any {
	switch x := v.(type) {
	case *JSONObject:
		out := &JSONObject{}
		for i, k := range x.Keys {
			if x.Vals[i] == nil {
				continue
			}
			out.Keys = append(out.Keys, k)
			out.Vals = append(out.Vals, stripNulls(x.Vals[i]))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = stripNulls(e)
		}
		return out
	}
	return v
}

// appendCompactJSON writes v without spaces (json's re-emitted form).
func appendCompactJSON(buf []byte, v any) []byte {
	switch x := v.(type) {
	case []any:
		buf = append(buf, '[')
		for i, e := range x {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendCompactJSON(buf, e)
		}
		return append(buf, ']')
	case *JSONObject:
		buf = append(buf, '{')
		for i, k := range x.Keys {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = appendJSONString(buf, k)
			buf = append(buf, ':')
			buf = appendCompactJSON(buf, x.Vals[i])
		}
		return append(buf, '}')
	}
	return AppendJSON(buf, v)
}

// JSONPretty is jsonb_pretty: four spaces per level, as PostgreSQL's
// JsonbToCStringIndent writes it (an empty container still breaks its
// line).
func JSONPretty(v any) string {
	var b []byte
	indent := func(level int) {
		b = append(b, '\n')
		for range level {
			b = append(b, "    "...)
		}
	}
	var walk func(v any, level int, afterKey bool)
	walk = func(v any, level int, afterKey bool) {
		switch x := v.(type) {
		case []any:
			if !afterKey && level > 0 {
				indent(level)
			}
			b = append(b, '[')
			for i, e := range x {
				if i > 0 {
					b = append(b, ',')
				}
				if isJSONContainer(e) {
					walk(e, level+1, false)
				} else {
					indent(level + 1)
					b = AppendJSON(b, e)
				}
			}
			indent(level)
			b = append(b, ']')
		case *JSONObject:
			if !afterKey && level > 0 {
				indent(level)
			}
			b = append(b, '{')
			for i, k := range x.Keys {
				if i > 0 {
					b = append(b, ',')
				}
				indent(level + 1)
				b = appendJSONString(b, k)
				b = append(b, ": "...)
				if isJSONContainer(x.Vals[i]) {
					walk(x.Vals[i], level+1, true)
				} else {
					b = AppendJSON(b, x.Vals[i])
				}
			}
			indent(level)
			b = append(b, '}')
		default:
			b = AppendJSON(b, v)
		}
	}
	walk(v, 0, false)
	return string(b)
}

// evalJSONBSet is jsonb_set(target, path, new_value [, create_missing]).
func evalJSONBSet(a []any, _ []sql.Type) (any, error) {
	target, err := jsonArg(a[0])
	if err != nil {
		return nil, err
	}
	path, err := arrayElemsOf(textArg(a[1]))
	if err != nil {
		return nil, err
	}
	nv, err := jsonArg(a[2])
	if err != nil {
		return nil, err
	}
	create := true
	if len(a) > 3 {
		b, err := castBool(a[3])
		if err != nil {
			return nil, err
		}
		create = b.(bool)
	}
	if !isJSONContainer(target) {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot set path in scalar")
	}
	for i, p := range path {
		if p == nil {
			return nil, pgerror.New("22004", "path element at position %d is null", i+1)
		}
	}
	if len(path) == 0 {
		return JSONB{V: target}, nil
	}
	out, err := jsonSetPath(target, path, 0, nv, create)
	return JSONB{V: out}, err
}

func jsonSetPath(v any, path []*string, level int, nv any, create bool) (any, error) {
	p := *path[level]
	last := level == len(path)-1
	switch x := v.(type) {
	case *JSONObject:
		for i, k := range x.Keys {
			if k != p {
				continue
			}
			out := &JSONObject{Keys: x.Keys, Vals: append([]any{}, x.Vals...)}
			if last {
				out.Vals[i] = nv
				return out, nil
			}
			r, err := jsonSetPath(x.Vals[i], path, level+1, nv, create)
			if err != nil {
				return nil, err
			}
			out.Vals[i] = r
			return out, nil
		}
		if last && create {
			m := &JSONObject{Keys: append(append([]string{}, x.Keys...), p), Vals: append(append([]any{}, x.Vals...), nv)}
			return m.normalize(), nil
		}
		return x, nil
	case []any:
		n, err := jsonPathIndex(p, level, len(x))
		if err != nil {
			return nil, err
		}
		if n < 0 || n >= len(x) {
			if !last || !create {
				return x, nil
			}
			if n < 0 {
				return append([]any{nv}, x...), nil
			}
			return append(append([]any{}, x...), nv), nil
		}
		out := append([]any{}, x...)
		if last {
			out[n] = nv
			return out, nil
		}
		r, err := jsonSetPath(x[n], path, level+1, nv, create)
		if err != nil {
			return nil, err
		}
		out[n] = r
		return out, nil
	}
	return v, nil
}

// jsonPathIndex reads path element p (at 0-based level) as an index into
// an array of length n, a negative one counting from the end; the result
// may be out of range.
func jsonPathIndex(p string, level, n int) (int, error) {
	i, err := strconv.Atoi(strings.TrimSpace(p))
	if err != nil {
		return 0, pgerror.New(pgerror.InvalidTextRepr, "path element at position %d is not an integer: \"%s\"", level+1, p)
	}
	if i < 0 {
		i += n
	}
	return i, nil
}
