package planner

import (
	"fmt"
	"io"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// jsonSRF is one of PostgreSQL's json set-returning functions in FROM:
// json(b)_array_elements[_text] (one row per element), json(b)_each[_text]
// (one row per key and value) and json(b)_object_keys. The _text forms
// return text (a string's contents, JSON null as NULL). WITH ORDINALITY
// adds the 1-based position. The front end (planner/pgparse/json_srf.go)
// passes the output column names (joined by commas) and the ordinality
// column's name as two hidden first arguments.
type jsonSRF struct {
	name string
	db   sql.Database
	cols []string
	ord  string
	arg  sql.Expression
}

var (
	_ sql.TableFunction = (*jsonSRF)(nil)
	_ sql.ExecSourceRel = (*jsonSRF)(nil)
)

// isJSONSRFName reports whether name is a json set-returning function.
func isJSONSRFName(name string) bool {
	switch name {
	case "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements", "json_array_elements_text",
		"jsonb_each", "jsonb_each_text", "json_each", "json_each_text", "jsonb_object_keys", "json_object_keys":
		return true
	}
	return false
}

func (j *jsonSRF) NewInstance(ctx *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) != 3 {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "%s takes one argument here", j.name)
	}
	var names [2]string
	for i := range names {
		v, err := args[i].Eval(ctx, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: bad column name: %w", j.name, err)
		}
		names[i] = fmt.Sprint(v)
	}
	arg := args[2]
	if t := arg.Type(); !pgexpr.IsJSONType(t) && t != types.Null && !types.IsText(t) {
		return nil, pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", j.name, pgexpr.TypeOfName(t))
	}
	return &jsonSRF{name: j.name, db: db, cols: strings.Split(names[0], ","), ord: names[1], arg: arg}, nil
}

func (j *jsonSRF) Name() string           { return j.name }
func (j *jsonSRF) Database() sql.Database { return j.db }
func (j *jsonSRF) WithDatabase(db sql.Database) (sql.Node, error) {
	n := *j
	n.db = db
	return &n, nil
}
func (j *jsonSRF) Resolved() bool                                      { return j.arg == nil || j.arg.Resolved() }
func (j *jsonSRF) String() string                                      { return j.name }
func (j *jsonSRF) Children() []sql.Node                                { return nil }
func (j *jsonSRF) IsReadOnly() bool                                    { return true }
func (j *jsonSRF) Expressions() []sql.Expression                       { return []sql.Expression{j.arg} }
func (j *jsonSRF) WithChildren(children ...sql.Node) (sql.Node, error) { return j, nil }
func (j *jsonSRF) WithExpressions(e ...sql.Expression) (sql.Node, error) {
	if len(e) != 1 {
		return nil, sql.ErrInvalidChildrenNumber.New(j, len(e), 1)
	}
	n := *j
	n.arg = e[0]
	return &n, nil
}

func (j *jsonSRF) textValues() bool { return strings.HasSuffix(j.name, "_text") }

func (j *jsonSRF) Schema() sql.Schema {
	valType := sql.Type(types.JSON)
	if j.textValues() || strings.HasSuffix(j.name, "_object_keys") {
		valType = types.LongText
	}
	var s sql.Schema
	for i, c := range j.cols {
		t := valType
		if strings.Contains(j.name, "_each") && i == 0 {
			t = types.LongText
		}
		s = append(s, &sql.Column{Name: c, Type: t, Nullable: true, Source: j.cols[0]})
	}
	if j.ord != "" {
		s = append(s, &sql.Column{Name: j.ord, Type: types.Int64, Nullable: false, Source: j.cols[0]})
	}
	return s
}

func (j *jsonSRF) RowIter(ctx *sql.Context, row sql.Row) (sql.RowIter, error) {
	v, err := j.arg.Eval(ctx, row)
	if err != nil || v == nil {
		return &jsonSRFIter{}, err
	}
	doc, err := pgexpr.AsJSONB(v)
	if err != nil {
		return nil, err
	}
	value := func(x any) any {
		if j.textValues() {
			return pgexpr.JSONText(x)
		}
		return pgexpr.JSONB{V: x}
	}
	var rows []sql.Row
	kind := "scalar"
	switch doc.V.(type) {
	case []any:
		kind = "array"
	case *pgexpr.JSONObject:
		kind = "object"
	}
	switch {
	case strings.Contains(j.name, "_array_elements"):
		arr, ok := doc.V.([]any)
		if !ok {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot extract elements from %s", map[string]string{"object": "an object", "scalar": "a scalar"}[kind])
		}
		for _, e := range arr {
			rows = append(rows, sql.Row{value(e)})
		}
	case strings.Contains(j.name, "_each"):
		obj, ok := doc.V.(*pgexpr.JSONObject)
		if !ok {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot call %s on a non-object", j.name)
		}
		for i, k := range obj.Keys {
			rows = append(rows, sql.Row{k, value(obj.Vals[i])})
		}
	default: // object_keys
		obj, ok := doc.V.(*pgexpr.JSONObject)
		if !ok {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "cannot call %s on %s", j.name, map[string]string{"array": "an array", "scalar": "a scalar"}[kind])
		}
		for _, k := range obj.Keys {
			rows = append(rows, sql.Row{k})
		}
	}
	if j.ord != "" {
		for i := range rows {
			rows[i] = append(rows[i], int64(i+1))
		}
	}
	return &jsonSRFIter{rows: rows}, nil
}

type jsonSRFIter struct {
	rows []sql.Row
	i    int
}

func (it *jsonSRFIter) Next(*sql.Context) (sql.Row, error) {
	if it.i >= len(it.rows) {
		return nil, io.EOF
	}
	it.i++
	return it.rows[it.i-1], nil
}

func (it *jsonSRFIter) Close(*sql.Context) error { return nil }
