package pgexpr

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// arrayFnRoles gives, for each array function and operator here, the role
// of each argument: 'A' an array, 'E' an element (the array's element type
// and the elements' types are unified as PostgreSQL's anycompatible
// does: integers widen to numeric and floats, an unknown literal takes the
// common type), 'I' an integer, 'D' an integer array (array_fill's
// dimensions). Roles after '?' are optional. `||` picks its roles from the
// operand types when it is resolved.
var arrayFnRoles = map[string]string{
	"array_position":  "AE?I",
	"array_positions": "AE",
	"array_remove":    "AE",
	"array_replace":   "AEE",
	"array_fill":      "ED?D",
	"array_cat":       "AA",
	"array_append":    "AE",
	"array_prepend":   "EA",
	"array_dims":      "A",
	"trim_array":      "AI",
	"@>":              "AA",
	"<@":              "AA",
	"&&":              "AA",
}

// IsArrayFunc reports whether name is an array function implemented by
// ArrayFn.
func IsArrayFunc(name string) bool {
	_, ok := arrayFnRoles[name]
	return ok && !strings.ContainsAny(name, "@<&|")
}

// maxArrayElems is PostgreSQL's MaxArraySize.
const maxArrayElems = 134217727

// argument kinds of an ArrayFn, fixed when it is resolved.
const (
	akArray     = iota // a typed array
	akArrayText        // an unknown literal or parameter read as array input
	akElem             // a typed element
	akElemText         // an unknown literal read as element input
	akNull             // an untyped NULL
	akInt              // an integer
	akDims             // an integer array
)

// ArrayFn is one of PostgreSQL's functions or operators over one-
// dimensional arrays (arrayFnRoles). Arrays are their text form, as
// everywhere here; a multidimensional array literal is 0A000.
type ArrayFn struct {
	Name  string
	Args  []sql.Expression
	kinds []int
	elem  uint32 // the unified element type (OID)
	op    bool   // an operator (error messages)
}

var _ sql.Expression = (*ArrayFn)(nil)

// InjectableArrayFn is the vitess Injectable form of an array function
// call or operator (Name is the function name or the operator).
type InjectableArrayFn struct{ Name string }

// WithResolvedChildren implements sqlparser.Injectable.
func (f InjectableArrayFn) WithResolvedChildren(children []any) (any, error) {
	args, err := exprArgs(f.Name, children)
	if err != nil {
		return nil, err
	}
	return NewArrayFn(f.Name, args)
}

// InjectableConcat is `||`: array concatenation (array_cat, array_append
// or array_prepend) when an operand is an array, else textcat.
type InjectableConcat struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableConcat) WithResolvedChildren(children []any) (any, error) {
	args, err := exprArgs("||", children)
	if err != nil {
		return nil, err
	}
	if len(args) == 2 && (isArrayType(args[0].Type()) || isArrayType(args[1].Type())) {
		return NewArrayFn("||", args)
	}
	return NewFunc("textcat", args)
}

func exprArgs(name string, children []any) ([]sql.Expression, error) {
	args := make([]sql.Expression, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d is not an expression", name, i+1)
		}
		args[i] = e
	}
	return args, nil
}

// isUntyped reports an argument without a type of its own: NULL, a string
// literal or a parameter.
func isUntyped(e sql.Expression) bool {
	return e.Type() == types.Null || IsUnknownLiteral(e) || isParam(e)
}

// NewArrayFn resolves the argument types like PostgreSQL (42883 when no
// function or operator matches).
func NewArrayFn(name string, args []sql.Expression) (*ArrayFn, error) {
	f := &ArrayFn{Name: name, Args: args, op: strings.ContainsAny(name, "@<&|")}
	roles := arrayFnRoles[name]
	if name == "||" {
		switch l, r := args[0], args[1]; {
		case isArrayType(l.Type()) && !isArrayType(r.Type()) && !isUntyped(r):
			roles = "AE"
		case isArrayType(r.Type()) && !isArrayType(l.Type()) && !isUntyped(l):
			roles = "EA"
		default:
			roles = "AA"
		}
	}
	required, optional, _ := strings.Cut(roles, "?")
	if len(args) < len(required) || len(args) > len(required)+len(optional) {
		return nil, f.noMatch()
	}
	roles = required + optional
	f.kinds = make([]int, len(args))
	var elem uint32
	unify := func(oid uint32) bool {
		switch {
		case elem == 0 || elem == oid:
			elem = oid
		case oidRank(elem) > 0 && oidRank(oid) > 0:
			if f.op && name != "||" {
				return false // anyarray operators want one type
			}
			if oidRank(oid) > oidRank(elem) {
				elem = oid
			}
		case stringElems(elem, oid) && !(f.op && name != "||"): // array_funcs_catmisc.go
			// The first of two string types that cast into each other.
		default:
			return false
		}
		return true
	}
	for i, a := range args {
		t := a.Type()
		switch roles[i] {
		case 'A':
			switch {
			case isArrayType(t):
				f.kinds[i] = akArray
				if !unify(t.(pgtypes.ArrayType).Elem) {
					return nil, f.noMatch()
				}
			case t == types.Null:
				f.kinds[i] = akNull
			case IsUnknownLiteral(a) || isParam(a):
				f.kinds[i] = akArrayText
			default:
				return nil, f.noMatch()
			}
		case 'E':
			switch {
			case t == types.Null:
				f.kinds[i] = akNull
			case IsUnknownLiteral(a) || isParam(a):
				f.kinds[i] = akElemText
			case isArrayType(t):
				return nil, f.noMatch()
			default:
				f.kinds[i] = akElem
				oid := elemOID(t)
				if pgtypes.ArrayOID(oid) == 0 || !unify(oid) {
					return nil, f.noMatch()
				}
			}
		case 'I':
			f.kinds[i] = akInt
			if t != types.Null && !isParam(a) && !(types.IsInteger(t) && t != types.Boolean) && !IsUnknownLiteral(a) {
				return nil, f.noMatch()
			}
		case 'D':
			f.kinds[i] = akDims
			if at, ok := t.(pgtypes.ArrayType); ok {
				if at.Elem != pgtypes.OIDInt4 && at.Elem != pgtypes.OIDInt2 {
					return nil, f.noMatch()
				}
			} else if t != types.Null && !IsUnknownLiteral(a) && !isParam(a) {
				return nil, f.noMatch()
			}
		}
	}
	if name == "array_fill" && (f.kinds[0] == akElemText || f.kinds[0] == akNull) {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "could not determine polymorphic type because input has type unknown")
	}
	if elem == 0 {
		elem = pgtypes.OIDText
	}
	f.elem = elem
	return f, nil
}

// elemOID is the OID of an element of engine type t.
func elemOID(t sql.Type) uint32 {
	if types.IsText(t) && !isArrayType(t) {
		if oid, _ := pgtypes.OID(t); oid == pgtypes.OIDVarchar || oid == pgtypes.OIDBPChar {
			return oid
		}
		return pgtypes.OIDText
	}
	oid, _ := pgtypes.OID(t)
	return oid
}

// oidRank orders the numeric element types as numberRank does; 0 for
// others.
func oidRank(oid uint32) int { return pgtypes.NumericRank(oid) }

func (f *ArrayFn) noMatch() error {
	names := make([]string, len(f.Args))
	for i, a := range f.Args {
		names[i] = TypeOfName(a.Type())
		if IsUnknownLiteral(a) {
			names[i] = "unknown"
		}
	}
	if f.op {
		return pgerror.New(pgerror.UndefinedFunction, "operator does not exist: %s %s %s", names[0], f.Name, names[len(names)-1])
	}
	return pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", f.Name, strings.Join(names, ", "))
}

func (f *ArrayFn) Resolved() bool {
	for _, a := range f.Args {
		if !a.Resolved() {
			return false
		}
	}
	return true
}

func (f *ArrayFn) String() string {
	parts := make([]string, len(f.Args))
	for i, a := range f.Args {
		parts[i] = a.String()
	}
	if f.op {
		return "(" + strings.Join(parts, " "+f.Name+" ") + ")"
	}
	return f.Name + "(" + strings.Join(parts, ", ") + ")"
}

// Type implements sql.Expression.
func (f *ArrayFn) Type() sql.Type {
	switch f.Name {
	case "array_position":
		return types.Int32
	case "array_positions":
		return pgtypes.ArrayType{Elem: pgtypes.OIDInt4}
	case "array_dims":
		return types.LongText
	case "@>", "<@", "&&":
		return types.Boolean
	}
	return pgtypes.ArrayType{Elem: f.elem}
}

// ParamOID is the type PostgreSQL infers for a parameter given as
// argument i: the array type or its element type, integer for counts and
// positions, integer[] for array_fill's dimensions.
func (f *ArrayFn) ParamOID(i int) uint32 {
	roles := arrayFnRoles[f.Name]
	if f.Name == "||" {
		switch {
		case f.kinds[0] == akElem:
			roles = "EA"
		case f.kinds[1] == akElem:
			roles = "AE"
		}
	}
	roles = strings.Replace(roles, "?", "", 1)
	if i >= len(roles) {
		return 0
	}
	switch roles[i] {
	case 'A':
		return pgtypes.ArrayOID(f.elem)
	case 'E':
		return f.elem
	case 'I':
		return pgtypes.OIDInt4
	case 'D':
		return pgtypes.ArrayOID(pgtypes.OIDInt4)
	}
	return 0
}

func (f *ArrayFn) IsNullable() bool           { return true }
func (f *ArrayFn) Children() []sql.Expression { return f.Args }

// WithChildren implements sql.Expression.
func (f *ArrayFn) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(f.Args) {
		return nil, sql.ErrInvalidChildrenNumber.New(f, len(children), len(f.Args))
	}
	out := *f
	out.Args = children
	return &out, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (f *ArrayFn) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// array is an evaluated array argument: its elements in the unified
// element type's text form (nil: NULL), null when the array is NULL.
type array struct {
	elems []*string
	null  bool
}

// arrayArgAt evaluates argument i as an array of the unified type.
func (f *ArrayFn) arrayArgAt(ctx *sql.Context, v any, i int) (array, error) {
	if v == nil || f.kinds[i] == akNull {
		return array{null: true}, nil
	}
	s, ok := v.(string)
	if b, isBytes := v.([]byte); isBytes {
		s, ok = string(b), true
	}
	if !ok {
		return array{}, fmt.Errorf("%s: not an array: %T", f.Name, v)
	}
	elems, ok := pgtypes.ParseArray(s)
	if !ok {
		if b := strings.TrimLeft(s, " \t\n\r\v\f"); strings.HasPrefix(b, "{") && strings.HasPrefix(strings.TrimLeft(b[1:], " \t\n\r\v\f"), "{") {
			return array{}, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
		}
		return array{}, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: \"%s\"", s)
	}
	from := f.elem
	if f.kinds[i] == akArray {
		from = f.Args[i].Type().(pgtypes.ArrayType).Elem
	}
	for j, e := range elems {
		if e == nil {
			continue
		}
		var err error
		if f.kinds[i] == akArrayText {
			elems[j], err = f.elemInput(ctx, *e)
		} else {
			elems[j], err = convertElemText(*e, from, f.elem)
		}
		if err != nil {
			return array{}, err
		}
	}
	return array{elems: elems}, nil
}

// elemInput reads s as input of the unified element type (22P02 when it is
// not one) and returns its text form.
func (f *ArrayFn) elemInput(ctx *sql.Context, s string) (*string, error) {
	if f.elem == pgtypes.OIDText || f.elem == pgtypes.OIDVarchar || f.elem == pgtypes.OIDBPChar {
		return &s, nil
	}
	var v any
	var err error
	if f.elem == pgtypes.OIDNumeric {
		v, err = castDecimal(s)
	} else {
		v, err = CastValue(ctx, s, types.LongText, pgtypes.CastName(f.elem))
	}
	if err != nil {
		return nil, err
	}
	return f.elemText(ctx, v)
}

// elemText is the element text form of a value of the unified type.
func (f *ArrayFn) elemText(ctx *sql.Context, v any) (*string, error) {
	s, err := TextOf(ctx, v, f.elem)
	if err != nil {
		return nil, err
	}
	if f.elem == pgtypes.OIDBool {
		s = s[:1]
	}
	return &s, nil
}

// convertElemText converts an element's text form from one element type to
// another it widens to (integers to numeric print the same; to floats
// they print as floats).
func convertElemText(s string, from, to uint32) (*string, error) {
	if from == to || (to != pgtypes.OIDFloat8 && to != pgtypes.OIDFloat4) {
		return &s, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type %s: \"%s\"", pgtypes.TypeName(to), s)
	}
	bits := 64
	if to == pgtypes.OIDFloat4 {
		bits = 32
	}
	out := FormatFloat(x, bits)
	return &out, nil
}

// elemArgAt converts argument i, an element, to the unified type's text
// form (nil: NULL).
func (f *ArrayFn) elemArgAt(ctx *sql.Context, v any, i int) (*string, error) {
	if v == nil {
		return nil, nil
	}
	if b, ok := v.([]byte); ok && f.elem != pgtypes.OIDBytea {
		v = string(b)
	}
	if f.kinds[i] == akElemText {
		return f.elemInput(ctx, textArg(v))
	}
	from := elemOID(f.Args[i].Type())
	if from != f.elem {
		var err error
		switch f.elem {
		case pgtypes.OIDNumeric:
			v, err = castDecimal(v)
		case pgtypes.OIDFloat4, pgtypes.OIDFloat8:
			v, err = CastValue(ctx, v, f.Args[i].Type(), pgtypes.CastName(f.elem))
		}
		if err != nil {
			return nil, err
		}
	}
	return f.elemText(ctx, v)
}

// elemKey is a value that compares equal for equal elements of the
// unified type: numbers by value (1.0 = 1), others by their text form.
func (f *ArrayFn) elemKey(s string) any {
	switch f.elem {
	case pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDNumeric:
		if d, err := decimal.NewFromString(s); err == nil {
			return d.String()
		}
	case pgtypes.OIDFloat4, pgtypes.OIDFloat8:
		if x, err := strconv.ParseFloat(s, 64); err == nil {
			if x != x {
				return "NaN" // NaN = NaN in PostgreSQL; NaN is no map key
			}
			if x == 0 {
				x = 0 // -0 = 0
			}
			return x
		}
	case pgtypes.OIDBPChar:
		return strings.TrimRight(s, " ")
	}
	return s
}

// same reports whether two elements are not distinct (NULL matches NULL).
func (f *ArrayFn) same(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return f.elemKey(*a) == f.elemKey(*b)
}

// Eval implements sql.Expression.
func (f *ArrayFn) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	vals := make([]any, len(f.Args))
	for i, a := range f.Args {
		v, err := a.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	arr := func(i int) (array, error) { return f.arrayArgAt(ctx, vals[i], i) }
	elem := func(i int) (*string, error) { return f.elemArgAt(ctx, vals[i], i) }
	out := func(elems []*string) (any, error) {
		if len(elems) > maxArrayElems {
			return nil, pgerror.New(pgerror.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", maxArrayElems)
		}
		return pgtypes.FormatArrayText(elems), nil
	}
	name := f.Name
	if name == "||" {
		switch {
		case f.kinds[0] == akElem:
			name = "array_prepend"
		case f.kinds[1] == akElem:
			name = "array_append"
		default:
			name = "array_cat"
		}
	}
	switch name {
	case "array_cat":
		a, err := arr(0)
		if err != nil {
			return nil, err
		}
		b, err := arr(1)
		if err != nil {
			return nil, err
		}
		if a.null && b.null {
			return nil, nil
		}
		return out(append(append([]*string{}, a.elems...), b.elems...))
	case "array_append", "array_prepend":
		ai, ei := 0, 1
		if name == "array_prepend" {
			ai, ei = 1, 0
		}
		a, err := arr(ai)
		if err != nil {
			return nil, err
		}
		e, err := elem(ei)
		if err != nil {
			return nil, err
		}
		if name == "array_prepend" {
			return out(append([]*string{e}, a.elems...))
		}
		return out(append(append([]*string{}, a.elems...), e))
	case "@>", "<@", "&&":
		a, err := arr(0)
		if err != nil {
			return nil, err
		}
		b, err := arr(1)
		if err != nil {
			return nil, err
		}
		if a.null || b.null {
			return nil, nil
		}
		if name == "<@" {
			a, b = b, a
		}
		return f.contains(a.elems, b.elems, name == "&&"), nil
	case "array_fill":
		return f.fill(ctx, vals)
	}
	// The rest are strict in the array.
	a, err := arr(0)
	if err != nil || a.null {
		return nil, err
	}
	switch name {
	case "array_dims":
		if len(a.elems) == 0 {
			return nil, nil
		}
		return fmt.Sprintf("[1:%d]", len(a.elems)), nil
	case "trim_array":
		if vals[1] == nil {
			return nil, nil
		}
		n, err := f.intArg(ctx, vals[1], 1)
		if err != nil {
			return nil, err
		}
		if n < 0 || n > int64(len(a.elems)) {
			return nil, pgerror.New("2202E", "number of elements to trim must be between 0 and %d", len(a.elems))
		}
		return out(a.elems[:int64(len(a.elems))-n])
	}
	e, err := elem(1)
	if err != nil {
		return nil, err
	}
	switch name {
	case "array_position":
		start := int64(1)
		if len(vals) > 2 {
			if vals[2] == nil {
				return nil, pgerror.New(pgerror.NullValueNotAllowed, "initial position must not be null")
			}
			if start, err = f.intArg(ctx, vals[2], 2); err != nil {
				return nil, err
			}
		}
		for i := max(start, 1) - 1; i < int64(len(a.elems)); i++ {
			if f.same(a.elems[i], e) {
				return int32(i + 1), nil
			}
		}
		return nil, nil
	case "array_positions":
		var pos []*string
		for i, x := range a.elems {
			if f.same(x, e) {
				s := strconv.Itoa(i + 1)
				pos = append(pos, &s)
			}
		}
		return pgtypes.FormatArrayText(pos), nil
	case "array_remove":
		kept := make([]*string, 0, len(a.elems))
		for _, x := range a.elems {
			if !f.same(x, e) {
				kept = append(kept, x)
			}
		}
		return out(kept)
	case "array_replace":
		to, err := elem(2)
		if err != nil {
			return nil, err
		}
		repl := make([]*string, len(a.elems))
		for i, x := range a.elems {
			repl[i] = x
			if f.same(x, e) {
				repl[i] = to
			}
		}
		return out(repl)
	}
	return nil, fmt.Errorf("unknown array function %s", f.Name)
}

// contains reports whether every element of b is equal to some element of
// a (overlap: whether some element is); NULL elements match nothing.
func (f *ArrayFn) contains(a, b []*string, overlap bool) bool {
	keys := make(map[any]bool, len(a))
	for _, x := range a {
		if x != nil {
			keys[f.elemKey(*x)] = true
		}
	}
	for _, y := range b {
		found := y != nil && keys[f.elemKey(*y)]
		if overlap && found {
			return true
		}
		if !overlap && !found {
			return false
		}
	}
	return !overlap
}

func (f *ArrayFn) intArg(ctx *sql.Context, v any, i int) (int64, error) {
	if IsUnknownLiteral(f.Args[i]) {
		c, err := CastValue(ctx, v, types.LongText, "int4")
		if err != nil {
			return 0, err
		}
		v = c
	}
	return asInt64(v)
}

// dims reads array_fill's dimension or lower bound array.
func (f *ArrayFn) dims(ctx *sql.Context, v any, i int) ([]int64, error) {
	if v == nil {
		return nil, pgerror.New(pgerror.NullValueNotAllowed, "dimension array or low bound array cannot be null")
	}
	s := textArg(v)
	elems, ok := pgtypes.ParseArray(s)
	if !ok {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "malformed array literal: \"%s\"", s)
	}
	out := make([]int64, len(elems))
	for j, e := range elems {
		if e == nil {
			return nil, pgerror.New(pgerror.NullValueNotAllowed, "dimension values cannot be null")
		}
		n, err := CastValue(ctx, *e, types.LongText, "int4")
		if err != nil {
			return nil, err
		}
		out[j], _ = asInt64(n)
	}
	return out, nil
}

// fill is array_fill(value, dims [, lower bounds]) for one dimension with
// lower bound 1.
func (f *ArrayFn) fill(ctx *sql.Context, vals []any) (any, error) {
	dims, err := f.dims(ctx, vals[1], 1)
	if err != nil {
		return nil, err
	}
	lbs := []int64{1}
	if len(vals) > 2 {
		if lbs, err = f.dims(ctx, vals[2], 2); err != nil {
			return nil, err
		}
		if len(lbs) != len(dims) {
			return nil, pgerror.New("2202E", "wrong number of array subscripts")
		}
	}
	switch {
	case len(dims) == 0:
		return "{}", nil
	case len(dims) > 1:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "multidimensional arrays are not supported")
	case dims[0] < 0 || dims[0] > maxArrayElems:
		return nil, pgerror.New(pgerror.ProgramLimitExceeded, "array size exceeds the maximum allowed (%d)", maxArrayElems)
	case dims[0] == 0:
		return "{}", nil
	case lbs[0] != 1:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "arrays with a lower bound other than 1 are not supported")
	}
	e, err := f.elemArgAt(ctx, vals[0], 0)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	one := pgtypes.FormatArrayText([]*string{e})
	one = one[1 : len(one)-1]
	b.Grow(int(dims[0]) * (len(one) + 1))
	b.WriteByte('{')
	for i := int64(0); i < dims[0]; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	b.WriteByte('}')
	return b.String(), nil
}
