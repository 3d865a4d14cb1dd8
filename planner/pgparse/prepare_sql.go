package pgparse

import (
	"strings"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// SQLPrepare is PREPARE name [(type, ...)] AS statement.
type SQLPrepare struct {
	Name string
	// Types are the declared parameter types (canonical storage type
	// names, see storage.CanonicalType); the statement may use more
	// parameters, whose types are inferred.
	Types []string
	// Query is the prepared statement's own text.
	Query string
}

// SQLExecute is EXECUTE name [(arg, ...)]: Args are the argument
// expressions, bound to $1, $2, ... when it runs (see ExecuteArgs).
type SQLExecute struct {
	Name string
	Args []*pg.Node
}

// SQLDeallocate is DEALLOCATE [PREPARE] name | ALL.
type SQLDeallocate struct {
	Name string
	All  bool
}

// prepareStmt translates PREPARE. The statement's text is what follows
// its AS keyword; the statement itself is parsed when PREPARE runs (its
// tables are resolved then, as in PostgreSQL).
func (t *translator) prepareStmt(s *pg.PrepareStmt, text string) *Statement {
	p := &SQLPrepare{Name: s.Name}
	for _, n := range s.Argtypes {
		p.Types = append(p.Types, t.typeName(n.GetTypeName()))
	}
	q, ok := preparedQueryText(text)
	if !ok {
		t.fail(pgerror.SyntaxError, "syntax error in PREPARE")
	}
	switch {
	case s.Query.GetSelectStmt() != nil, s.Query.GetInsertStmt() != nil:
	default:
		t.fail(pgerror.FeatureNotSupported, "PREPARE of %s is not supported", statementName(s.Query))
	}
	p.Query = q
	return &Statement{Kind: KindPrepare, Prepare: p, Tag: "PREPARE"}
}

// preparedQueryText returns the text after PREPARE's AS keyword (the
// first AS outside parentheses).
func preparedQueryText(text string) (string, bool) {
	res, err := pg.Scan(text)
	if err != nil {
		return "", false
	}
	depth := 0
	for _, tok := range res.Tokens {
		switch tok.Token {
		case pg.Token_ASCII_40:
			depth++
		case pg.Token_ASCII_41:
			depth--
		case pg.Token_AS:
			if depth == 0 {
				q := strings.TrimSpace(text[tok.End:])
				return strings.TrimSuffix(q, ";"), q != ""
			}
		}
	}
	return "", false
}

func (t *translator) executeStmt(s *pg.ExecuteStmt) *Statement {
	e := &SQLExecute{Name: s.Name}
	for _, n := range s.Params {
		if n.GetSubLink() != nil {
			t.fail(pgerror.FeatureNotSupported, "cannot use subquery in EXECUTE parameter")
		}
		t.expr(n) // errors in an argument are the EXECUTE's
		e.Args = append(e.Args, n)
	}
	return &Statement{Kind: KindExecute, Execute: e, Tag: "EXECUTE"}
}

func (t *translator) deallocateStmt(s *pg.DeallocateStmt) *Statement {
	d := &SQLDeallocate{Name: s.Name, All: s.Isall || s.Name == ""}
	tag := "DEALLOCATE"
	if d.All {
		tag = "DEALLOCATE ALL"
	}
	return &Statement{Kind: KindDeallocate, Deallocate: d, Tag: tag}
}

// ExecuteArgs translates EXECUTE's arguments, each cast to its
// parameter's type (a PostgreSQL type name; "" leaves it as it is), into
// the expressions bound to the prepared statement's parameters.
func ExecuteArgs(args []*pg.Node, types []string) ([]ast.Expr, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, a := range args {
		text, err := deparseExpr(a)
		if err != nil {
			return nil, pgerror.New(pgerror.SyntaxError, "EXECUTE argument %d: %v", i+1, err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if i < len(types) && types[i] != "" {
			b.WriteString("CAST((" + text + ") AS " + types[i] + ")")
		} else {
			b.WriteString(text)
		}
	}
	sts, err := Parse(b.String())
	if err != nil {
		return nil, err
	}
	sel, ok := sts[0].AST.(*ast.Select)
	if !ok || len(sel.SelectExprs) != len(args) {
		return nil, pgerror.New(pgerror.InternalError, "EXECUTE arguments did not translate to one expression each")
	}
	out := make([]ast.Expr, len(args))
	for i, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return nil, pgerror.New(pgerror.InternalError, "EXECUTE argument %d did not translate to an expression", i+1)
		}
		out[i] = ae.Expr
	}
	return out, nil
}
