package pgparse

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"openwit/internal/pgerror"
	"openwit/storage"
	"openwit/storage/compact"
	"openwit/storage/index"
)

// Parse parses query (one or more statements) and translates each.
func Parse(query string) ([]*Statement, error) { return ParseWith(query, nil) }

// TableColumns returns the column names of a user table, and false when
// there is no such table.
type TableColumns func(table string) ([]string, bool)

// ParseWith is Parse with a lookup of the tables' columns, which the
// translator needs where PostgreSQL's meaning of a name depends on them
// (GROUP BY a name that is both an input column and an output alias).
// A nil cols knows no tables.
func ParseWith(query string, cols TableColumns) ([]*Statement, error) {
	return ParseWithViews(query, cols, nil)
}

// ParseWithViews is ParseWith reading the views views knows inline
// (views.go).
func ParseWithViews(query string, cols TableColumns, views ViewLookup) ([]*Statement, error) {
	tree, err := pg.Parse(query)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]*Statement, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		text := statementText(query, raw)
		written := collectRangeNames(raw.Stmt)               // the views as written (names_seam3.go)
		checks, err := rewriteViewDML(raw.Stmt, views, cols) // views_viewdml.go
		if err != nil {
			return nil, err
		}
		restore := updateChecks(raw.Stmt, checks)
		if err := expandViews(raw.Stmt, views, cols, 0); err != nil {
			return nil, err
		}
		st, err := translateTop(raw.Stmt, text, query, cols, written)
		if err != nil {
			return nil, err
		}
		st.ViewChecks = checks
		restore(st)
		if st.SQL == "" {
			st.SQL = text
		}
		out = append(out, st)
	}
	return out, nil
}

func statementText(query string, raw *pg.RawStmt) string {
	start := int(raw.StmtLocation)
	end := len(query)
	if raw.StmtLen > 0 {
		end = start + int(raw.StmtLen)
	}
	if start < 0 || start > len(query) || end > len(query) || start > end {
		return strings.TrimSpace(query)
	}
	return strings.TrimSpace(query[start:end])
}

func syntaxError(err error) error {
	var pe *pgparser.Error
	if errors.As(err, &pe) {
		e := pgerror.New(pgerror.SyntaxError, "%s", pe.Message)
		if pe.Cursorpos > 0 {
			e.Position = int32(pe.Cursorpos)
		}
		if strings.Contains(pe.Message, "unterminated") {
			e.Code = pgerror.SyntaxError
		}
		if windowFrameError(pe.Message) {
			e.Code = pgerror.WindowingError
		}
		return e
	}
	return pgerror.New(pgerror.SyntaxError, "%s", err.Error())
}

// failure carries a translation error through panics inside the translator.
type failure struct{ err error }

type translator struct {
	text        string // the statement's own text
	query       string // the whole query (parse-tree locations are offsets into it)
	numParams   int
	inWhere     bool
	inAggregate bool
	deferred    error
	// fullUsing maps the USING columns of the current SELECT's FULL JOINs
	// to coalesce(left.c, right.c), what an unqualified reference means.
	fullUsing map[string]ast.Expr
	// lastFullUsing is fullUsing of the SELECT simpleSelect last returned.
	lastFullUsing map[string]ast.Expr
	unify         Unify // set operations and VALUES lists (unify.go)
	// windows are the current SELECT's WINDOW clause (window_named.go).
	windows map[string]*pg.WindowDef
	// probes are the ambiguity probes of the SELECTs (ambiguous.go).
	probes []ast.SelectStatement
	// tableColumns looks up a table's columns (nil: none known); cteNames
	// are the statement's CTE names, which hide tables (input_columns.go).
	tableColumns TableColumns
	cteNames     map[string]bool
	// ranges are the names qualifiers can mean in the statement (names_seam3.go).
	ranges *rangeNames
	// colNames are the column names the statement can mean (names_case_seam4.go).
	colNames *columnNames
	// from is the current SELECT's FROM clause.
	from []*pg.Node
	// orderSel is the SELECT whose ORDER BY is being translated
	// (orderby_star_defaultdisp.go).
	orderSel *pg.SelectStmt
	// groupingCalls counts grouping() calls; ordered are the SELECTs
	// that got their ORDER BY with their grouping sets (grouping_sets.go).
	groupingCalls int
	ordered       map[*ast.Select]bool
	// inWindow is set while a window function call is translated.
	inWindow bool
}

// defer records an error that go-mysql-server's resolution errors (unknown
// table or column) take precedence over, as in PostgreSQL's order of checks.
func (t *translator) deferErr(err error) {
	if t.deferred == nil {
		t.deferred = err
	}
}

func (t *translator) fail(code, format string, args ...any) {
	panic(failure{pgerror.New(code, format, args...)})
}

// noIndexes refuses CREATE INDEX and DROP INDEX, saying why none is needed.
func (t *translator) noIndexes(what string) {
	panic(failure{&pgerror.Error{Code: pgerror.FeatureNotSupported, Message: what + " is not supported",
		Hint: "OpenWit indexes every column of every data file as it writes it (zone maps, Bloom filters, token postings): there is no index to create or drop."}})
}

func (t *translator) unsupported(what string) {
	t.fail(pgerror.FeatureNotSupported, "%s is not supported", what)
}

func translateTop(n *pg.Node, text, query string, cols TableColumns, written *rangeNames) (st *Statement, err error) {
	t := &translator{tableColumns: cols, text: text, query: query}
	defer func() {
		if r := recover(); r != nil {
			f, ok := r.(failure)
			if !ok {
				panic(r)
			}
			st, err = nil, f.err
		}
	}()
	t.ranges = collectRangeNames(n).with(written)
	t.colNames = collectColumnNames(n, cols)
	if n.GetSelectStmt() != nil || n.GetInsertStmt() != nil || n.GetUpdateStmt() != nil || n.GetDeleteStmt() != nil {
		t.checkRelationCase()
	}
	st = t.statement(n)
	for rel, loc := range t.ranges.at {
		if pos := t.position(loc); pos > 0 {
			if st.RelationAt == nil {
				st.RelationAt = map[string]int32{}
			}
			st.RelationAt[rel] = pos
		}
	}
	st.NumParams = t.numParams
	st.Deferred = t.deferred
	st.Probes = t.probes
	if len(t.unify.Groups) > 0 {
		st.Unify = &t.unify
	}
	return st, nil
}

func (t *translator) statement(n *pg.Node) *Statement {
	if st, ok := t.viewStatement(n); ok {
		return st
	}
	switch {
	case n.GetSelectStmt() != nil:
		regDisplay(n.GetSelectStmt())
		return &Statement{Kind: KindQuery, AST: t.selectStmt(n.GetSelectStmt(), true)}
	case n.GetInsertStmt() != nil:
		return &Statement{Kind: KindInsert, AST: t.insert(n.GetInsertStmt()), Tag: "INSERT"}
	case n.GetCreateStmt() != nil:
		return &Statement{Kind: KindCreateTable, CreateTable: t.createTable(n.GetCreateStmt()), Tag: "CREATE TABLE"}
	case n.GetDropStmt() != nil && n.GetDropStmt().RemoveType == pg.ObjectType_OBJECT_SCHEMA:
		return t.dropSchema(n.GetDropStmt())
	case n.GetDropStmt() != nil && n.GetDropStmt().RemoveType == pg.ObjectType_OBJECT_INDEX:
		t.noIndexes("DROP INDEX")
	case n.GetDropStmt() != nil:
		return &Statement{Kind: KindDropTable, DropTable: t.dropTable(n.GetDropStmt()), Tag: "DROP TABLE"}
	case n.GetVacuumStmt() != nil:
		return t.vacuum(n.GetVacuumStmt())
	case n.GetCreateSchemaStmt() != nil:
		return t.createSchema(n.GetCreateSchemaStmt())
	case n.GetAlterTableStmt() != nil && n.GetAlterTableStmt().Objtype == pg.ObjectType_OBJECT_TABLE:
		return &Statement{Kind: KindAlterTable, AlterTable: t.alterTable(n.GetAlterTableStmt()), Tag: "ALTER TABLE"}
	case n.GetCommentStmt() != nil:
		return t.comment(n.GetCommentStmt())
	case n.GetRenameStmt() != nil && isTableRename(n.GetRenameStmt()):
		return &Statement{Kind: KindAlterTable, AlterTable: t.rename(n.GetRenameStmt()), Tag: "ALTER TABLE"}
	case n.GetVariableSetStmt() != nil:
		return t.set(n.GetVariableSetStmt())
	case n.GetExplainStmt() != nil:
		return t.explain(n.GetExplainStmt())
	case n.GetCopyStmt() != nil:
		return t.copyStmt(n.GetCopyStmt())
	case n.GetVariableShowStmt() != nil:
		return &Statement{Kind: KindShow, Show: &Show{Name: strings.ToLower(n.GetVariableShowStmt().Name)}, Tag: "SHOW"}
	case n.GetTransactionStmt() != nil:
		return t.transaction(n.GetTransactionStmt())
	case n.GetDeclareCursorStmt() != nil:
		return t.declareCursor(n.GetDeclareCursorStmt())
	case n.GetFetchStmt() != nil:
		return t.fetch(n.GetFetchStmt())
	case n.GetClosePortalStmt() != nil:
		return t.closeCursor(n.GetClosePortalStmt())
	case n.GetDiscardStmt() != nil:
		return t.discard(n.GetDiscardStmt())
	case n.GetListenStmt() != nil, n.GetUnlistenStmt() != nil, n.GetNotifyStmt() != nil:
		return t.notify(n)
	case n.GetDeleteStmt() != nil:
		return t.deleteStmt(n.GetDeleteStmt())
	case n.GetTruncateStmt() != nil:
		return t.truncateStmt(n.GetTruncateStmt())
	case n.GetUpdateStmt() != nil:
		return t.updateStmt(n.GetUpdateStmt())
	case n.GetPrepareStmt() != nil:
		return t.prepareStmt(n.GetPrepareStmt(), t.text)
	case n.GetExecuteStmt() != nil:
		return t.executeStmt(n.GetExecuteStmt())
	case n.GetDeallocateStmt() != nil:
		return t.deallocateStmt(n.GetDeallocateStmt())
	case n.GetIndexStmt() != nil:
		t.noIndexes("CREATE INDEX")
	}
	t.unsupported(statementName(n))
	return nil
}

// statementName names a statement kind for error messages ("UPDATE",
// "CREATE INDEX", ...).
func statementName(n *pg.Node) string {
	switch {
	case n.GetUpdateStmt() != nil:
		return "UPDATE"
	case n.GetDeleteStmt() != nil:
		return "DELETE"
	case n.GetIndexStmt() != nil:
		return "CREATE INDEX"
	case n.GetViewStmt() != nil:
		return "CREATE VIEW"
	case n.GetAlterTableStmt() != nil:
		return "ALTER TABLE"
	case n.GetCopyStmt() != nil:
		return "COPY"
	case n.GetExplainStmt() != nil:
		return "EXPLAIN"
	case n.GetTruncateStmt() != nil:
		return "TRUNCATE"
	case n.GetCreateSchemaStmt() != nil:
		return "CREATE SCHEMA"
	case n.GetCreatedbStmt() != nil:
		return "CREATE DATABASE"
	case n.GetDeclareCursorStmt() != nil:
		return "DECLARE CURSOR"
	case n.GetFetchStmt() != nil:
		return "FETCH"
	case n.GetPrepareStmt() != nil:
		return "PREPARE"
	case n.GetExecuteStmt() != nil:
		return "EXECUTE"
	case n.GetDiscardStmt() != nil:
		return "DISCARD"
	}
	switch {
	case n.GetVacuumStmt() != nil && n.GetVacuumStmt().IsVacuumcmd:
		return "VACUUM"
	case n.GetVacuumStmt() != nil:
		return "ANALYZE"
	case n.GetCreateTrigStmt() != nil:
		return "CREATE TRIGGER"
	case n.GetCreateSeqStmt() != nil:
		return "CREATE SEQUENCE"
	case n.GetAlterSeqStmt() != nil:
		return "ALTER SEQUENCE"
	case n.GetCreateFunctionStmt() != nil:
		return "CREATE FUNCTION"
	case n.GetDoStmt() != nil:
		return "DO"
	}
	// CreateExtensionStmt -> CREATE EXTENSION
	name := fmt.Sprintf("%T", n.GetNode())
	name = strings.TrimSuffix(strings.TrimPrefix(name, "*pg_query.Node_"), "Stmt")
	var words []string
	start := 0
	for i := 1; i <= len(name); i++ {
		if i == len(name) || (name[i] >= 'A' && name[i] <= 'Z') {
			words = append(words, strings.ToUpper(name[start:i]))
			start = i
		}
	}
	return strings.Join(words, " ")
}

func (t *translator) transaction(s *pg.TransactionStmt) *Statement {
	tag := ""
	switch s.Kind {
	case pg.TransactionStmtKind_TRANS_STMT_BEGIN:
		tag = "BEGIN"
	case pg.TransactionStmtKind_TRANS_STMT_START:
		tag = "START TRANSACTION"
	case pg.TransactionStmtKind_TRANS_STMT_COMMIT:
		tag = "COMMIT"
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK:
		tag = "ROLLBACK"
	case pg.TransactionStmtKind_TRANS_STMT_SAVEPOINT:
		tag = "SAVEPOINT"
	case pg.TransactionStmtKind_TRANS_STMT_RELEASE:
		tag = "RELEASE"
	case pg.TransactionStmtKind_TRANS_STMT_ROLLBACK_TO:
		tag = "ROLLBACK" // PostgreSQL's tag; Savepoint tells it apart
	default:
		t.unsupported(strings.ReplaceAll(strings.TrimPrefix(s.Kind.String(), "TRANS_STMT_"), "_", " "))
	}
	st := &Statement{Kind: KindUtility, Tag: tag, Savepoint: s.SavepointName}
	if tag == "BEGIN" || tag == "START TRANSACTION" {
		st.Begin = t.transactionOptions(s.Options, "")
	}
	return st
}

func (t *translator) set(s *pg.VariableSetStmt) *Statement {
	st := &Statement{Kind: KindSet, Tag: "SET"}
	name := strings.ToLower(s.Name)
	switch s.Kind {
	case pg.VariableSetKind_VAR_SET_VALUE:
		vals := make([]string, 0, len(s.Args))
		for _, a := range s.Args {
			vals = append(vals, t.setArg(a))
		}
		st.Set = &Set{Name: name, Value: strings.Join(vals, ", "), Local: s.IsLocal}
	case pg.VariableSetKind_VAR_SET_DEFAULT:
		st.Set = &Set{Name: name, Default: true, Local: s.IsLocal}
	case pg.VariableSetKind_VAR_RESET:
		st.Set = &Set{Name: name, Default: true}
		st.Tag = "RESET"
	case pg.VariableSetKind_VAR_RESET_ALL:
		st.Set = &Set{All: true, Default: true}
		st.Tag = "RESET"
	case pg.VariableSetKind_VAR_SET_MULTI:
		return t.setMulti(s)
	default:
		t.unsupported("SET " + s.Kind.String())
	}
	if name == "timezone" && s.Kind == pg.VariableSetKind_VAR_SET_VALUE && len(s.Args) == 1 && s.Args[0].GetTypeCast() != nil {
		// SET TIME ZONE INTERVAL '...' — not supported.
		t.unsupported("SET TIME ZONE INTERVAL")
	}
	return st
}

func (t *translator) setArg(a *pg.Node) string {
	if c := a.GetAConst(); c != nil {
		switch {
		case c.GetSval() != nil:
			return c.GetSval().Sval
		case c.GetIval() != nil:
			return strconv.Itoa(int(c.GetIval().Ival))
		case c.GetFval() != nil:
			return c.GetFval().Fval
		case c.GetBoolval() != nil:
			if c.GetBoolval().Boolval {
				return "on"
			}
			return "off"
		}
	}
	t.unsupported("this SET value")
	return ""
}

func (t *translator) dropTable(s *pg.DropStmt) *DropTable {
	if s.RemoveType != pg.ObjectType_OBJECT_TABLE {
		t.unsupported("DROP " + strings.TrimPrefix(s.RemoveType.String(), "OBJECT_"))
	}
	d := &DropTable{IfExists: s.MissingOk, Cascade: s.Behavior == pg.DropBehavior_DROP_CASCADE}
	for _, o := range s.Objects {
		var parts []string
		for _, item := range o.GetList().GetItems() {
			parts = append(parts, item.GetString_().Sval)
		}
		d.Names = append(d.Names, t.qualifiedName(parts))
	}
	return d
}

// qualifiedName accepts name, public.name and openwit.public.name.
func (t *translator) qualifiedName(parts []string) string {
	switch len(parts) {
	case 1:
		return parts[0]
	case 2:
		if parts[0] != "public" {
			t.fail(pgerror.InvalidSchemaName, "schema %q does not exist", parts[0])
		}
		return parts[1]
	case 3:
		if parts[1] != "public" {
			t.fail(pgerror.InvalidSchemaName, "schema %q does not exist", parts[1])
		}
		return parts[2]
	}
	t.fail(pgerror.SyntaxError, "improper qualified name (too many dotted names): %s", strings.Join(parts, "."))
	return ""
}

func (t *translator) rangeVarName(rv *pg.RangeVar) string {
	var parts []string
	if rv.Catalogname != "" {
		parts = append(parts, rv.Catalogname)
	}
	if rv.Schemaname != "" {
		parts = append(parts, rv.Schemaname)
	}
	return t.qualifiedName(append(parts, rv.Relname))
}

func (t *translator) checkRetention(v string) {
	if _, err := compact.ParseRetention(v); err != nil {
		t.fail(pgerror.InvalidParameterValue, "invalid retention: %v", err)
	}
}

// alterTable accepts ALTER TABLE name SET (retention = '30 days'), RESET
// (retention), ADD [COLUMN] [IF NOT EXISTS], DROP COLUMN and ALTER COLUMN
// (alterColumnCmd); other ALTER TABLE forms are not supported.
func (t *translator) alterTable(s *pg.AlterTableStmt) *AlterTable {
	at := &AlterTable{Name: t.rangeVarName(s.Relation), IfExists: s.MissingOk, Set: map[string]string{}}
	for _, c := range s.Cmds {
		cmd := c.GetAlterTableCmd()
		if cmd != nil && cmd.Subtype == pg.AlterTableType_AT_AddColumn {
			t.addColumn(at, cmd)
			continue
		}
		if cmd != nil && t.alterColumnCmd(at, cmd) {
			continue
		}
		if cmd == nil || cmd.Subtype != pg.AlterTableType_AT_SetRelOptions && cmd.Subtype != pg.AlterTableType_AT_ResetRelOptions {
			t.unsupported("ALTER TABLE other than SET (option = value), RESET (option), ADD COLUMN, DROP COLUMN, ALTER COLUMN or RENAME")
			return at
		}
		for _, item := range cmd.Def.GetList().GetItems() {
			de := item.GetDefElem()
			if de == nil {
				continue
			}
			switch de.Defname {
			case compact.RetentionOption:
			case "time_column", "shard_duration":
				t.fail(pgerror.FeatureNotSupported, "table option %q cannot be changed after CREATE TABLE", de.Defname)
			default:
				t.fail(pgerror.InvalidParameterValue, "unrecognized table option %q (ALTER TABLE changes: retention)", de.Defname)
			}
			if cmd.Subtype == pg.AlterTableType_AT_ResetRelOptions {
				at.Reset = append(at.Reset, de.Defname)
				delete(at.Set, de.Defname)
				continue
			}
			v := t.defElemValue(de)
			t.checkRetention(v)
			at.Set[de.Defname] = v
		}
	}
	return at
}

// addColumn translates ADD [COLUMN] [IF NOT EXISTS] name type [NULL | NOT
// NULL] [DEFAULT expr]. The rows already stored read the DEFAULT evaluated
// once (design 071), so a volatile one is noted for the engine to refuse.
func (t *translator) addColumn(at *AlterTable, cmd *pg.AlterTableCmd) {
	cd := cmd.Def.GetColumnDef()
	if cd == nil {
		t.unsupported("this ADD form of ALTER TABLE")
		return
	}
	for _, a := range at.Add {
		if a.Column.Name == cd.Colname {
			t.fail(pgerror.DuplicateColumn, "column %q specified more than once", cd.Colname)
		}
	}
	add := AddColumn{Column: ColumnDef{Name: cd.Colname, Type: t.typeName(cd.TypeName), NotNull: cd.IsNotNull}, IfNotExists: cmd.MissingOk}
	for _, cn := range cd.Constraints {
		switch c := cn.GetConstraint(); c.GetContype() {
		case pg.ConstrType_CONSTR_NULL:
		case pg.ConstrType_CONSTR_NOTNULL:
			add.Column.NotNull = true
		case pg.ConstrType_CONSTR_DEFAULT:
			add.Column.Default = t.defaultExpr(c.RawExpr)
			add.Volatile = volatileCall(c.RawExpr)
		default:
			t.unsupported("column constraint " + strings.TrimPrefix(c.GetContype().String(), "CONSTR_") + " in ADD COLUMN")
		}
	}
	at.Add = append(at.Add, add)
}

func (t *translator) createTable(s *pg.CreateStmt) *CreateTable {
	if s.Partspec != nil || len(s.InhRelations) > 0 || s.OfTypename != nil {
		t.unsupported("CREATE TABLE with PARTITION BY, INHERITS or OF")
	}
	ct := &CreateTable{Name: t.rangeVarName(s.Relation), IfNotExists: s.IfNotExists, Options: map[string]string{}}
	seen := map[string]bool{}
	for _, e := range s.TableElts {
		cd := e.GetColumnDef()
		if cd == nil {
			if c := e.GetConstraint(); c != nil {
				// Table constraints are accepted and not enforced (observability
				// tables have no keys); CHECK and FOREIGN KEY are refused.
				switch c.Contype {
				case pg.ConstrType_CONSTR_PRIMARY, pg.ConstrType_CONSTR_UNIQUE:
					continue
				}
				t.unsupported("table constraint " + strings.TrimPrefix(c.Contype.String(), "CONSTR_"))
			}
			t.unsupported("this CREATE TABLE element")
		}
		if seen[cd.Colname] {
			t.fail(pgerror.DuplicateColumn, "column %q specified more than once", cd.Colname)
		}
		seen[cd.Colname] = true
		typ := t.typeName(cd.TypeName)
		col := ColumnDef{Name: cd.Colname, Type: typ, NotNull: cd.IsNotNull}
		for _, cn := range cd.Constraints {
			c := cn.GetConstraint()
			switch c.GetContype() {
			case pg.ConstrType_CONSTR_NOTNULL, pg.ConstrType_CONSTR_PRIMARY:
				col.NotNull = true
			case pg.ConstrType_CONSTR_NULL, pg.ConstrType_CONSTR_UNIQUE:
			case pg.ConstrType_CONSTR_DEFAULT:
				col.Default = t.defaultExpr(c.RawExpr)
			default:
				t.unsupported("column constraint " + strings.TrimPrefix(c.GetContype().String(), "CONSTR_"))
			}
		}
		ct.Columns = append(ct.Columns, col)
	}
	if len(ct.Columns) == 0 {
		t.fail(pgerror.InvalidTableDefinition, "a table needs at least one column")
	}
	for _, o := range s.Options {
		de := o.GetDefElem()
		if de == nil {
			continue
		}
		v := t.defElemValue(de)
		switch de.Defname {
		case "time_column":
			ct.TimeColumn = v
		case "shard_duration":
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute {
				t.fail(pgerror.InvalidParameterValue, "invalid shard_duration %q: use a Go duration of at least 1m, e.g. '1h'", v)
			}
			ct.ShardDuration = d
		case index.OptionBloomColumns, index.OptionGramColumns:
			for _, name := range index.SplitColumns(v) {
				if !slices.ContainsFunc(ct.Columns, func(c ColumnDef) bool { return c.Name == name }) {
					t.fail(pgerror.UndefinedColumn, "column %q of table option %s does not exist", name, de.Defname)
				}
			}
		case compact.RetentionOption:
			t.checkRetention(v)
		default:
			t.fail(pgerror.InvalidParameterValue, "unrecognized table option %q (known: time_column, shard_duration, retention, bloom_columns, ngram_columns)", de.Defname)
		}
		ct.Options[de.Defname] = v
	}
	if ct.TimeColumn != "" {
		found := false
		for _, c := range ct.Columns {
			if c.Name == ct.TimeColumn {
				found = true
				if c.Type != storage.TypeTimestampTZ && c.Type != storage.TypeTimestamp {
					t.fail(pgerror.InvalidTableDefinition, "time column %q must be timestamptz or timestamp, not %s", c.Name, c.Type)
				}
			}
		}
		if !found {
			t.fail(pgerror.UndefinedColumn, "time column %q does not exist", ct.TimeColumn)
		}
	} else {
		for _, c := range ct.Columns {
			if c.Type == storage.TypeTimestampTZ || c.Type == storage.TypeTimestamp {
				ct.TimeColumn = c.Name
				break
			}
		}
	}
	return ct
}

func (t *translator) defElemValue(de *pg.DefElem) string {
	if de.Arg == nil {
		return "true"
	}
	if s := de.Arg.GetString_(); s != nil {
		return s.Sval
	}
	if i := de.Arg.GetInteger(); i != nil {
		return strconv.Itoa(int(i.Ival))
	}
	if tn := de.Arg.GetTypeName(); tn != nil && len(tn.Names) > 0 {
		return tn.Names[len(tn.Names)-1].GetString_().Sval
	}
	if c := de.Arg.GetAConst(); c != nil && c.GetSval() != nil {
		return c.GetSval().Sval
	}
	t.fail(pgerror.InvalidParameterValue, "invalid value for option %q", de.Defname)
	return ""
}

// typeName returns the canonical type for a PostgreSQL type name.
func (t *translator) typeName(tn *pg.TypeName) string {
	if tn == nil {
		t.fail(pgerror.SyntaxError, "missing type")
	}
	if len(tn.ArrayBounds) > 0 {
		return t.arrayTypeName(tn)
	}
	var parts []string
	for _, n := range tn.Names {
		parts = append(parts, n.GetString_().Sval)
	}
	name := parts[len(parts)-1]
	if len(parts) == 2 && parts[0] != "pg_catalog" {
		t.fail(pgerror.UndefinedObject, "type %q does not exist", strings.Join(parts, "."))
	}
	var mods []int32
	for _, m := range tn.Typmods {
		if c := m.GetAConst(); c != nil && c.GetIval() != nil {
			mods = append(mods, c.GetIval().Ival)
		}
	}
	switch name {
	case "numeric", "decimal", "varchar", "bpchar":
	default:
		mods = nil
	}
	typ, err := storage.CanonicalType(name, mods)
	if err != nil && (name == "varchar" || name == "bpchar") {
		t.fail(pgerror.InvalidParameterValue, "%s", err.Error())
	}
	if err != nil {
		if strings.Contains(err.Error(), "not supported") && isKnownPGType(name) {
			t.unsupported("type " + name)
		}
		t.fail(pgerror.UndefinedObject, "type %q does not exist", name)
	}
	return typ
}

func isKnownPGType(name string) bool {
	switch name {
	case "interval", "time", "timetz", "uuid", "inet", "cidr", "macaddr", "money", "bit", "varbit",
		"xml", "point", "line", "lseg", "box", "path", "polygon", "circle", "tsvector", "tsquery",
		"int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange", "oid", "regclass":
		return true
	}
	return strings.HasPrefix(name, "numeric")
}

func (t *translator) insert(s *pg.InsertStmt) *ast.Insert {
	t.onConflict(s)
	if s.WithClause != nil {
		t.unsupported("WITH on INSERT")
	}
	ins := &ast.Insert{Action: ast.InsertStr, Table: ast.TableName{Name: ast.NewTableIdent(t.rangeVarName(s.Relation))}}
	if len(s.ReturningList) > 0 {
		ins.Returning = t.returning(s)
	}
	for _, c := range s.Cols {
		rt := c.GetResTarget()
		if len(rt.Indirection) > 0 {
			t.unsupported("INSERT into a column subfield")
		}
		t.checkInsertColumn(s.Relation, rt)
		ins.Columns = append(ins.Columns, ast.NewColIdent(rt.Name))
	}
	if s.SelectStmt == nil {
		// INSERT ... DEFAULT VALUES
		ins.Rows = &ast.AliasedValues{Values: ast.Values{ast.ValTuple{}}}
		return ins
	}
	sel := s.SelectStmt.GetSelectStmt()
	if len(sel.ValuesLists) > 0 && sel.Op == pg.SetOperation_SETOP_NONE && len(sel.SortClause) == 0 && sel.LimitCount == nil {
		vals := make(ast.Values, 0, len(sel.ValuesLists))
		for _, l := range sel.ValuesLists {
			var tuple ast.ValTuple
			for _, e := range l.GetList().GetItems() {
				if e.GetSetToDefault() != nil {
					tuple = append(tuple, &ast.Default{})
					continue
				}
				x := t.expr(e)
				if hasAggregate(x) {
					// go-mysql-server would evaluate it over no rows and insert the result.
					t.fail(pgerror.GroupingError, "aggregate functions are not allowed in VALUES")
				}
				tuple = append(tuple, x)
			}
			vals = append(vals, tuple)
		}
		t.insertValuesWidth(ins, vals)
		ins.Rows = &ast.AliasedValues{Values: vals}
		return ins
	}
	ins.Rows = t.selectStmt(sel, false)
	return ins
}

// selectStmt translates a SELECT (top level or nested).
func (t *translator) selectStmt(s *pg.SelectStmt, top bool) ast.SelectStatement {
	if s.IntoClause != nil {
		t.unsupported("SELECT INTO")
	}
	if len(s.LockingClause) > 0 {
		t.unsupported("SELECT ... FOR UPDATE/SHARE")
	}
	var with *ast.With
	if s.WithClause != nil {
		with = t.with(s.WithClause)
	}
	var (
		out   ast.SelectStatement
		using map[string]ast.Expr // the FULL JOIN USING columns ORDER BY sees
	)
	switch s.Op {
	case pg.SetOperation_SETOP_NONE:
		if len(s.ValuesLists) > 0 {
			out = t.values(s)
		} else if isDistinctOn(s) {
			out = t.distinctOn(s)
			if with != nil {
				out.SetWith(with)
			}
			return out
		} else {
			out = t.simpleSelect(s)
			using = t.lastFullUsing
		}
	default:
		op := map[pg.SetOperation]string{
			pg.SetOperation_SETOP_UNION:     ast.UnionStr,
			pg.SetOperation_SETOP_INTERSECT: ast.IntersectStr,
			pg.SetOperation_SETOP_EXCEPT:    ast.ExceptStr,
		}[s.Op]
		if s.All {
			op += " all"
		} else {
			op += " distinct"
		}
		out = &ast.SetOp{Type: op, Left: t.selectStmt(s.Larg, false), Right: t.selectStmt(s.Rarg, false)}
	}
	if sel, ok := out.(*ast.Select); len(s.SortClause) > 0 && !(ok && t.ordered[sel]) {
		saved, savedSel := t.fullUsing, t.orderSel
		t.fullUsing, t.orderSel = using, s
		out.SetOrderBy(t.orderBy(s.SortClause, out))
		t.fullUsing, t.orderSel = saved, savedSel
	}
	if s.LimitCount != nil || s.LimitOffset != nil {
		if s.LimitOption == pg.LimitOption_LIMIT_OPTION_WITH_TIES {
			t.unsupported("FETCH ... WITH TIES")
		}
		lim := &ast.Limit{}
		if s.LimitCount != nil && s.LimitCount.GetAConst().GetIsnull() == false {
			lim.Rowcount = t.limitExpr(s.LimitCount, false)
		}
		if s.LimitOffset != nil && s.LimitOffset.GetAConst().GetIsnull() == false {
			lim.Offset = t.limitExpr(s.LimitOffset, true)
		}
		if lim.Rowcount == nil && lim.Offset != nil {
			lim.Rowcount = ast.NewIntVal([]byte("9223372036854775807"))
		}
		if lim.Rowcount != nil {
			out.SetLimit(lim)
		}
	}
	if so, ok := out.(*ast.SetOp); ok {
		t.unifySetOp(so)
	}
	if with != nil {
		out.SetWith(with)
	}
	return out
}

func (t *translator) with(w *pg.WithClause) *ast.With {
	out := &ast.With{Recursive: w.Recursive}
	seen := map[string]bool{}
	for _, c := range w.Ctes {
		cte := c.GetCommonTableExpr()
		if t.cteNames == nil {
			t.cteNames = map[string]bool{}
		}
		t.cteNames[cte.Ctename] = true
		if seen[cte.Ctename] {
			t.fail("42712", "WITH query name %q specified more than once", cte.Ctename)
		}
		seen[cte.Ctename] = true
		sel := cte.Ctequery.GetSelectStmt()
		if sel == nil {
			t.unsupported("data-modifying statements in WITH")
		}
		if w.Recursive {
			t.checkRecursiveCTE(cte, sel)
		}
		var cols ast.Columns
		for _, n := range cte.Aliascolnames {
			cols = append(cols, ast.NewColIdent(n.GetString_().Sval))
		}
		if renameLeading(sel, cte.Aliascolnames) {
			cols = nil
		}
		out.Ctes = append(out.Ctes, &ast.CommonTableExpr{
			AliasedTableExpr: &ast.AliasedTableExpr{
				Expr: &ast.Subquery{Select: t.selectStmt(sel, false)},
				As:   ast.NewTableIdent(cte.Ctename),
			},
			Columns: cols,
		})
	}
	return out
}

// renameLeading applies a column alias list that is shorter than the
// query's output (PostgreSQL renames the leading columns and keeps the
// others' names) by renaming the leading output expressions of the query
// (the leftmost branch of a set operation names the columns). It reports
// whether it did; it does nothing when the list is empty, not shorter, or
// a renamed position is a * (then go-mysql-server's own check decides).
func renameLeading(sel *pg.SelectStmt, names []*pg.Node) bool {
	if sel == nil || len(names) == 0 {
		return false
	}
	for sel.Op != pg.SetOperation_SETOP_NONE && sel.Larg != nil {
		sel = sel.Larg
	}
	if len(sel.ValuesLists) > 0 || len(names) >= len(sel.TargetList) {
		return false
	}
	for _, tn := range sel.TargetList[:len(names)] {
		rt := tn.GetResTarget()
		if rt == nil {
			return false
		}
		if cr := rt.Val.GetColumnRef(); cr != nil {
			for _, f := range cr.Fields {
				if f.GetAStar() != nil {
					return false
				}
			}
		}
	}
	for i, n := range names {
		sel.TargetList[i].GetResTarget().Name = n.GetString_().Sval
	}
	return true
}

func (t *translator) values(s *pg.SelectStmt) ast.SelectStatement {
	var rows ast.Values
	width := -1
	for _, l := range s.ValuesLists {
		var tuple ast.ValTuple
		for _, e := range l.GetList().GetItems() {
			tuple = append(tuple, t.expr(e))
		}
		if width >= 0 && len(tuple) != width {
			t.fail(pgerror.SyntaxError, "VALUES lists must all be the same length")
		}
		width = len(tuple)
		rows = append(rows, tuple)
	}
	t.unifyValues(rows)
	cols := make(ast.Columns, width)
	var exprs ast.SelectExprs
	for i := range cols {
		name := fmt.Sprintf("column%d", i+1)
		cols[i] = ast.NewColIdent(name)
		exprs = append(exprs, &ast.AliasedExpr{Expr: &ast.ColName{Name: cols[i]}, As: cols[i]})
	}
	return &ast.Select{
		SelectExprs: exprs,
		From: ast.TableExprs{&ast.AliasedTableExpr{
			Expr: &ast.ValuesStatement{Rows: rows, Columns: cols},
			As:   ast.NewTableIdent("*VALUES*"),
		}},
	}
}

func (t *translator) simpleSelect(s *pg.SelectStmt) *ast.Select {
	// A subquery has its own WHERE and aggregates.
	savedWhere, savedAgg, savedUsing, savedWindows, savedInWindow := t.inWhere, t.inAggregate, t.fullUsing, t.windows, t.inWindow
	t.inWhere, t.inAggregate, t.fullUsing, t.inWindow = false, false, nil, false
	t.windows = t.windowClause(s.WindowClause)
	defer func() {
		t.inWhere, t.inAggregate, t.fullUsing, t.windows, t.inWindow = savedWhere, savedAgg, savedUsing, savedWindows, savedInWindow
	}()
	if what := selectListSRF(s); what != "" {
		t.unsupported(what)
	}
	sel := &ast.Select{}
	if len(s.DistinctClause) > 0 {
		if len(s.DistinctClause) == 1 && s.DistinctClause[0].GetNode() == nil {
			sel.QueryOpts.Distinct = true
		}
	}
	savedFrom := t.from
	t.from = s.FromClause
	defer func() { t.from = savedFrom }()
	// FROM first: FULL JOIN ... USING decides what its columns mean.
	for _, f := range s.FromClause {
		sel.From = append(sel.From, t.tableExpr(f))
	}
	for _, n := range s.TargetList {
		if exprs, ok := t.fullUsingStar(n.GetResTarget()); ok {
			sel.SelectExprs = append(sel.SelectExprs, exprs...)
			continue
		}
		sel.SelectExprs = append(sel.SelectExprs, t.target(n.GetResTarget()))
	}
	if s.WhereClause != nil {
		t.inWhere = true
		sel.Where = &ast.Where{Type: ast.WhereStr, Expr: t.expr(s.WhereClause)}
		t.inWhere = false
	}
	// GROUP BY: its grouping sets (grouping_sets.go), each item translated.
	pgSets, multi := t.groupingSets(s.GroupClause)
	sets := make([][]ast.Expr, len(pgSets))
	seen := map[string]bool{}
	for i, ps := range pgSets {
		for _, g := range ps {
			e := t.groupItem(g, sel.SelectExprs)
			sets[i] = append(sets[i], e)
			if k := exprKey(e); !seen[k] {
				seen[k] = true
				sel.GroupBy = append(sel.GroupBy, e)
			}
		}
	}
	if s.GroupDistinct {
		sets = distinctSets(sets)
	}
	if s.HavingClause != nil {
		sel.Having = &ast.Where{Type: ast.HavingStr, Expr: t.expr(s.HavingClause)}
	}
	t.checkGrouping(sel)
	t.probes = append(t.probes, t.ambiguityProbes(s, sel.From)...)
	t.lastFullUsing = t.fullUsing
	if needsGroupedDerivation(sel, multi, s.SortClause) {
		out := t.groupedSelect(sel, sets, t.orderBy(s.SortClause, sel))
		if t.ordered == nil {
			t.ordered = map[*ast.Select]bool{}
		}
		t.ordered[out] = true
		return out
	}
	return sel
}

// groupItem translates a GROUP BY item. Integer constants are positions;
// bare names that match an output alias refer to that output expression, as
// in PostgreSQL (input columns take precedence, which go-mysql-server's own
// resolution also does).
func (t *translator) groupItem(g *pg.Node, exprs ast.SelectExprs) ast.Expr {
	if c := g.GetAConst(); c != nil && c.GetIval() != nil {
		pos := int(c.GetIval().Ival)
		if pos < 1 || pos > len(exprs) {
			t.fail(pgerror.InvalidColumnReference, "GROUP BY position %d is not in select list", pos)
		}
		ae, ok := exprs[pos-1].(*ast.AliasedExpr)
		if !ok {
			t.unsupported("GROUP BY position of *")
		}
		if hasAggregate(ae.Expr) {
			t.fail(pgerror.GroupingError, "aggregate functions are not allowed in GROUP BY")
		}
		return ae.Expr
	}
	e := t.expr(g)
	if hasWindow(e) {
		t.fail(pgerror.WindowingError, "window functions are not allowed in GROUP BY")
	}
	if hasAggregate(e) {
		t.fail(pgerror.GroupingError, "aggregate functions are not allowed in GROUP BY")
	}
	return e
}

func (t *translator) orderBy(items []*pg.Node, sel ast.SelectStatement) ast.OrderBy {
	var exprs ast.SelectExprs
	if s, ok := sel.(*ast.Select); ok {
		exprs = s.SelectExprs
	}
	// With a * in the select list the positions count the expanded
	// columns, which go-mysql-server knows: it checks them.
	star := false
	for _, e := range exprs {
		if _, ok := e.(*ast.StarExpr); ok {
			star = true
		}
	}
	key := func(e ast.Expr) ast.Expr { return t.orderKeyExpr(e, exprs) }
	if s, ok := sel.(*ast.SetOp); ok {
		key = func(e ast.Expr) ast.Expr { return t.setOpOrderKey(e, s) }
	}
	var out ast.OrderBy
	for _, n := range items {
		sb := n.GetSortBy()
		if len(sb.UseOp) > 0 {
			t.unsupported("ORDER BY ... USING")
		}
		var e ast.Expr
		if c := sb.Node.GetAConst(); c != nil && c.GetIval() != nil {
			pos := int(c.GetIval().Ival)
			if pos < 1 || (exprs != nil && !star && pos > len(exprs)) || (star && pos > t.starWidth(sel, exprs)) {
				t.fail(pgerror.InvalidColumnReference, "ORDER BY position %d is not in select list", pos)
			}
			if so, ok := sel.(*ast.SetOp); ok {
				t.checkSetOpOrderPosition(pos, so)
			}
			e = ast.NewIntVal([]byte(strconv.Itoa(pos)))
			if exprs != nil && !star {
				if ae, ok := exprs[pos-1].(*ast.AliasedExpr); ok && !ae.As.IsEmpty() && uniqueAlias(exprs, ae.As.String()) {
					e = &ast.ColName{Name: ae.As}
				}
			}
		} else {
			if so, ok := sel.(*ast.SetOp); ok {
				t.checkSetOpOrderKey(sb.Node, so)
			}
			e = t.expr(sb.Node)
			if s, ok := sel.(*ast.Select); ok {
				t.checkDistinctOrderKey(e, s)
			}
		}
		dir := ast.AscScr
		if sb.SortbyDir == pg.SortByDir_SORTBY_DESC {
			dir = ast.DescScr
		}
		// PostgreSQL's default: NULLS LAST ascending, NULLS FIRST descending;
		// a post-analysis rule makes go-mysql-server's sorts follow it. An
		// explicit NULLS FIRST/LAST that differs from the default becomes a
		// leading "IS NULL" key.
		desc := dir == ast.DescScr
		switch sb.SortbyNulls {
		case pg.SortByNulls_SORTBY_NULLS_FIRST:
			if !desc {
				out = append(out, &ast.Order{Expr: &ast.IsExpr{Operator: ast.IsNullStr, Expr: key(e)}, Direction: ast.DescScr})
			}
		case pg.SortByNulls_SORTBY_NULLS_LAST:
			if desc {
				out = append(out, &ast.Order{Expr: &ast.IsExpr{Operator: ast.IsNullStr, Expr: key(e)}, Direction: ast.AscScr})
			}
		}
		out = append(out, &ast.Order{Expr: e, Direction: dir})
	}
	return out
}

// setOpOrderKey resolves an ORDER BY position of a set operation to the
// output column's name, which the leftmost input's select list gives (for
// use inside another expression, where go-mysql-server does not accept
// positions). Names are already output columns.
func (t *translator) setOpOrderKey(e ast.Expr, s *ast.SetOp) ast.Expr {
	v, ok := e.(*ast.SQLVal)
	if !ok || v.Type != ast.IntVal {
		return e
	}
	pos, _ := strconv.Atoi(string(v.Val))
	if sel, ok := leftmostSelect(s); ok && pos >= 1 && pos <= len(sel.SelectExprs) {
		if ae, ok := sel.SelectExprs[pos-1].(*ast.AliasedExpr); ok && !ae.As.IsEmpty() {
			return &ast.ColName{Name: ae.As}
		}
	}
	t.unsupported("NULLS FIRST/LAST on this set operation position")
	return e
}

// leftmostSelect returns the input of a set operation that names its
// output columns.
func leftmostSelect(s *ast.SetOp) (*ast.Select, bool) {
	var left ast.SelectStatement = s
	for {
		op, ok := left.(*ast.SetOp)
		if !ok {
			break
		}
		left = op.Left
	}
	sel, ok := left.(*ast.Select)
	return sel, ok
}

// checkSetOpOrderKey fails like PostgreSQL on an ORDER BY key of a set
// operation that is not an output column: an expression (0A000), a
// qualified name (42P01) or a name no output column has (42703).
func (t *translator) checkSetOpOrderKey(n *pg.Node, s *ast.SetOp) {
	cr := n.GetColumnRef()
	if cr == nil {
		panic(failure{&pgerror.Error{Code: pgerror.FeatureNotSupported, Message: "invalid UNION/INTERSECT/EXCEPT ORDER BY clause",
			Detail: "Only result column names can be used, not expressions or functions."}})
	}
	if len(cr.Fields) > 1 {
		if q := cr.Fields[0].GetString_(); q != nil {
			t.fail(pgerror.UndefinedTable, "missing FROM-clause entry for table %q", q.Sval)
		}
		return
	}
	name := cr.Fields[0].GetString_()
	sel, ok := leftmostSelect(s)
	if name == nil || !ok {
		return
	}
	for _, se := range sel.SelectExprs {
		ae, ok := se.(*ast.AliasedExpr)
		if !ok {
			return // a *: go-mysql-server resolves the name
		}
		if ae.As.String() == name.Sval {
			return
		}
	}
	t.fail(pgerror.UndefinedColumn, "column %q does not exist", name.Sval)
}

// orderKeyExpr resolves an ORDER BY position to its expression (for use
// inside another expression, where go-mysql-server does not accept
// positions).
func (t *translator) orderKeyExpr(e ast.Expr, exprs ast.SelectExprs) ast.Expr {
	if c, ok := e.(*ast.ColName); ok && c.Qualifier.IsEmpty() {
		for _, se := range exprs {
			if ae, ok := se.(*ast.AliasedExpr); ok && ae.As.String() == c.Name.String() {
				if inner, ok := ae.Expr.(*ast.ColName); !ok || inner.Name.String() != c.Name.String() {
					return ae.Expr
				}
			}
		}
	}
	if v, ok := e.(*ast.SQLVal); ok && v.Type == ast.IntVal && exprs != nil {
		pos, _ := strconv.Atoi(string(v.Val))
		if ae, ok := exprs[pos-1].(*ast.AliasedExpr); ok {
			if !ae.As.IsEmpty() {
				return &ast.ColName{Name: ae.As}
			}
			return ae.Expr
		}
		t.unsupported("NULLS FIRST/LAST on a * position")
	}
	return e
}

func (t *translator) target(rt *pg.ResTarget) ast.SelectExpr {
	if len(rt.Indirection) > 0 {
		t.unsupported("subscripts in the select list")
	}
	if cr := rt.Val.GetColumnRef(); cr != nil {
		last := cr.Fields[len(cr.Fields)-1]
		if last.GetAStar() != nil {
			if len(t.fullUsing) > 0 {
				t.unsupported("* over FULL JOIN ... USING")
			}
			star := &ast.StarExpr{}
			if len(cr.Fields) == 3 {
				if err := t.schemaQualifier(cr.Fields[0].GetString_().GetSval(), cr.Fields[1].GetString_().GetSval(), cr.Location); err != nil {
					return &ast.AliasedExpr{Expr: qualifierError(err), As: ast.NewColIdent("?column?")}
				}
			}
			if len(cr.Fields) > 1 {
				if err := t.badQualifier(cr.Fields[len(cr.Fields)-2].GetString_().GetSval(), cr.Location); err != nil {
					return &ast.AliasedExpr{Expr: qualifierError(err), As: ast.NewColIdent("?column?")}
				}
				star.TableName = ast.TableName{Name: ast.NewTableIdent(cr.Fields[len(cr.Fields)-2].GetString_().Sval)}
			}
			return star
		}
	}
	e := t.expr(rt.Val)
	name := rt.Name
	if name == "" {
		name = ColumnName(rt.Val)
	}
	return &ast.AliasedExpr{Expr: e, As: ast.NewColIdent(name)}
}

// ColumnName is PostgreSQL's name for an unaliased select-list expression.
func ColumnName(n *pg.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		if s := f[len(f)-1].GetString_(); s != nil {
			return s.Sval
		}
	case n.GetFuncCall() != nil:
		f := n.GetFuncCall().Funcname
		return f[len(f)-1].GetString_().Sval
	case n.GetTypeCast() != nil:
		tc := n.GetTypeCast()
		if nameStrength(tc.Arg) > 1 {
			return ColumnName(tc.Arg)
		}
		names := tc.TypeName.Names
		return pgTypeDisplayName(names[len(names)-1].GetString_().Sval)
	case n.GetCaseExpr() != nil:
		// The ELSE branch names the column when its name is strong
		// (CASE ... ELSE b END is "b").
		if d := n.GetCaseExpr().Defresult; d != nil && nameStrength(d) > 1 {
			return ColumnName(d)
		}
		return "case"
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetAIndirection() != nil:
		// The last field name, else (subscripts) the argument's name.
		ai := n.GetAIndirection()
		for i := len(ai.Indirection) - 1; i >= 0; i-- {
			if s := ai.Indirection[i].GetString_(); s != nil {
				return s.Sval
			}
		}
		return ColumnName(ai.Arg)
	case n.GetAArrayExpr() != nil:
		return "array"
	case n.GetGroupingFunc() != nil:
		return "grouping"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().Op == pg.MinMaxOp_IS_GREATEST {
			return "greatest"
		}
		return "least"
	case n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	case n.GetSqlvalueFunction() != nil:
		return sqlValueFunctionName(n.GetSqlvalueFunction().Op)
	case n.GetSubLink() != nil:
		sl := n.GetSubLink()
		switch sl.SubLinkType {
		case pg.SubLinkType_EXISTS_SUBLINK:
			return "exists"
		case pg.SubLinkType_ARRAY_SUBLINK:
			return "array"
		case pg.SubLinkType_EXPR_SUBLINK:
			if sel := sl.Subselect.GetSelectStmt(); sel != nil && len(sel.TargetList) == 1 {
				rt := sel.TargetList[0].GetResTarget()
				if rt.Name != "" {
					return rt.Name
				}
				return ColumnName(rt.Val)
			}
		}
	}
	return "?column?"
}

// nameStrength is how firmly ColumnName names n, as PostgreSQL's
// FigureColname ranks it: 0 for "?column?", 1 for a name from a type or
// "case", 2 for a column, function or keyword name. A cast or CASE
// passes on its argument's or ELSE branch's name only when it is 2.
func nameStrength(n *pg.Node) int {
	switch {
	case n == nil:
		return 0
	case n.GetColumnRef() != nil:
		f := n.GetColumnRef().Fields
		if f[len(f)-1].GetString_() != nil {
			return 2
		}
		return 0
	case n.GetTypeCast() != nil:
		return max(nameStrength(n.GetTypeCast().Arg), 1)
	case n.GetCaseExpr() != nil:
		return max(nameStrength(n.GetCaseExpr().Defresult), 1)
	case n.GetAIndirection() != nil:
		for _, i := range n.GetAIndirection().Indirection {
			if i.GetString_() != nil {
				return 2
			}
		}
		return nameStrength(n.GetAIndirection().Arg)
	case n.GetFuncCall() != nil, n.GetCoalesceExpr() != nil, n.GetMinMaxExpr() != nil, n.GetSqlvalueFunction() != nil,
		n.GetAExpr() != nil && n.GetAExpr().Kind == pg.A_Expr_Kind_AEXPR_NULLIF:
		return 2
	}
	if ColumnName(n) == "?column?" {
		return 0
	}
	return 2
}

func pgTypeDisplayName(n string) string {
	switch n {
	case "int4", "int", "integer":
		return "int4"
	case "int8", "bigint":
		return "int8"
	case "int2", "smallint":
		return "int2"
	case "float8", "double precision":
		return "float8"
	case "float4", "real":
		return "float4"
	case "bool", "boolean":
		return "bool"
	case "varchar":
		return "varchar"
	case "decimal":
		return "numeric"
	}
	return n
}

func sqlValueFunctionName(op pg.SQLValueFunctionOp) string {
	switch op {
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return "current_date"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return "current_timestamp"
	case pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return "localtimestamp"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_USER:
		return "current_user"
	case pg.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return "session_user"
	case pg.SQLValueFunctionOp_SVFOP_USER:
		return "user"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return "current_catalog"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return "current_schema"
	case pg.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return "current_role"
	}
	return "?column?"
}

func (t *translator) tableExpr(n *pg.Node) ast.TableExpr {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		tn := ast.TableName{Name: ast.NewTableIdent(rv.Relname)}
		if rv.Schemaname == "pg_catalog" && (rv.Catalogname == "" || rv.Catalogname == "openwit") {
			tn.DbQualifier = ast.NewTableIdent("pg_catalog")
		} else if rv.Schemaname == "information_schema" && (rv.Catalogname == "" || rv.Catalogname == "openwit") {
			// go-mysql-server answers for its own (MySQL) information_schema:
			// PostgreSQL's views live in the pg_catalog database under a
			// prefix, aliased back to their name.
			tn.DbQualifier = ast.NewTableIdent("pg_catalog")
			tn.Name = ast.NewTableIdent(InformationSchemaPrefix + rv.Relname)
		} else {
			tn.Name = ast.NewTableIdent(t.rangeVarName(rv))
		}
		ate := &ast.AliasedTableExpr{Expr: tn}
		if rv.Schemaname == "information_schema" {
			ate.As = ast.NewTableIdent(rv.Relname)
		}
		if rv.Alias != nil {
			if len(rv.Alias.Colnames) > 0 {
				t.unsupported("column aliases on a table")
			}
			ate.As = ast.NewTableIdent(rv.Alias.Aliasname)
		}
		return ate
	case n.GetJoinExpr() != nil:
		return t.join(n.GetJoinExpr())
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		if rs.Alias == nil {
			t.fail(pgerror.SyntaxError, "subquery in FROM must have an alias")
		}
		sub := rs.Subquery.GetSelectStmt()
		colnames := rs.Alias.Colnames
		if renameLeading(sub, colnames) {
			colnames = nil
		}
		sq := &ast.Subquery{Select: t.selectStmt(sub, false)}
		if rs.Lateral {
			lateralWhereWithoutFrom(sq.Select) // nofrom_planmisc.go
		}
		for _, c := range colnames {
			sq.Columns = append(sq.Columns, ast.NewColIdent(c.GetString_().Sval))
		}
		return &ast.AliasedTableExpr{Expr: sq, As: ast.NewTableIdent(rs.Alias.Aliasname), Lateral: rs.Lateral}
	case n.GetRangeFunction() != nil:
		return t.rangeFunction(n.GetRangeFunction())
	}
	t.unsupported("this FROM item")
	return nil
}

func (t *translator) join(j *pg.JoinExpr) ast.TableExpr {
	if j.Alias != nil {
		t.unsupported("an alias on a JOIN")
	}
	var kind string
	switch j.Jointype {
	case pg.JoinType_JOIN_INNER:
		kind = ast.JoinStr
		if j.Quals == nil && len(j.UsingClause) == 0 && !j.IsNatural {
			kind = ast.JoinStr // CROSS JOIN
		}
	case pg.JoinType_JOIN_LEFT:
		kind = ast.LeftJoinStr
	case pg.JoinType_JOIN_RIGHT:
		kind = ast.RightJoinStr
	case pg.JoinType_JOIN_FULL:
		kind = ast.FullOuterJoinStr
	default:
		t.unsupported("join type " + j.Jointype.String())
	}
	if j.IsNatural {
		switch kind {
		case ast.JoinStr:
			kind = ast.NaturalJoinStr
		case ast.LeftJoinStr:
			kind = ast.NaturalLeftJoinStr
		case ast.RightJoinStr:
			kind = ast.NaturalRightJoinStr
		default:
			t.unsupported("NATURAL FULL JOIN")
		}
	}
	t.checkLateralOuter(j)
	out := &ast.JoinTableExpr{LeftExpr: t.tableExpr(j.Larg), Join: kind, RightExpr: t.tableExpr(j.Rarg)}
	if j.Quals != nil {
		out.Condition.On = t.expr(j.Quals)
		if b, ok := out.Condition.On.(ast.BoolVal); ok && bool(b) && kind != ast.JoinStr {
			// go-mysql-server builds any join ON a literal true as a
			// cross join, which drops the outer rows without a match.
			out.Condition.On = &ast.ParenExpr{Expr: b}
		}
	}
	if kind == ast.FullOuterJoinStr && len(j.UsingClause) > 0 {
		t.fullJoinUsing(j, out)
		return out
	}
	for _, u := range j.UsingClause {
		out.Condition.Using = append(out.Condition.Using, ast.NewColIdent(u.GetString_().Sval))
	}
	if kind == ast.JoinStr && out.Condition.On == nil && out.Condition.Using == nil {
		out.Condition.On = ast.BoolVal(true)
	}
	return out
}

// fullJoinUsing translates FULL JOIN ... USING (c, ...), which
// go-mysql-server lacks, into FULL JOIN ... ON l.c = r.c AND ...; an
// unqualified c in the same SELECT then means coalesce(l.c, r.c), as in
// PostgreSQL. Both sides must be tables or subqueries with a name.
func (t *translator) fullJoinUsing(j *pg.JoinExpr, out *ast.JoinTableExpr) {
	left, right := fromItemName(j.Larg), fromItemName(j.Rarg)
	if left == "" || right == "" {
		t.unsupported("FULL JOIN ... USING over a nested join")
	}
	if t.fullUsing == nil {
		t.fullUsing = map[string]ast.Expr{}
	}
	for _, u := range j.UsingClause {
		c := u.GetString_().Sval
		l := &ast.ColName{Name: ast.NewColIdent(c), Qualifier: ast.TableName{Name: ast.NewTableIdent(left)}}
		r := &ast.ColName{Name: ast.NewColIdent(c), Qualifier: ast.TableName{Name: ast.NewTableIdent(right)}}
		var eq ast.Expr = &ast.ComparisonExpr{Operator: ast.EqualStr, Left: l, Right: r}
		if out.Condition.On != nil {
			eq = &ast.AndExpr{Left: out.Condition.On, Right: eq}
		}
		out.Condition.On = eq
		t.fullUsing[c] = &ast.FuncExpr{Name: ast.NewColIdent("coalesce"), Exprs: ast.SelectExprs{&ast.AliasedExpr{Expr: l}, &ast.AliasedExpr{Expr: r}}}
	}
}

// fromItemName is the name a table or aliased subquery in FROM is referred
// to by; "" for other items.
func fromItemName(n *pg.Node) string {
	if rv := n.GetRangeVar(); rv != nil {
		if rv.Alias != nil {
			return rv.Alias.Aliasname
		}
		return rv.Relname
	}
	if rs := n.GetRangeSubselect(); rs != nil && rs.Alias != nil {
		return rs.Alias.Aliasname
	}
	return ""
}

func uniqueAlias(exprs ast.SelectExprs, name string) bool {
	n := 0
	for _, se := range exprs {
		if ae, ok := se.(*ast.AliasedExpr); ok && ae.As.String() == name {
			n++
		}
	}
	return n == 1
}

// rangeFunction translates a function in FROM (generate_series). The output
// column is named like PostgreSQL: the column alias, else the table alias,
// else the function name; it is passed to the table function as a hidden
// first argument.
func (t *translator) rangeFunction(rf *pg.RangeFunction) ast.TableExpr {
	if e, ok := t.unnestFunction(rf); ok {
		return e
	}
	if e, ok := t.textSRF(rf); ok {
		return e
	}
	if e, ok := t.jsonFunction(rf); ok {
		return e
	}
	if e, ok := t.scalarFromFunction(rf); ok {
		return e
	}
	if !rf.Lateral && functionRefersToColumns(rf) {
		// A function in FROM sees the FROM items before it: LATERAL is
		// implied, as in PostgreSQL.
		rf = &pg.RangeFunction{Lateral: true, Ordinality: rf.Ordinality, IsRowsfrom: rf.IsRowsfrom,
			Functions: rf.Functions, Alias: rf.Alias, Coldeflist: rf.Coldeflist}
	}
	if rf.Lateral && !rf.Ordinality && !rf.IsRowsfrom && len(rf.Functions) == 1 {
		return t.lateralFunction(rf)
	}
	return t.fromFunction(rf)
}

// fromFunction translates a function in FROM that is not LATERAL.
func (t *translator) fromFunction(rf *pg.RangeFunction) ast.TableExpr {
	if rf.Lateral || rf.Ordinality || rf.IsRowsfrom || len(rf.Functions) != 1 {
		t.unsupported("LATERAL, WITH ORDINALITY and ROWS FROM")
	}
	items := rf.Functions[0].GetList().GetItems()
	fc := items[0].GetFuncCall()
	if fc == nil {
		t.unsupported("this function in FROM")
	}
	name := fc.Funcname[len(fc.Funcname)-1].GetString_().Sval
	if name != "generate_series" {
		t.unsupported("function " + name + " in FROM")
	}
	col, alias := name, ""
	if rf.Alias != nil {
		alias, col = rf.Alias.Aliasname, rf.Alias.Aliasname
		if len(rf.Alias.Colnames) == 1 {
			col = rf.Alias.Colnames[0].GetString_().Sval
		} else if len(rf.Alias.Colnames) > 1 {
			t.fail(pgerror.SyntaxError, "too many column aliases for generate_series")
		}
	}
	exprs := ast.SelectExprs{&ast.AliasedExpr{Expr: ast.NewStrVal([]byte(col))}}
	for _, a := range fc.Args {
		exprs = append(exprs, &ast.AliasedExpr{Expr: t.expr(a)})
	}
	return &ast.TableFuncExpr{Name: name, Exprs: exprs, Alias: ast.NewTableIdent(alias)}
}

// explain translates EXPLAIN [ANALYZE] [VERBOSE] SELECT ... and EXPLAIN
// (option [value], ...) SELECT ...; without ANALYZE the plan is described,
// never run.
func (t *translator) explain(e *pg.ExplainStmt) *Statement {
	opts := &Explain{}
	for _, o := range e.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch strings.ToLower(d.Defname) {
		case "analyze":
			on, ok := defElemBool(d)
			if !ok {
				t.fail(pgerror.SyntaxError, "EXPLAIN option ANALYZE requires a Boolean value")
			}
			opts.Analyze = on
		case "timing", "summary":
			// Accepted: OpenWit always reports times and the summary.
			if _, ok := defElemBool(d); !ok {
				t.fail(pgerror.SyntaxError, "EXPLAIN option %s requires a Boolean value", strings.ToUpper(d.Defname))
			}
		case "verbose", "costs", "format":
			if strings.ToLower(d.Defname) == "format" {
				v := defElemString(d)
				switch {
				case strings.EqualFold(v, "json"):
					opts.JSON = true
				case v != "" && !strings.EqualFold(v, "text"):
					t.fail(pgerror.FeatureNotSupported, "EXPLAIN (FORMAT %s) is not supported; OpenWit prints text plans (and JSON with ANALYZE)", strings.ToUpper(v))
				default:
					opts.JSON = false
				}
			}
		default:
			t.fail(pgerror.FeatureNotSupported, "EXPLAIN option %s is not supported", strings.ToUpper(d.Defname))
		}
	}
	if e.Query.GetSelectStmt() == nil {
		t.fail(pgerror.FeatureNotSupported, "EXPLAIN of %s is not supported", statementName(e.Query))
	}
	if opts.JSON && !opts.Analyze {
		t.fail(pgerror.FeatureNotSupported, "EXPLAIN (FORMAT JSON) is supported with ANALYZE only")
	}
	return &Statement{Kind: KindExplain, AST: t.selectStmt(e.Query.GetSelectStmt(), true), Tag: "EXPLAIN", Explain: opts}
}

// defElemBool reads a Boolean option value as PostgreSQL does: none means
// true; true/false, on/off, yes/no, 1/0 (any case); ok is false for
// anything else.
func defElemBool(d *pg.DefElem) (on, ok bool) {
	if d.Arg == nil {
		return true, true
	}
	var v string
	switch {
	case d.Arg.GetString_() != nil:
		v = d.Arg.GetString_().Sval
	case d.Arg.GetInteger() != nil:
		v = strconv.Itoa(int(d.Arg.GetInteger().Ival))
	case d.Arg.GetBoolean() != nil:
		return d.Arg.GetBoolean().Boolval, true
	default:
		return false, false
	}
	switch strings.ToLower(v) {
	case "true", "on", "yes", "1":
		return true, true
	case "false", "off", "no", "0":
		return false, true
	}
	return false, false
}

func defElemString(d *pg.DefElem) string {
	if d.Arg == nil {
		return ""
	}
	if s := d.Arg.GetString_(); s != nil {
		return s.Sval
	}
	return ""
}

// Piece is one statement of a query string: its text and the number of
// characters before it in the string (to shift an error position).
type Piece struct {
	SQL string
	Pos int32
}

// Split parses query (so a syntax error anywhere fails it whole, as in
// PostgreSQL) and returns its statements' texts, for running a
// multi-statement simple query one statement at a time: each statement is
// then translated only after the ones before it ran, so it sees the
// tables they created.
func Split(query string) ([]Piece, error) {
	tree, err := pg.Parse(query)
	if err != nil {
		return nil, syntaxError(err)
	}
	out := make([]Piece, 0, len(tree.Stmts))
	for _, raw := range tree.Stmts {
		text := statementText(query, raw)
		pos := int32(0)
		if i := strings.Index(query[max(0, min(int(raw.StmtLocation), len(query))):], text); i >= 0 && text != "" {
			pos = int32(utf8.RuneCountInString(query[:max(0, min(int(raw.StmtLocation), len(query)))+i]))
		}
		out = append(out, Piece{SQL: text, Pos: pos})
	}
	return out, nil
}

// starWidth is the number of columns a select list with * has when its
// FROM is one table whose columns the translator knows; otherwise a
// number no position exceeds (go-mysql-server checks those).
func (t *translator) starWidth(sel ast.SelectStatement, exprs ast.SelectExprs) int {
	if w, ok := t.selectWidth(t.orderSel); ok { // orderby_star_defaultdisp.go
		return w
	}
	s, ok := sel.(*ast.Select)
	if !ok || len(s.From) != 1 || t.tableColumns == nil {
		return math.MaxInt
	}
	at, ok := s.From[0].(*ast.AliasedTableExpr)
	if !ok {
		return math.MaxInt
	}
	tn, ok := at.Expr.(ast.TableName)
	if !ok {
		return math.MaxInt
	}
	if t.cteNames[tn.Name.String()] || !tn.DbQualifier.IsEmpty() || !tn.SchemaQualifier.IsEmpty() {
		return math.MaxInt
	}
	cols, ok := t.tableColumns(tn.Name.String())
	if !ok {
		return math.MaxInt
	}
	n := 0
	for _, e := range exprs {
		if _, ok := e.(*ast.StarExpr); ok {
			n += len(cols)
		} else {
			n++
		}
	}
	return n
}
