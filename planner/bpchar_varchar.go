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
				ops, or, changed := bpcharInList(in.Left(), tup)
				switch {
				case !changed:
					return e, transform.SameTree, nil
				case or != nil:
					return or, transform.NewTree, nil
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

// charSemantics is how a comparison of character values with a bpchar
// operand compares.
type charSemantics int

const (
	noChar     charSemantics = iota // no bpchar operand, or not only strings
	bpcharSems                      // bpchar's: no operand's trailing blanks count
	textSems                        // text's: the bpchar operands lose theirs
)

// operatorSemantics is the semantics of an operator over ops (=, <,
// BETWEEN): text's when an operand is text (PostgreSQL prefers text's
// operator: char(n) converts to text implicitly), bpchar's when the others
// are bpchar, varchar or string literals (PostgreSQL's unknown type).
func operatorSemantics(ops []sql.Expression) charSemantics {
	bp, text := false, false
	for _, o := range ops {
		t := o.Type()
		if _, ok := pgtypes.BPChar(t); ok {
			bp = true
			continue
		}
		switch {
		case pgexpr.IsUnknownLiteral(o), pgtypes.Varchar(t):
		case types.IsText(t):
			text = true
		default:
			return noChar // not a comparison of strings
		}
	}
	switch {
	case !bp:
		return noChar
	case text:
		return textSems
	}
	return bpcharSems
}

// commonTypeSemantics is the semantics of a comparison of ops converted
// to their common type, as PostgreSQL's select_common_type picks it for
// the values of an IN list: the first operand that is not a string
// literal or NULL decides, because bpchar, varchar and text convert into
// each other implicitly and text is only preferred when it comes first.
func commonTypeSemantics(ops []sql.Expression) charSemantics {
	if operatorSemantics(ops) == noChar {
		return noChar
	}
	for _, o := range ops {
		if pgexpr.IsUnknownLiteral(o) || o.Type() == types.Null {
			continue
		}
		if _, ok := pgtypes.BPChar(o.Type()); ok {
			return bpcharSems
		}
		return textSems
	}
	return bpcharSems
}

// bpcharOperands rewrites the operands of one comparison (see
// bpcharCompare); eq says it is an equality.
func bpcharOperands(ops []sql.Expression, eq bool) ([]sql.Expression, bool) {
	return withCharSemantics(ops, operatorSemantics(ops), eq)
}

// withCharSemantics rewrites ops, the operands of an equality (eq) or
// another comparison, to compare with semantics sem.
func withCharSemantics(ops []sql.Expression, sem charSemantics, eq bool) ([]sql.Expression, bool) {
	if sem == noChar {
		return ops, false
	}
	width := -1 // the n of all char(n) operands when they agree, else 0
	for _, o := range ops {
		if n, ok := pgtypes.BPChar(o.Type()); ok {
			if width == -1 || width == n {
				width = n
			} else {
				width = 0
			}
		}
	}
	out := make([]sql.Expression, len(ops))
	if eq && sem == bpcharSems && width > 0 && padLiterals(ops, width, out) {
		return out, true
	}
	changed := false
	for i, o := range ops {
		out[i] = o
		// A bpchar comparison trims every operand, a text one the
		// bpchar operands only.
		if _, ok := pgtypes.BPChar(o.Type()); ok || sem == bpcharSems {
			out[i], changed = pgexpr.NewBPCharTrim(o), true
		}
	}
	return out, changed
}

// bpcharInList rewrites `left IN (vals)` as PostgreSQL resolves it: two
// or more values that read no column are compared as one array of their
// common type with left's (commonTypeSemantics: `c IN ('a'::text, 'b')`
// over a char(n) column c is bpchar's), every other value with its own
// `=` (`c IN ('a'::text)` and `c IN (t, ...)` over a text column t are
// text's). It returns the rewritten left and values (ops), or, when
// their semantics need left both with and without its trailing blanks,
// the equivalent OR of equalities.
func bpcharInList(left sql.Expression, vals []sql.Expression) (ops []sql.Expression, or sql.Expression, changed bool) {
	sems := make([]charSemantics, len(vals))
	consts := []sql.Expression{left}
	for i, v := range vals {
		sems[i] = operatorSemantics([]sql.Expression{left, v})
		if !readsColumn(v) {
			consts = append(consts, v)
		}
	}
	if len(consts) > 2 {
		common := commonTypeSemantics(consts)
		for i, v := range vals {
			if !readsColumn(v) {
				sems[i] = common
			}
		}
	}
	same := true
	for _, s := range sems[1:] {
		same = same && s == sems[0]
	}
	if same {
		ops, changed = withCharSemantics(append([]sql.Expression{left}, vals...), sems[0], true)
		return ops, nil, changed
	}
	// Mixed: left loses its blanks where it is bpchar or the value's
	// comparison is bpchar's.
	_, leftBP := pgtypes.BPChar(left.Type())
	trimLeft := func(s charSemantics) bool { return s != noChar && (leftBP || s == bpcharSems) }
	uniform := true
	for _, s := range sems {
		uniform = uniform && trimLeft(s) == trimLeft(sems[0])
	}
	eqs := make([]sql.Expression, len(vals))
	for i, v := range vals {
		pair, _ := withCharSemantics([]sql.Expression{left, v}, sems[i], false)
		eqs[i] = expression.NewEquals(pair[0], pair[1])
		if i == 0 {
			ops = append(ops, pair[0])
		}
		ops = append(ops, pair[1])
	}
	if uniform {
		return ops, nil, true
	}
	or = eqs[0]
	for _, e := range eqs[1:] {
		or = expression.NewOr(or, e)
	}
	return nil, or, true
}

// readsColumn reports whether e reads a column (PostgreSQL's Var).
func readsColumn(e sql.Expression) bool {
	found := false
	sql.Inspect(e, func(x sql.Expression) bool {
		switch x.(type) {
		case *expression.GetField, *plan.Subquery:
			found = true
		}
		return !found
	})
	return found
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
