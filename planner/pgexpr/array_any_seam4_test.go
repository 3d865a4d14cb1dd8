package pgexpr

import (
	"errors"
	"testing"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// TestArrayCompareNoTextOperator binds x op ANY/ALL (ARRAY[...]) the way
// the translator builds it and wants PostgreSQL's 42883 when x is not a
// string type and the array's element type is (design 095).
func TestArrayCompareNoTextOperator(t *testing.T) {
	unknown := func(s string) sql.Expression { return expression.NewLiteral(s, types.LongText) }
	typed := func(s string) sql.Expression { return expression.NewLiteral(s, pgtypes.TypedText) }
	in := func(x sql.Expression, elems ...sql.Expression) sql.Expression {
		return expression.NewInTuple(x, expression.NewTuple(elems...))
	}
	i4 := expression.NewLiteral(int32(1), types.Int32)
	for _, c := range []struct {
		name string
		op   string
		e    sql.Expression
		msg  string // "" when no error
	}{
		{"int = untyped", "=", in(i4, unknown("1"), unknown("2")), "operator does not exist: integer = text"},
		{"int <> ALL untyped", "<>", expression.NewAnd(expression.NewNot(expression.NewEquals(i4, unknown("1"))), expression.NewNot(expression.NewEquals(i4, unknown("2")))), "operator does not exist: integer <> text"},
		{"int < text", "<", expression.NewOr(expression.NewLessThan(i4, typed("1")), expression.NewLessThan(i4, unknown("2"))), "operator does not exist: integer < text"},
		{"int = NULL, untyped", "=", in(i4, expression.NewLiteral(nil, types.Null), unknown("1")), "operator does not exist: integer = text"},
		{"int = int, untyped", "=", in(i4, expression.NewLiteral(int32(1), types.Int32), unknown("2")), ""},
		{"untyped = untyped", "=", in(unknown("1"), unknown("1"), unknown("2")), ""},
		{"text = untyped", "=", in(typed("1"), unknown("1")), ""},
		{"NULL = untyped", "=", in(expression.NewLiteral(nil, types.Null), unknown("1")), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := InjectableArrayCompare{Op: c.op, Position: 10}.WithResolvedChildren([]any{c.e})
			if c.msg == "" {
				if err != nil || got != c.e {
					t.Fatalf("got %v, %v; want the comparison unchanged", got, err)
				}
				return
			}
			var pe *pgerror.Error
			if !errors.As(err, &pe) || pe.Code != pgerror.UndefinedFunction || pe.Message != c.msg || pe.Position != 10 {
				t.Fatalf("got %v; want 42883 %q at 10", err, c.msg)
			}
		})
	}
}
