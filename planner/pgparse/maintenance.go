package pgparse

import (
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// Maintenance is VACUUM or ANALYZE. OpenWit has nothing for either to do:
// compaction rewrites files and their statistics live in each file's
// footer and index, kept as data is written. They are accepted for the
// scripts and tools that run them after a load (design 098): the session
// checks their targets as PostgreSQL does and answers with the tag.
type Maintenance struct {
	Vacuum  bool // VACUUM (else ANALYZE)
	Targets []MaintenanceTarget
}

// MaintenanceTarget is one table of a VACUUM or ANALYZE with its column
// list.
type MaintenanceTarget struct {
	Name    string
	Columns []string
}

// The options PostgreSQL 15 knows for VACUUM and ANALYZE.
var (
	vacuumOptions  = []string{"verbose", "analyze", "freeze", "full", "disable_page_skipping", "skip_locked", "index_cleanup", "process_toast", "truncate", "parallel"}
	analyzeOptions = []string{"verbose", "skip_locked"}
)

func (t *translator) vacuum(s *pg.VacuumStmt) *Statement {
	m := &Maintenance{Vacuum: s.IsVacuumcmd}
	what, known := "ANALYZE", analyzeOptions
	if m.Vacuum {
		what, known = "VACUUM", vacuumOptions
	}
	analyze := !m.Vacuum
	for _, o := range s.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		name := strings.ToLower(d.Defname)
		if !slices.Contains(known, name) {
			t.failAt(o, pgerror.SyntaxError, "unrecognized %s option %q", what, d.Defname)
		}
		if name == "analyze" {
			analyze = true
		}
	}
	for _, r := range s.Rels {
		vr := r.GetVacuumRelation()
		if vr == nil || vr.Relation == nil {
			continue
		}
		tg := MaintenanceTarget{Name: t.rangeVarName(vr.Relation)}
		for _, c := range vr.VaCols {
			tg.Columns = append(tg.Columns, c.GetString_().Sval)
		}
		if len(tg.Columns) > 0 && !analyze {
			t.fail(pgerror.FeatureNotSupported, "ANALYZE option must be specified when a column list is provided")
		}
		m.Targets = append(m.Targets, tg)
	}
	return &Statement{Kind: KindMaintenance, Maintenance: m, Tag: what}
}

// SQLSTATEs of CREATE SCHEMA.
const (
	codeDuplicateSchema = "42P06"
	codeReservedName    = "42939"
)

// systemSchemas are the schemas OpenWit has besides public; CREATE SCHEMA
// and DROP SCHEMA only take the IF [NOT] EXISTS forms that change nothing.
var systemSchemas = []string{"public", "pg_catalog", "information_schema"}

// createSchema accepts CREATE SCHEMA IF NOT EXISTS of a schema that exists
// (a NOTICE, as in PostgreSQL); creating one is not supported.
func (t *translator) createSchema(s *pg.CreateSchemaStmt) *Statement {
	name := s.Schemaname
	if name == "" && s.Authrole != nil {
		name = s.Authrole.Rolename
	}
	if strings.HasPrefix(name, "pg_") {
		panic(failure{&pgerror.Error{Code: codeReservedName, Message: "unacceptable schema name \"" + name + "\"",
			Detail: "The prefix \"pg_\" is reserved for system schemas."}})
	}
	if !slices.Contains(systemSchemas, name) {
		t.unsupported("CREATE SCHEMA")
	}
	if !s.IfNotExists {
		t.fail(codeDuplicateSchema, "schema %q already exists", name)
	}
	if len(s.SchemaElts) > 0 {
		t.unsupported("CREATE SCHEMA with schema elements")
	}
	n := pgerror.New(codeDuplicateSchema, "schema %q already exists, skipping", name)
	n.Severity = "NOTICE"
	return &Statement{Kind: KindNoop, Tag: "CREATE SCHEMA", Notices: []*pgerror.Error{n}}
}

// dropSchema accepts DROP SCHEMA IF EXISTS of schemas that do not exist (a
// NOTICE each); dropping one is not supported.
func (t *translator) dropSchema(s *pg.DropStmt) *Statement {
	st := &Statement{Kind: KindNoop, Tag: "DROP SCHEMA"}
	for _, o := range s.Objects {
		name := o.GetString_().Sval
		if slices.Contains(systemSchemas, name) {
			t.unsupported("DROP SCHEMA")
		}
		if !s.MissingOk {
			t.fail(pgerror.InvalidSchemaName, "schema %q does not exist", name)
		}
		n := pgerror.New("00000", "schema %q does not exist, skipping", name)
		n.Severity = "NOTICE"
		st.Notices = append(st.Notices, n)
	}
	return st
}
