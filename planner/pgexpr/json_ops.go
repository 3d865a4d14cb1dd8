package pgexpr

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// IsJSONType reports whether t is json/jsonb.
func IsJSONType(t sql.Type) bool { return t == types.JSON }

// castJSONB is text → jsonb (the input function); json → jsonb drops the
// verbatim text. Other types have no cast to jsonb (42846).
func castJSONB(ctx *sql.Context, v any, fromOID uint32) (any, error) {
	switch x := v.(type) {
	case JSONB:
		return JSONB{V: x.V}, nil
	case string:
		return ParseJSONB(x, false)
	case []byte:
		return ParseJSONB(string(x), false)
	case sql.JSONWrapper:
		return AsJSONB(x)
	}
	if fromOID != 0 && fromOID != pgtypes.OIDText && fromOID != pgtypes.OIDVarchar && fromOID != pgtypes.OIDBPChar {
		return nil, pgerror.New(CannotCoerce, "cannot cast type %s to jsonb", pgtypes.TypeName(fromOID))
	}
	s, err := TextOf(ctx, v, fromOID)
	if err != nil {
		return nil, err
	}
	return ParseJSONB(s, false)
}

// castJSON is text → json: the value keeps its input text.
func castJSON(ctx *sql.Context, v any, fromOID uint32) (any, error) {
	switch x := v.(type) {
	case JSONB:
		return x, nil
	case string:
		return ParseJSONB(x, true)
	case []byte:
		return ParseJSONB(string(x), true)
	}
	return castJSONB(ctx, v, fromOID)
}

// jsonCastable reports whether an operand of type t can stand for a jsonb
// operand: a json/jsonb value, or an untyped string literal or NULL (read
// as jsonb input, as PostgreSQL resolves unknown).
func jsonCastable(e sql.Expression) bool {
	t := e.Type()
	return IsJSONType(t) || t == types.Null || isTextLiteral(e) || isBindVar(e)
}

func isBindVar(e sql.Expression) bool {
	_, ok := e.(*expression.BindVar)
	return ok
}

// JSONOp is one of PostgreSQL's jsonb operators: -> ->> #> #>> @> <@ ? ?|
// ?& || - #-.
type JSONOp struct {
	Op   string
	L, R sql.Expression
	// byIndex: the right operand of -> ->> - is an integer.
	byIndex bool
	// pathR: the right operand of - is a text[] (delete keys).
	pathR bool
}

var _ sql.Expression = (*JSONOp)(nil)

// InjectableJSONOp is the vitess Injectable form of JSONOp.
type InjectableJSONOp struct{ Op string }

// WithResolvedChildren implements sqlparser.Injectable.
func (j InjectableJSONOp) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 2 {
		return nil, fmt.Errorf("%s takes two operands", j.Op)
	}
	l, ok1 := children[0].(sql.Expression)
	r, ok2 := children[1].(sql.Expression)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s operands are not expressions", j.Op)
	}
	switch j.Op {
	case "||":
		// text || text unless an operand is json and the other one json
		// too or an untyped literal (jsonb || text is textcat, as in
		// PostgreSQL's anynonarray || text).
		if (!IsJSONType(l.Type()) && !IsJSONType(r.Type())) || !jsonCastable(l) || !jsonCastable(r) {
			return InjectableConcat{}.WithResolvedChildren(children) // arrays, else textcat
		}
	case "-":
		if !IsJSONType(l.Type()) {
			return InjectableArith{Op: "-"}.WithResolvedChildren(children)
		}
	case "@>", "<@":
		if isArrayType(l.Type()) || isArrayType(r.Type()) {
			return InjectableArrayFn{Name: j.Op}.WithResolvedChildren(children)
		}
	}
	return NewJSONOp(j.Op, l, r)
}

// IsJSONOperator reports whether op is only a json operator in OpenWit.
func IsJSONOperator(op string) bool {
	switch op {
	case "->", "->>", "#>", "#>>", "@>", "<@", "?", "?|", "?&", "#-":
		return true
	}
	return false
}

func isArrayType(t sql.Type) bool {
	_, ok := t.(pgtypes.ArrayType)
	return ok
}

// NewJSONOp checks the operand types like PostgreSQL's operator
// resolution (42883 when no jsonb operator matches).
func NewJSONOp(op string, l, r sql.Expression) (*JSONOp, error) {
	lt, rt := l.Type(), r.Type()
	out := &JSONOp{Op: op, L: l, R: r}
	textLike := func(e sql.Expression) bool {
		t := e.Type()
		return types.IsText(t) || t == types.Null || isBindVar(e)
	}
	pathLike := func(e sql.Expression) bool {
		t := e.Type()
		return isArrayType(t) || textLike(e)
	}
	ok := IsJSONType(lt) || ((op == "@>" || op == "<@" || op == "||") && jsonCastable(l) && IsJSONType(rt))
	if ok {
		switch op {
		case "->", "->>":
			out.byIndex = types.IsInteger(rt) && rt != types.Boolean
			ok = out.byIndex || textLike(r)
		case "-":
			out.byIndex = types.IsInteger(rt) && rt != types.Boolean
			out.pathR = isArrayType(rt)
			ok = out.byIndex || out.pathR || textLike(r)
		case "#>", "#>>", "?|", "?&", "#-":
			ok = pathLike(r)
		case "?":
			ok = textLike(r)
		case "@>", "<@", "||":
			ok = jsonCastable(r)
		default:
			ok = false
		}
	}
	if !ok {
		return nil, pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", operandTypeName(l), op, operandTypeName(r))
	}
	return out, nil
}

func operandTypeName(e sql.Expression) string {
	if e.Type() == types.Null || isTextLiteral(e) {
		return "unknown"
	}
	return TypeOfName(e.Type())
}

func (j *JSONOp) Resolved() bool             { return j.L.Resolved() && j.R.Resolved() }
func (j *JSONOp) String() string             { return fmt.Sprintf("(%s %s %s)", j.L, j.Op, j.R) }
func (j *JSONOp) IsNullable() bool           { return true }
func (j *JSONOp) Children() []sql.Expression { return []sql.Expression{j.L, j.R} }

// Type implements sql.Expression.
func (j *JSONOp) Type() sql.Type {
	switch j.Op {
	case "->>", "#>>":
		return types.LongText
	case "@>", "<@", "?", "?|", "?&":
		return types.Boolean
	}
	return types.JSON
}

// WithChildren implements sql.Expression.
func (j *JSONOp) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 2 {
		return nil, sql.ErrInvalidChildrenNumber.New(j, len(children), 2)
	}
	return NewJSONOp(j.Op, children[0], children[1])
}

// CollationCoercibility implements sql.CollationCoercible.
func (j *JSONOp) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval implements sql.Expression. Every operator is strict.
func (j *JSONOp) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	lv, err := j.L.Eval(ctx, row)
	if err != nil || lv == nil {
		return nil, err
	}
	rv, err := j.R.Eval(ctx, row)
	if err != nil || rv == nil {
		return nil, err
	}
	l, err := AsJSONB(lv)
	if err != nil {
		return nil, err
	}
	switch j.Op {
	case "->", "->>":
		var v any
		var ok bool
		if j.byIndex {
			i, err := asInt64(rv)
			if err != nil {
				return nil, err
			}
			v, ok = jsonIndex(l.V, i)
			if !isJSONContainer(l.V) && (i == 0 || i == -1) {
				// A scalar is a one-element array to -> (not to #>).
				v, ok = l.V, true
			}
		} else {
			v, ok = jsonKey(l.V, textArg(rv))
		}
		if !ok {
			return nil, nil
		}
		return jsonResult(v, j.Op == "->>"), nil
	case "#>", "#>>":
		path, err := arrayElemsOf(textArg(rv))
		if err != nil {
			return nil, err
		}
		v, ok := jsonPath(l.V, path)
		if !ok {
			return nil, nil
		}
		return jsonResult(v, j.Op == "#>>"), nil
	case "@>", "<@":
		r, err := AsJSONB(rv)
		if err != nil {
			return nil, err
		}
		if j.Op == "<@" {
			l, r = r, l
		}
		return JSONContains(l.V, r.V), nil
	case "?":
		return jsonHasKey(l.V, textArg(rv)), nil
	case "?|", "?&":
		keys, err := arrayElemsOf(textArg(rv))
		if err != nil {
			return nil, err
		}
		all := j.Op == "?&"
		for _, k := range keys {
			if k == nil {
				continue
			}
			if jsonHasKey(l.V, *k) != all {
				return !all, nil
			}
		}
		return all, nil
	case "||":
		r, err := AsJSONB(rv)
		if err != nil {
			return nil, err
		}
		return JSONB{V: JSONConcat(l.V, r.V)}, nil
	case "-":
		if j.byIndex {
			i, err := asInt64(rv)
			if err != nil {
				return nil, err
			}
			return jsonDeleteIndex(l.V, i)
		}
		if j.pathR {
			keys, err := arrayElemsOf(textArg(rv))
			if err != nil {
				return nil, err
			}
			v := l.V
			for _, k := range keys {
				if k == nil {
					continue
				}
				d, err := jsonDeleteKey(v, *k)
				if err != nil {
					return nil, err
				}
				v = d.(JSONB).V
			}
			return JSONB{V: v}, nil
		}
		return jsonDeleteKey(l.V, textArg(rv))
	case "#-":
		path, err := arrayElemsOf(textArg(rv))
		if err != nil {
			return nil, err
		}
		v, err := jsonDeletePath(l.V, path)
		if err != nil {
			return nil, err
		}
		return JSONB{V: v}, nil
	}
	return nil, fmt.Errorf("unknown json operator %s", j.Op)
}

// jsonResult is v as jsonb, or as text for ->> and #>> (a string
// unquoted, JSON null as SQL NULL).
func jsonResult(v any, asText bool) any {
	if !asText {
		return JSONB{V: v}
	}
	return JSONText(v)
}

// JSONText is v as ->> returns it: a string's contents, a JSON null as
// SQL NULL, anything else its jsonb text.
func JSONText(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return x
	}
	return string(AppendJSON(nil, v))
}

func jsonKey(v any, k string) (any, bool) {
	o, ok := v.(*JSONObject)
	if !ok {
		return nil, false
	}
	return o.Get(k)
}

func jsonIndex(v any, i int64) (any, bool) {
	a, ok := v.([]any)
	if !ok {
		return nil, false
	}
	if i < 0 {
		i += int64(len(a))
	}
	if i < 0 || i >= int64(len(a)) {
		return nil, false
	}
	return a[i], true
}

// jsonPath follows a #> path: keys in objects, integer subscripts in
// arrays; a NULL or unusable step gives no value.
func jsonPath(v any, path []*string) (any, bool) {
	for _, p := range path {
		if p == nil {
			return nil, false
		}
		switch x := v.(type) {
		case *JSONObject:
			var ok bool
			if v, ok = x.Get(*p); !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.ParseInt(strings.TrimLeft(*p, " \t\n\r\v\f"), 10, 32)
			if err != nil {
				return nil, false
			}
			var ok bool
			if v, ok = jsonIndex(x, i); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return v, true
}

func jsonHasKey(v any, k string) bool {
	switch x := v.(type) {
	case *JSONObject:
		_, ok := x.Get(k)
		return ok
	case []any:
		for _, e := range x {
			if s, ok := e.(string); ok && s == k {
				return true
			}
		}
	case string:
		return x == k
	}
	return false
}

func isJSONContainer(v any) bool {
	switch v.(type) {
	case []any, *JSONObject:
		return true
	}
	return false
}

// JSONContains is a @> b (jsonb containment).
func JSONContains(a, b any) bool {
	if arr, ok := a.([]any); ok && !isJSONContainer(b) {
		// A top-level array contains a primitive value it has.
		for _, e := range arr {
			if !isJSONContainer(e) && CompareJSON(e, b) == 0 {
				return true
			}
		}
		return false
	}
	return jsonContainsValue(a, b)
}

func jsonContainsValue(a, b any) bool {
	switch y := b.(type) {
	case *JSONObject:
		x, ok := a.(*JSONObject)
		if !ok {
			return false
		}
		for i, k := range y.Keys {
			lv, ok := x.Get(k)
			if !ok || !jsonContainsValue(lv, y.Vals[i]) {
				return false
			}
		}
		return true
	case []any:
		x, ok := a.([]any)
		if !ok {
			return false
		}
		for _, e := range y {
			found := false
			for _, le := range x {
				if jsonContainsValue(le, e) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
		return true
	}
	return !isJSONContainer(a) && CompareJSON(a, b) == 0
}

// JSONConcat is a || b: objects merge (b's keys win), anything else
// concatenates as arrays (a non-array operand is one element).
func JSONConcat(a, b any) any {
	xo, ok1 := a.(*JSONObject)
	yo, ok2 := b.(*JSONObject)
	if ok1 && ok2 {
		m := &JSONObject{Keys: append(append([]string{}, xo.Keys...), yo.Keys...), Vals: append(append([]any{}, xo.Vals...), yo.Vals...)}
		return m.normalize()
	}
	elems := func(v any) []any {
		if arr, ok := v.([]any); ok {
			return arr
		}
		return []any{v}
	}
	return append(append([]any{}, elems(a)...), elems(b)...)
}

func jsonDeleteKey(v any, k string) (any, error) {
	switch x := v.(type) {
	case *JSONObject:
		out := &JSONObject{}
		for i, key := range x.Keys {
			if key != k {
				out.Keys = append(out.Keys, key)
				out.Vals = append(out.Vals, x.Vals[i])
			}
		}
		return JSONB{V: out}, nil
	case []any:
		out := []any{}
		for _, e := range x {
			if s, ok := e.(string); ok && s == k {
				continue
			}
			out = append(out, e)
		}
		return JSONB{V: out}, nil
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot delete from scalar")
}

func jsonDeleteIndex(v any, i int64) (any, error) {
	switch x := v.(type) {
	case *JSONObject:
		return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot delete from object using integer index")
	case []any:
		if i < 0 {
			i += int64(len(x))
		}
		if i < 0 || i >= int64(len(x)) {
			return JSONB{V: x}, nil
		}
		return JSONB{V: append(append([]any{}, x[:i]...), x[i+1:]...)}, nil
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot delete from scalar")
}

// jsonDeletePath is v #- path.
func jsonDeletePath(v any, path []*string) (any, error) {
	if !isJSONContainer(v) {
		return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot delete path in scalar")
	}
	for i, p := range path {
		if p == nil {
			return nil, pgerror.New("22004", "path element at position %d is null", i+1)
		}
	}
	if len(path) == 0 {
		return v, nil
	}
	var del func(v any, level int) (any, error)
	del = func(v any, level int) (any, error) {
		p := *path[level]
		last := level == len(path)-1
		switch x := v.(type) {
		case *JSONObject:
			out := &JSONObject{Keys: x.Keys, Vals: append([]any{}, x.Vals...)}
			for i, k := range x.Keys {
				if k != p {
					continue
				}
				if last {
					out.Keys = append(append([]string{}, x.Keys[:i]...), x.Keys[i+1:]...)
					out.Vals = append(out.Vals[:i:i], out.Vals[i+1:]...)
					return out, nil
				}
				nv, err := del(x.Vals[i], level+1)
				if err != nil {
					return nil, err
				}
				out.Vals[i] = nv
				return out, nil
			}
			return x, nil
		case []any:
			n, err := jsonPathIndex(p, level, len(x))
			if err != nil {
				return nil, err
			}
			if n < 0 || n >= len(x) {
				return x, nil
			}
			if last {
				return append(append([]any{}, x[:n]...), x[n+1:]...), nil
			}
			nv, err := del(x[n], level+1)
			if err != nil {
				return nil, err
			}
			out := append([]any{}, x...)
			out[n] = nv
			return out, nil
		}
		return v, nil
	}
	return del(v, 0)
}

// CoerceJSONLiteral returns comparison c with an untyped string literal
// compared against a jsonb read as jsonb input, as PostgreSQL resolves the
// unknown literal; ok is false when c has no such pair.
func CoerceJSONLiteral(c expression.Comparer) (sql.Expression, bool) {
	return coerceUntypedLiteral(c, IsJSONType, "jsonb", types.JSON)
}

// jsonCoalesce reads the untyped literals of a COALESCE with a jsonb
// argument as jsonb, as PostgreSQL resolves unknown against jsonb; ok is
// false when no argument is jsonb or another one is typed otherwise.
func jsonCoalesce(e sql.Expression, args []sql.Expression) (sql.Expression, bool) {
	hasJSON := false
	for _, a := range args {
		switch {
		case IsJSONType(a.Type()):
			hasJSON = true
		case a.Type() == types.Null || isTextLiteral(a):
		default:
			return nil, false
		}
	}
	if !hasJSON {
		return nil, false
	}
	conv := make([]sql.Expression, len(args))
	for i, a := range args {
		conv[i] = a
		if isTextLiteral(a) {
			conv[i] = &Cast{Child: a, To: "jsonb", typ: types.JSON}
		}
	}
	ne, err := e.WithChildren(conv...)
	if err != nil {
		return nil, false
	}
	return ne, true
}

// castFromJSONB is jsonb → numeric types and boolean (PostgreSQL 15): a
// JSON number or boolean of the right kind, else 22023.
func castFromJSONB(ctx *sql.Context, j JSONB, to string) (any, error) {
	name := map[string]string{storage.TypeInt2: "smallint", storage.TypeInt4: "integer", storage.TypeInt8: "bigint",
		storage.TypeFloat4: "real", storage.TypeFloat8: "double precision", storage.TypeBool: "boolean"}[to]
	if strings.HasPrefix(to, "numeric") {
		name = "numeric"
	}
	switch x := j.V.(type) {
	case JSONNumber:
		if to != storage.TypeBool {
			return CastValue(ctx, x.D, types.MustCreateDecimalType(65, 30), to)
		}
	case bool:
		if to == storage.TypeBool {
			return x, nil
		}
	}
	return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot cast jsonb %s to type %s", jsonKindName(j.V), name)
}

func jsonKindName(v any) string {
	switch v.(type) {
	case *JSONObject:
		return "object"
	case []any:
		return "array"
	case nil:
		return "null"
	case JSONNumber:
		return "numeric"
	}
	return JSONTypeOf(v)
}

func jsonScalarCast(to string) bool {
	switch to {
	case storage.TypeInt2, storage.TypeInt4, storage.TypeInt8, storage.TypeFloat4, storage.TypeFloat8, storage.TypeBool:
		return true
	}
	return strings.HasPrefix(to, "numeric")
}

// jsonExtremumArgs reads, in place, the untyped literals of
// greatest/least with a jsonb argument as jsonb.
func jsonExtremumArgs(a []any, ts []sql.Type) error {
	if !slices.ContainsFunc(ts, IsJSONType) {
		return nil
	}
	for i, v := range a {
		if s, ok := v.(string); ok {
			j, err := ParseJSONB(s, false)
			if err != nil {
				return err
			}
			a[i] = j
		}
	}
	return nil
}

// jsonSubscript is x[i] for a jsonb x: -> with a text or integer
// subscript; other subscript types are 42804 as in PostgreSQL.
func jsonSubscript(x, i sql.Expression) (sql.Expression, error) {
	t := i.Type()
	if !(types.IsText(t) || t == types.Null || isBindVar(i) || (types.IsInteger(t) && t != types.Boolean)) {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "subscript type %s is not supported", TypeOfName(t))
	}
	return NewJSONOp("->", x, i)
}
