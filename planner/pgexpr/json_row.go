package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// InjectableRowToJSON is row_to_json(t) / to_json(t) / to_jsonb(t) of a
// whole-row reference; the children are t's columns in order.
type InjectableRowToJSON struct {
	Names []string
	JSONB bool
}

// WithResolvedChildren implements sqlparser.Injectable.
func (r InjectableRowToJSON) WithResolvedChildren(children []any) (any, error) {
	args := make([]sql.Expression, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("row_to_json: argument is not an expression")
		}
		args[i] = e
	}
	return &RowToJSON{Names: r.Names, Cols: args, JSONB: r.JSONB}, nil
}

// RowToJSON builds the object of a row: json text as PostgreSQL's
// composite_to_json writes it ({"a":1,"b":"x"}), or a jsonb.
type RowToJSON struct {
	Names []string
	Cols  []sql.Expression
	JSONB bool
}

var _ sql.Expression = (*RowToJSON)(nil)

func (r *RowToJSON) Resolved() bool {
	for _, c := range r.Cols {
		if !c.Resolved() {
			return false
		}
	}
	return true
}
func (r *RowToJSON) String() string             { return fmt.Sprintf("row_to_json(%v)", r.Cols) }
func (r *RowToJSON) Type() sql.Type             { return types.JSON }
func (r *RowToJSON) IsNullable() bool           { return false }
func (r *RowToJSON) Children() []sql.Expression { return r.Cols }

// WithChildren implements sql.Expression.
func (r *RowToJSON) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != len(r.Cols) {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), len(r.Cols))
	}
	return &RowToJSON{Names: r.Names, Cols: children, JSONB: r.JSONB}, nil
}

// CollationCoercibility implements sql.CollationCoercible.
func (r *RowToJSON) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_Default, 4
}

// Eval implements sql.Expression.
func (r *RowToJSON) Eval(ctx *sql.Context, row sql.Row) (any, error) {
	obj := &JSONObject{}
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range r.Cols {
		v, err := c.Eval(ctx, row)
		if err != nil {
			return nil, err
		}
		tree, text, err := SQLToJSON(ctx, v, c.Type())
		if err != nil {
			return nil, err
		}
		obj.Keys = append(obj.Keys, r.Names[i])
		obj.Vals = append(obj.Vals, tree)
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(appendJSONString(nil, r.Names[i]))
		b.WriteByte(':')
		b.WriteString(text)
	}
	b.WriteByte('}')
	out := JSONB{V: obj.normalize()}
	if !r.JSONB {
		out.Text = b.String()
	}
	return out, nil
}
