package pgparse

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
)

// Session statements: the transaction characteristics of BEGIN, SET
// TRANSACTION and SET SESSION CHARACTERISTICS, DISCARD and UNLISTEN.

// transactionOptions turns BEGIN's (or SET TRANSACTION's) options into the
// settings they set: transaction_isolation, transaction_read_only and
// transaction_deferrable, prefixed with "default_" for SET SESSION
// CHARACTERISTICS.
func (t *translator) transactionOptions(opts []*pg.Node, prefix string) []Set {
	var out []Set
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		var v string
		switch c := d.Arg.GetAConst(); {
		case c == nil:
			t.unsupported("this transaction option")
		case c.GetSval() != nil:
			v = c.GetSval().Sval
		case c.GetIval() != nil:
			v = "off"
			if c.GetIval().Ival != 0 {
				v = "on"
			}
		case c.GetBoolval() != nil:
			v = "off"
			if c.GetBoolval().Boolval {
				v = "on"
			}
		}
		out = append(out, Set{Name: prefix + strings.ToLower(d.Defname), Value: v})
	}
	return out
}

// setMulti is SET TRANSACTION ... (settings of the current transaction
// block, like SET LOCAL) or SET SESSION CHARACTERISTICS AS TRANSACTION
// ... (the defaults of later transactions).
func (t *translator) setMulti(s *pg.VariableSetStmt) *Statement {
	switch strings.ToUpper(s.Name) {
	case "TRANSACTION":
		return &Statement{Kind: KindSet, Tag: "SET", Set: &Set{Multi: t.transactionOptions(s.Args, ""), Local: true}}
	case "SESSION CHARACTERISTICS":
		return &Statement{Kind: KindSet, Tag: "SET", Set: &Set{Multi: t.transactionOptions(s.Args, "default_")}}
	}
	t.unsupported("SET " + s.Name)
	return nil
}

// discard is DISCARD ALL, PLANS, SEQUENCES or TEMP.
func (t *translator) discard(s *pg.DiscardStmt) *Statement {
	var what string
	switch s.Target {
	case pg.DiscardMode_DISCARD_ALL:
		what = "ALL"
	case pg.DiscardMode_DISCARD_PLANS:
		what = "PLANS"
	case pg.DiscardMode_DISCARD_SEQUENCES:
		what = "SEQUENCES"
	case pg.DiscardMode_DISCARD_TEMP:
		what = "TEMP"
	default:
		t.unsupported("DISCARD " + s.Target.String())
	}
	return &Statement{Kind: KindUtility, Tag: "DISCARD " + what}
}
