package planner

import (
	"strings"
	"unicode/utf8"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
)

const ruleBPCharCompare analyzer.RuleId = 10_052

// bpcharCompare gives comparisons with a bpchar (char(n)) operand
// PostgreSQL's semantics, where go-mysql-server would compare the padded
// strings. Against bpchar, varchar or a string literal the comparison is
// bpchar's: trailing blanks do not count on either side. Against a text
// value it is text's: the bpchar side loses its trailing blanks (the
// conversion to text), the text side keeps them. Equality of a char(n)
// value with literals (=, <>, IN) compares with the literals padded to n
// instead, which is the same (char(n) values are always padded to n) and
// keeps the comparison vectorized and usable for pruning; everything else
// compares pgexpr.BPCharTrim operands. LIKE keeps the blanks, as
// PostgreSQL's bpcharlike does.
func bpcharCompare(ctx *sql.Context, _ *analyzer.Analyzer, n sql.Node, _ *plan.Scope, _ analyzer.RuleSelector, _ *sql.QueryFlags) (sql.Node, transform.TreeIdentity, error) {

	return transform.NodeExprs(n, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		return transform.Expr(e, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
			switch x := e.(type) {
			case *expression.InTuple, *expression.HashInTuple:
				in := x.(expression.Comparer)
				tup, ok := in.Right().(expression.Tuple)
				if !ok {
					return e, transform.SameTree, nil
				}
				ops, changed := bpcharOperands(append([]sql.Expression{in.Left()}, tup...), true)
				if !changed {
					return e, transform.SameTree, nil
				}
				if _, ok := x.(*expression.HashInTuple); ok {
					// Its set of values is built when it is made.
					h, err := expression.NewHashInTuple(ctx, ops[0], expression.NewTuple(ops[1:]...))
					return h, transform.NewTree, err
				}
				return expression.NewInTuple(ops[0], expression.NewTuple(ops[1:]...)), transform.NewTree, nil
			case *expression.Between:
				ops, changed := bpcharOperands([]sql.Expression{x.Val, x.Lower, x.Upper}, false)
				if !changed {
					return e, transform.SameTree, nil
				}
				return expression.NewBetween(ops[0], ops[1], ops[2]), transform.NewTree, nil
			case expression.Comparer:
				_, eq := x.(*expression.Equals)
				ops, changed := bpcharOperands([]sql.Expression{x.Left(), x.Right()}, eq)
				if !changed {
					return e, transform.SameTree, nil
				}
				ne, err := e.WithChildren(ops...)
				return ne, transform.NewTree, err
			}
			return e, transform.SameTree, nil
		})
	})
}

// bpcharOperands rewrites the operands of one comparison (see
// bpcharCompare); eq says it is an equality.
func bpcharOperands(ops []sql.Expression, eq bool) ([]sql.Expression, bool) {
	bp, text := false, false
	width := -1 // the n of all char(n) operands when they agree, else 0
	for _, o := range ops {
		t := o.Type()
		if n, ok := pgtypes.BPChar(t); ok {
			bp = true
			if width == -1 || width == n {
				width = n
			} else {
				width = 0
			}
			continue
		}
		switch {
		case pgexpr.IsUnknownLiteral(o), pgtypes.Varchar(t):
		case types.IsText(t):
			text = true
		default:
			return ops, false // not a comparison of strings
		}
	}
	if !bp {
		return ops, false
	}
	out := make([]sql.Expression, len(ops))
	if eq && !text && width > 0 && padLiterals(ops, width, out) {
		return out, true
	}
	changed := false
	for i, o := range ops {
		out[i] = o
		// A bpchar comparison trims every operand, a text one the
		// bpchar operands only.
		if _, ok := pgtypes.BPChar(o.Type()); ok || !text {
			out[i], changed = pgexpr.NewBPCharTrim(o), true
		}
	}
	return out, changed
}

// padLiterals fills out with ops, each string literal blank-padded to
// width characters (one longer than that, trailing blanks aside, cannot
// equal a char(width) value and stays as it is); false when an operand
// is neither char(width) nor a literal.
func padLiterals(ops []sql.Expression, width int, out []sql.Expression) bool {
	for i, o := range ops {
		l, ok := o.(*expression.Literal)
		if !ok {
			if _, ok := pgtypes.BPChar(o.Type()); ok {
				out[i] = o
				continue
			}
			return false
		}
		s, ok := l.Value().(string)
		if !ok {
			if l.Value() != nil {
				return false
			}
			out[i] = o
			continue
		}
		s = strings.TrimRight(s, " ")
		if k := utf8.RuneCountInString(s); k < width {
			s += strings.Repeat(" ", width-k)
		}
		out[i] = expression.NewLiteral(s, l.Type())
	}
	return true
}
