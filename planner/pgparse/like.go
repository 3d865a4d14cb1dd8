package pgparse

import (
	"strings"
	"unicode/utf8"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
)

// like translates [NOT] LIKE and [NOT] ILIKE (also spelt ~~, !~~, ~~*,
// !~~*), with an optional ESCAPE clause, which PostgreSQL's grammar turns
// into a like_escape(pattern, escape) call on the right.
//
// PostgreSQL's escape character is a backslash unless ESCAPE names another
// one or, with ESCAPE ”, none. A constant pattern is rewritten to use the
// backslash, so everything downstream (go-mysql-server's LIKE, the
// vectorized LIKE, trigram pruning) sees one escape convention. A pattern
// that then holds a backslash gets an explicit ESCAPE '\': go-mysql-server
// simplifies a LIKE without one (no wildcard: equality; a trailing %: a
// range) and keeps the backslashes in the simplified literal.
//
// ILIKE is lower(x) LIKE lower(pattern): lower() leaves %, _ and \ alone.
//
// A constant pattern that ends with its escape character matches nothing;
// as in PostgreSQL, a value whose matching reaches that end is an error
// (22025).
func (t *translator) like(a *pg.A_Expr, not, fold bool) ast.Expr {
	pat, escNode := a.Rexpr, (*pg.Node)(nil)
	if fc := pat.GetFuncCall(); fc != nil && len(fc.Args) == 2 && fc.Funcname[len(fc.Funcname)-1].GetString_().GetSval() == "like_escape" {
		pat, escNode = fc.Args[0], fc.Args[1]
	}
	// A char(n) operand keeps its blanks (bpcharlike): it is typed text,
	// so neither a comparison go-mysql-server simplifies LIKE into nor a
	// text function drops them.
	l := ast.Expr(ast.InjectedExpr{Expression: pgexpr.InjectableLikeArg{}, Children: ast.Exprs{t.expr(a.Lexpr)}})
	var r, esc ast.Expr
	if s := pat.GetAConst().GetSval(); s != nil {
		escape, ok := `\`, true
		if escNode != nil {
			escape, ok = t.likeEscape(escNode)
		}
		if !ok {
			t.unsupported("LIKE ... ESCAPE with an escape that is not a constant")
		}
		canon, ok := canonicalLike(s.Sval, escape)
		if !ok {
			// PostgreSQL matches nothing, failing (22025) when a value's
			// matching reaches the trailing escape: pgexpr's pg_like
			// matches as PostgreSQL does.
			pat := s.Sval
			if fold {
				l, pat = t.fn("lower", l), strings.ToLower(pat)
			}
			return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_like"},
				Children: ast.Exprs{l, ast.NewStrVal([]byte(pat)), ast.NewStrVal([]byte(escape)), intLiteral(boolToInt(not))}}
		}
		r = ast.NewStrVal([]byte(canon))
		if strings.ContainsRune(canon, '\\') {
			esc = ast.NewStrVal([]byte(`\`))
		}
	} else if refersToColumns(pat) {
		// A pattern from the rows is matched as PostgreSQL does
		// (pgexpr's pg_like): one ending in its escape character is no
		// match or 22025, never go-mysql-server's XX000.
		escape := `\`
		if escNode != nil {
			e, ok := t.likeEscape(escNode)
			if !ok {
				t.unsupported("LIKE ... ESCAPE with an escape that is not a constant")
			}
			escape = e
		}
		r = t.expr(pat)
		if fold {
			l, r = t.fn("lower", l), t.fn("lower", r)
		}
		return ast.InjectedExpr{Expression: pgexpr.InjectableFunc{Name: "pg_like"},
			Children: ast.Exprs{l, r, ast.NewStrVal([]byte(escape)), intLiteral(boolToInt(not))}}
	} else {
		r = t.expr(pat)
		esc = ast.NewStrVal([]byte(`\`))
		if escNode != nil {
			escape, ok := t.likeEscape(escNode)
			if !ok || escape == "" {
				t.unsupported("LIKE ... ESCAPE with a pattern that is not a constant")
			}
			esc = ast.NewStrVal([]byte(escape))
		}
	}
	if fold {
		l, r = t.fn("lower", l), t.fn("lower", r)
	}
	op := ast.LikeStr
	if not {
		op = ast.NotLikeStr
	}
	return &ast.ComparisonExpr{Operator: op, Left: l, Right: r, Escape: esc}
}

// likeEscape returns a constant ESCAPE string, failing like PostgreSQL when
// it is longer than one character; ok is false when it is not a constant.
func (t *translator) likeEscape(n *pg.Node) (string, bool) {
	s := n.GetAConst().GetSval()
	if s == nil {
		return "", false
	}
	if utf8.RuneCountInString(s.Sval) > 1 {
		panic(failure{&pgerror.Error{Code: pgerror.InvalidEscapeSequence, Message: "invalid escape string",
			Hint: "Escape string must be empty or one character."}})
	}
	return s.Sval, true
}

// canonicalLike rewrites a LIKE pattern whose escape character is escape
// ("" for none) into the same pattern with a backslash as the escape
// character: an escaped character stays escaped if it is %, _ or \ and
// becomes itself otherwise; a backslash that is not the escape character
// becomes \\. It reports false for a pattern that ends with its escape
// character.
func canonicalLike(pattern, escape string) (string, bool) {
	esc := rune(-1)
	if escape != "" {
		esc, _ = utf8.DecodeRuneInString(escape)
	}
	var b strings.Builder
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == esc:
			i++
			if i == len(rs) {
				return "", false
			}
			switch n := rs[i]; n {
			case '%', '_', '\\':
				b.WriteByte('\\')
				b.WriteRune(n)
			default:
				b.WriteRune(n)
			}
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String(), true
}

func boolToInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// refersToColumns reports whether a parse tree reads a column (a pattern
// that is not a constant expression go-mysql-server folds).
func refersToColumns(n *pg.Node) bool {
	found := false
	walkColumnRefs(n.ProtoReflect(), func(*pg.ColumnRef) { found = true })
	return found
}
