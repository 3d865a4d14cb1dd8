package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
	"openwit/storage"
)

// BPCharTrim is a bpchar value without its trailing blanks, typed text:
// PostgreSQL's conversion of char(n) to text, and the form in which two
// bpchar values compare (bpchareq ignores trailing blanks). The planner
// wraps the operands of comparisons with a bpchar side in it.
type BPCharTrim struct{ Child sql.Expression }

var _ sql.Expression = (*BPCharTrim)(nil)

// NewBPCharTrim wraps e; a string literal is trimmed at once.
func NewBPCharTrim(e sql.Expression) sql.Expression {
	if l, ok := e.(*expression.Literal); ok && (IsUnknownLiteral(e) || pgtypes.IsTypedText(l.Type())) {
		if s, ok := l.Value().(string); ok {
			return expression.NewLiteral(strings.TrimRight(s, " "), l.Type())
		}
	}
	return &BPCharTrim{Child: e}
}

// Type implements sql.Expression.
func (b *BPCharTrim) Type() sql.Type { return types.LongText }

// IsNullable implements sql.Expression.
func (b *BPCharTrim) IsNullable() bool { return b.Child.IsNullable() }

// Resolved implements sql.Expression.
func (b *BPCharTrim) Resolved() bool { return b.Child.Resolved() }

// Children implements sql.Expression.
func (b *BPCharTrim) Children() []sql.Expression { return []sql.Expression{b.Child} }

// String implements sql.Expression.
func (b *BPCharTrim) String() string { return "rtrim(" + b.Child.String() + ")" }

// WithChildren implements sql.Expression.
func (b *BPCharTrim) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(b, len(children), 1)
	}
	return &BPCharTrim{Child: children[0]}, nil
}

// Eval implements sql.Expression.
func (b *BPCharTrim) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := b.Child.Eval(ctx, row)
	if err != nil || v == nil {
		return v, err
	}
	switch s := v.(type) {
	case string:
		return strings.TrimRight(s, " "), nil
	case []byte:
		return strings.TrimRight(string(s), " "), nil
	}
	return v, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (b *BPCharTrim) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// TextAs reports a string child's values (unchanged) under another string
// type: max(varchar) is text and max(char(4)) bpchar, as PostgreSQL has
// no varchar variant of max and min and its bpchar one loses the length.
// The vectorizer compiles it as its child.
type TextAs struct {
	Child sql.Expression
	To    sql.Type
}

var _ sql.Expression = (*TextAs)(nil)

// Type implements sql.Expression.
func (a *TextAs) Type() sql.Type { return a.To }

// IsNullable implements sql.Expression.
func (a *TextAs) IsNullable() bool { return a.Child.IsNullable() }

// Resolved implements sql.Expression.
func (a *TextAs) Resolved() bool { return a.Child.Resolved() }

// Children implements sql.Expression.
func (a *TextAs) Children() []sql.Expression { return []sql.Expression{a.Child} }

// String implements sql.Expression.
func (a *TextAs) String() string { return a.Child.String() }

// WithChildren implements sql.Expression.
func (a *TextAs) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &TextAs{Child: children[0], To: a.To}, nil
}

// Eval implements sql.Expression.
func (a *TextAs) Eval(ctx *sql.Context, row sql.Row) (any, error) { return a.Child.Eval(ctx, row) }

// CollationCoercibility implements sql.CollationCoercible.
func (a *TextAs) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 2
}

// InjectableMinMaxArg types the argument of min and max as PostgreSQL
// resolves those aggregates: varchar as text, char(n) as bpchar.
type InjectableMinMaxArg struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableMinMaxArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("min/max: argument is not an expression")
	}
	switch t := e.Type(); {
	case pgtypes.Varchar(t):
		return &TextAs{Child: e, To: types.LongText}, nil
	default:
		if n, ok := pgtypes.BPChar(t); ok && n > 0 {
			return &TextAs{Child: e, To: pgtypes.CharType(storage.TypeBPChar)}, nil
		}
	}
	return e, nil
}

// CharCommonType is PostgreSQL's select_common_type (and
// select_common_typmod) over inputs of the string category, in the order
// PostgreSQL considers them (CASE: ELSE first): text, varchar and bpchar
// convert implicitly into each other, so the first typed input's type
// wins, and its length stays only when every input has exactly that type
// (an unknown literal or NULL has none); text is PostgreSQL's preferred
// string type, so a first text input makes the result text. ok is false
// unless some input is a character type and every typed input a string
// type.
func CharCommonType(inputs []sql.Expression) (t sql.Type, ok bool) {
	var first sql.Type
	same, chars := true, false
	for _, e := range inputs {
		if e == nil || IsUnknownLiteral(e) || e.Type() == types.Null {
			same = false
			continue
		}
		et := e.Type()
		if !types.IsText(et) {
			return nil, false
		}
		if _, isChar := pgtypes.CharTypeOf(et); isChar {
			chars = true
		}
		if first == nil {
			first = et
			continue
		}
		if !et.Equals(first) {
			same = false
		}
	}
	if first == nil || !chars {
		return nil, false
	}
	if _, isChar := pgtypes.CharTypeOf(first); !isChar {
		return types.LongText, true
	}
	if same {
		return first, true
	}
	if _, ok := pgtypes.BPChar(first); ok {
		return pgtypes.CharType(storage.TypeBPChar), true
	}
	return pgtypes.CharType(storage.TypeVarchar), true
}

// toCommonChar converts the inputs of a construct whose result type is t
// (CharCommonType): a bpchar input loses its trailing blanks unless t is
// bpchar too; other values are the same in every character type.
func toCommonChar(t sql.Type, e sql.Expression) sql.Expression {
	if e == nil {
		return nil
	}
	if _, ok := pgtypes.BPChar(t); ok {
		return e
	}
	if _, ok := pgtypes.BPChar(e.Type()); ok {
		return NewBPCharTrim(e)
	}
	return e
}

// charCase types a CASE whose results are character values as
// PostgreSQL does (go-mysql-server makes them text); nil when it is not
// such a CASE.
func charCase(ce *expression.Case) sql.Expression {
	inputs := []sql.Expression{ce.Else}
	for _, b := range ce.Branches {
		inputs = append(inputs, b.Value)
	}
	t, ok := CharCommonType(inputs)
	if !ok {
		return nil
	}
	branches := make([]expression.CaseBranch, len(ce.Branches))
	for i, b := range ce.Branches {
		branches[i] = expression.CaseBranch{Cond: b.Cond, Value: toCommonChar(t, b.Value)}
	}
	return &TextAs{Child: expression.NewCase(ce.Expr, branches, toCommonChar(t, ce.Else)), To: t}
}

// InjectableCharResult types COALESCE (Func "coalesce") and NULLIF
// ("nullif") over character values as PostgreSQL does: COALESCE by
// CharCommonType; NULLIF has its first argument's type, which is text
// for varchar (PostgreSQL compares varchar with text's =) and for a
// bpchar compared with text.
type InjectableCharResult struct{ Func string }

// WithResolvedChildren implements sqlparser.Injectable.
func (c InjectableCharResult) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("%s: not an expression", c.Func)
	}
	args := e.Children()
	switch c.Func {
	case "coalesce":
		if je, ok := jsonCoalesce(e, args); ok {
			return je, nil
		}
		if ue, ok, err := coalesceUnknown(e, args); ok || err != nil { // coalesce_catmisc.go
			return ue, err
		}
		t, ok := CharCommonType(args)
		if !ok {
			return e, nil
		}
		conv := make([]sql.Expression, len(args))
		for i, a := range args {
			conv[i] = toCommonChar(t, a)
		}
		ne, err := e.WithChildren(conv...)
		if err != nil {
			return nil, err
		}
		return &TextAs{Child: ne, To: t}, nil
	case "nullif":
		if len(args) != 2 {
			return e, nil
		}
		l, r := args[0].Type(), args[1].Type()
		if !types.IsText(r) && r != types.Null {
			return e, nil
		}
		_, lbp := pgtypes.BPChar(l)
		_, rchar := pgtypes.CharTypeOf(r)
		switch {
		case pgtypes.Varchar(l):
			return &TextAs{Child: e, To: types.LongText}, nil
		case lbp && (rchar || IsUnknownLiteral(args[1])):
			// bpchar's =, which ignores the blanks (the planner
			// rewrites the comparison), returning the padded value.
			null := expression.NewLiteral(nil, types.Null)
			ce := expression.NewCase(nil, []expression.CaseBranch{{Cond: expression.NewEquals(args[0], args[1]), Value: null}}, args[0])
			return &TextAs{Child: ce, To: l}, nil
		case lbp:
			ne, err := e.WithChildren(NewBPCharTrim(args[0]), args[1])
			if err != nil {
				return nil, err
			}
			return &TextAs{Child: ne, To: types.LongText}, nil
		}
	}
	return e, nil
}

// InjectableLikeArg types a char(n) operand of LIKE as text without
// dropping its blanks: PostgreSQL's LIKE on bpchar matches the padded
// value, also where go-mysql-server turns a LIKE into a comparison.
type InjectableLikeArg struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableLikeArg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("like: operand is not an expression")
	}
	if _, ok := pgtypes.BPChar(e.Type()); ok {
		return &TextAs{Child: e, To: types.LongText}, nil
	}
	return e, nil
}
