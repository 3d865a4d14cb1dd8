package planner

import (
	"context"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/transform"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// SQL-level prepared statements (PREPARE, EXECUTE, DEALLOCATE). They live
// in the session, apart from the wire protocol's named statements (the
// gateway's): PostgreSQL keeps both in one namespace, so a Parse message
// reusing a PREPAREd name is 42P05 there and accepted here.

// sqlPrepare runs PREPARE: the statement is parsed and described now, with
// the declared parameter types; its tables must exist.
func (s *Session) sqlPrepare(ctx context.Context, p *pgparse.SQLPrepare) (*Rows, error) {
	if s.sqlPrepared[p.Name] != nil {
		return nil, pgerror.New(pgerror.DuplicatePStatement, "prepared statement %q already exists", p.Name)
	}
	oids := make([]uint32, len(p.Types))
	for i, typ := range p.Types {
		t, err := pgtypes.GMSType(typ)
		if err != nil {
			return nil, pgerror.New(pgerror.FeatureNotSupported, "parameter type %s is not supported", typ)
		}
		oids[i], _ = pgtypes.OID(t)
	}
	ps, err := s.prepare(ctx, p.Query, oids)
	if err != nil {
		return nil, err
	}
	if len(ps) != 1 {
		return nil, pgerror.New(pgerror.SyntaxError, "cannot insert multiple commands into a prepared statement")
	}
	if s.sqlPrepared == nil {
		s.sqlPrepared = map[string]*Prepared{}
	}
	s.sqlPrepared[p.Name] = ps[0]
	return &Rows{tag: "PREPARE"}, nil
}

// sqlExecute runs EXECUTE: the arguments are bound to the statement's
// parameters as expressions (so EXECUTE p(1 + 1, now()) evaluates them)
// and the statement runs as if executed over the wire protocol.
func (s *Session) sqlExecute(ctx context.Context, e *pgparse.SQLExecute) (*Rows, error) {
	p := s.sqlPrepared[e.Name]
	if p == nil {
		return nil, pgerror.New(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", e.Name)
	}
	if len(e.Args) != p.st.NumParams {
		return nil, &pgerror.Error{Code: pgerror.SyntaxError,
			Message: "wrong number of parameters for prepared statement \"" + e.Name + "\"",
			Detail:  "Expected " + strconv.Itoa(p.st.NumParams) + " parameters but got " + strconv.Itoa(len(e.Args)) + "."}
	}
	if p.st.Kind == pgparse.KindInsert {
		if err := s.checkWritable("INSERT"); err != nil {
			return nil, err
		}
	}
	var bindings map[string]ast.Expr
	if len(e.Args) > 0 {
		types := make([]string, len(e.Args))
		for i := range types {
			if i < len(p.paramOIDs) && p.paramOIDs[i] != 0 {
				types[i] = pgtypes.TypeName(p.paramOIDs[i])
				if oid := p.paramOIDs[i]; oid == pgtypes.OIDBPChar || oid == pgtypes.ArrayOID(pgtypes.OIDBPChar) {
					// bpchar without a length: "character" would be char(1).
					types[i] = strings.Replace(types[i], "character", "bpchar", 1)
				}
			}
		}
		args, err := pgparse.ExecuteArgs(e.Args, types)
		if err != nil {
			return nil, err
		}
		bindings = make(map[string]ast.Expr, len(args))
		for i, a := range args {
			bindings["v"+strconv.Itoa(i+1)] = a
		}
	}
	p.countExec()
	if err := s.prepareInsertChecks(ctx, p); err != nil { // views_viewdml.go
		return nil, err
	}
	return p.run(ctx, bindings, s.statementTimeout())
}

// sqlDeallocate runs DEALLOCATE name | ALL.
func (s *Session) sqlDeallocate(d *pgparse.SQLDeallocate) (*Rows, error) {
	if d.All {
		clear(s.sqlPrepared)
		return &Rows{tag: "DEALLOCATE ALL"}, nil
	}
	if s.sqlPrepared[d.Name] == nil {
		return nil, pgerror.New(pgerror.InvalidSQLStatementName, "prepared statement %q does not exist", d.Name)
	}
	delete(s.sqlPrepared, d.Name)
	return &Rows{tag: "DEALLOCATE"}, nil
}

// usedBindings drops the bindings of parameters the statement does not
// refer to (PREPARE p(int, text) AS SELECT $2): go-mysql-server refuses
// unused bindings, PostgreSQL ignores a declared parameter left unused.
func (p *Prepared) usedBindings(bindings map[string]ast.Expr) map[string]ast.Expr {
	if len(bindings) == 0 || p.st.AST == nil {
		return bindings
	}
	if p.usedParams == nil {
		p.usedParams = map[string]bool{}
		_ = ast.Walk(func(n ast.SQLNode) (bool, error) {
			if v, ok := n.(*ast.SQLVal); ok && v.Type == ast.ValArg {
				p.usedParams[strings.TrimPrefix(string(v.Val), ":")] = true
			}
			return true, nil
		}, p.st.AST)
	}
	if len(p.usedParams) == len(bindings) {
		return bindings
	}
	out := make(map[string]ast.Expr, len(p.usedParams))
	for k, v := range bindings {
		if p.usedParams[k] {
			out[k] = v
		}
	}
	return out
}

// typeDeclaredParams gives the bind variables of parameters whose type the
// client declared (Parse's OIDs, PREPARE's types) that type before the
// statement is analyzed to describe it, so that an expression over them
// has PostgreSQL's result type ($1 + 1 with $1 int4 is int4, not text).
func (p *Prepared) typeDeclaredParams(node sql.Node) sql.Node {
	declared := map[string]sql.Type{}
	for i, oid := range p.paramOIDs {
		if oid == 0 {
			continue
		}
		canon, err := storage.CanonicalType(pgtypes.TypeName(oid), nil)
		if err != nil {
			continue
		}
		if t, err := pgtypes.GMSType(canon); err == nil {
			declared["v"+strconv.Itoa(i+1)] = t
		}
	}
	if len(declared) == 0 {
		return node
	}
	// Rebuilt bottom-up, so that expressions that fix their type when
	// made (pgexpr.Arith) see the parameter's.
	out, _, err := transform.NodeExprs(node, func(e sql.Expression) (sql.Expression, transform.TreeIdentity, error) {
		if bv, ok := e.(*expression.BindVar); ok {
			if t := declared[bv.Name]; t != nil {
				return &expression.BindVar{Name: bv.Name, Typ: t}, transform.NewTree, nil
			}
		}
		return e, transform.SameTree, nil
	})
	if err != nil {
		return node
	}
	return out
}
