package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
)

// json_agg(x), jsonb_agg(x), json_object_agg(k, v) and jsonb_object_agg(k,
// v) are, like array_agg, go-mysql-server's group_concat over one string
// per row (JSONAggElem: the value's json text, a key and value pair for
// the object forms), joined by JSONAggSep, which no JSON text contains
// (control characters are escaped inside strings and are not whitespace
// outside them). JSONAgg splits the concatenation and builds the result.
// group_concat brings ORDER BY, DISTINCT and FILTER (a CASE around the
// element yields SQL NULL, which group_concat skips; a NULL value is the
// element "null"); no rows give NULL, as in PostgreSQL.

// JSONAggSep separates the elements of the group_concat.
const JSONAggSep = "\x01"

// jsonAggKeySep separates a key from its value in an object element.
const jsonAggKeySep = "\x02"

// JSONAggInfo carries the argument type from the element to the result.
type JSONAggInfo struct {
	structured bool
	// Composite says the value is a whole row (json_agg(t)), which json_agg
	// separates like arrays.
	Composite bool
}

// InjectableJSONAggElem renders one row's element. Children: x, or k and v.
type InjectableJSONAggElem struct{ Info *JSONAggInfo }

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableJSONAggElem) WithResolvedChildren(children []any) (any, error) {
	args := make([]sql.Expression, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("json aggregate: argument is not an expression")
		}
		args[i] = e
	}
	a.Info.structured = a.Info.Composite || isArrayType(args[len(args)-1].Type())
	return &jsonAggElem{args: args}, nil
}

type jsonAggElem struct{ args []sql.Expression }

func (a *jsonAggElem) Resolved() bool {
	for _, e := range a.args {
		if !e.Resolved() {
			return false
		}
	}
	return true
}
func (a *jsonAggElem) String() string             { return fmt.Sprintf("json_agg_elem(%v)", a.args) }
func (a *jsonAggElem) Type() sql.Type             { return types.LongText }
func (a *jsonAggElem) IsNullable() bool           { return false }
func (a *jsonAggElem) Children() []sql.Expression { return a.args }

func (a *jsonAggElem) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(a.args) {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), len(a.args))
	}
	return &jsonAggElem{args: children}, nil
}

func (a *jsonAggElem) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	var b strings.Builder
	if len(a.args) == 2 {
		k, err := a.args[0].Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "field name must not be null")
		}
		key, err := jsonKeyText(ctx, k, a.args[0].Type())
		if err != nil {
			return nil, err
		}
		b.WriteString(key)
		b.WriteString(jsonAggKeySep)
	}
	e := a.args[len(a.args)-1]
	v, err := e.Eval(ctx, row)
	if err != nil {
		return nil, err
	}
	_, text, err := SQLToJSON(ctx, v, e.Type())
	if err != nil {
		return nil, err
	}
	b.WriteString(text)
	return b.String(), nil
}

// InjectableJSONAgg builds the aggregate's result from the group_concat.
type InjectableJSONAgg struct {
	Info *JSONAggInfo
	Name string // json_agg, jsonb_agg, json_object_agg, jsonb_object_agg
}

// WithResolvedChildren implements sqlparser.Injectable.
func (a InjectableJSONAgg) WithResolvedChildren(children []any) (any, error) {
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("%s: argument is not an expression", a.Name)
	}
	return &jsonAgg{agg: e, name: a.Name, structured: a.Info.structured}, nil
}

type jsonAgg struct {
	agg        sql.Expression
	name       string
	structured bool
}

func (a *jsonAgg) Resolved() bool             { return a.agg.Resolved() }
func (a *jsonAgg) String() string             { return fmt.Sprintf("%s(%s)", a.name, a.agg) }
func (a *jsonAgg) Type() sql.Type             { return types.JSON }
func (a *jsonAgg) IsNullable() bool           { return true }
func (a *jsonAgg) Children() []sql.Expression { return []sql.Expression{a.agg} }

func (a *jsonAgg) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(a, len(children), 1)
	}
	return &jsonAgg{agg: children[0], name: a.name, structured: a.structured}, nil
}

func (a *jsonAgg) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	v, err := a.agg.Eval(ctx, row)
	if err != nil || v == nil {
		return nil, err
	}
	s := textArg(v)
	parts := strings.Split(s, JSONAggSep)
	object := strings.Contains(a.name, "object")
	json := !strings.HasPrefix(a.name, "jsonb")
	var text strings.Builder
	if object {
		obj := &JSONObject{}
		text.WriteString("{ ")
		for i, p := range parts {
			k, vt, _ := strings.Cut(p, jsonAggKeySep)
			j, err := ParseJSONB(vt, true)
			if err != nil {
				return nil, err
			}
			obj.Keys = append(obj.Keys, k)
			obj.Vals = append(obj.Vals, j.V)
			if i > 0 {
				text.WriteString(", ")
			}
			text.Write(appendJSONString(nil, k))
			text.WriteString(" : ")
			text.WriteString(vt)
		}
		text.WriteString(" }")
		out := JSONB{V: obj.normalize()}
		if json {
			out.Text = text.String()
		}
		return out, nil
	}
	arr := make([]any, len(parts))
	text.WriteByte('[')
	for i, p := range parts {
		j, err := ParseJSONB(p, true)
		if err != nil {
			return nil, err
		}
		arr[i] = j.V
		if i > 0 {
			text.WriteString(", ")
			if a.structured && p != "null" {
				text.WriteString("\n ")
			}
		}
		text.WriteString(p)
	}
	text.WriteByte(']')
	out := JSONB{V: arr}
	if json {
		out.Text = text.String()
	}
	return out, nil
}
