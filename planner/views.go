package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/index"
)

// Views (docs/design/070-views.md): CREATE [OR REPLACE] VIEW, DROP VIEW,
// ALTER VIEW ... RENAME TO and CREATE TABLE AS / SELECT INTO. A view is a
// row of the catalog (catalog.Views), so every node sharing the catalog
// sees it; queries read it inline (pgparse.ParseWithViews).

// viewOIDBase is added to a view's catalog ID to make its pg_class OID
// (tables: tableOIDBase + ID).
const viewOIDBase = 1 << 30

// viewCacheTTL is how long a node reads views from its snapshot of the
// catalog before listing them again: a view dropped or replaced on another
// node is seen within it (a view created there at once: Session.prepare
// looks a name planning calls unknown up in the catalog).
const viewCacheTTL = time.Second

// Error codes of view statements.
const (
	codeDependentObjects     = "2BP01"
	codeInvalidColumnNames   = "42601" // more column names than columns
	codeUndefinedParam       = "42P02"
	codeInvalidObjDefinition = "42P17"
)

// viewCache is an engine's snapshot of the catalog's views.
type viewCache struct {
	mu     sync.Mutex
	at     time.Time
	byName map[string]*catalog.View
	list   []*catalog.View
}

// viewStore returns the catalog's view store; 0A000 when it has none.
func (e *Engine) viewStore() (catalog.Views, error) {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "this catalog does not store views")
	}
	return vs, nil
}

// listViews returns the views, from the snapshot when it is fresh.
func (e *Engine) listViews(ctx context.Context) ([]*catalog.View, error) {
	c := &e.views
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byName != nil && time.Since(c.at) < viewCacheTTL {
		return c.list, nil
	}
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil, nil
	}
	list, err := vs.ListViews(ctx)
	if err != nil {
		return nil, err
	}
	c.list, c.byName, c.at = list, make(map[string]*catalog.View, len(list)), time.Now()
	for _, v := range list {
		c.byName[v.Name] = v
	}
	return list, nil
}

// forgetViews drops the snapshot (after a change of views on this node).
func (e *Engine) forgetViews() {
	e.views.mu.Lock()
	e.views.byName, e.views.list = nil, nil
	e.views.mu.Unlock()
}

// lookupView returns the view named name, or nil.
func (e *Engine) lookupView(ctx context.Context, name string) *catalog.View {
	if strings.HasPrefix(name, "pg_") || name == "openwit_batches" {
		return nil // pg_catalog comes first on the search path
	}
	if _, ok := e.tables.Load(name); ok {
		return nil
	}
	list, err := e.listViews(ctx)
	if err != nil {
		return nil
	}
	for _, v := range list {
		if v.Name == name {
			return v
		}
	}
	// Not in the snapshot: created on another node since, or no view.
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil
	}
	v, err := vs.GetView(ctx, name)
	if err != nil {
		return nil
	}
	e.forgetViews()
	return v
}

// viewLookup is the pgparse.ViewLookup of the statements of query: nil
// (nothing to expand, and nothing to walk) unless the text mentions a view
// of the snapshot. A view created on another node since the snapshot is
// found by prepare's retry after 42P01.
func (e *Engine) viewLookup(ctx context.Context, query string) pgparse.ViewLookup {
	list, err := e.listViews(ctx)
	if err != nil || len(list) == 0 {
		return nil
	}
	lower := strings.ToLower(query)
	if !slices.ContainsFunc(list, func(v *catalog.View) bool { return strings.Contains(lower, strings.ToLower(v.Name)) }) {
		return nil
	}
	byName := make(map[string]*catalog.View, len(list)) // all of them: views over views
	for _, v := range list {
		byName[v.Name] = v
	}
	return func(name string) (*pgparse.ViewDef, bool) {
		v := byName[name]
		if v == nil || strings.HasPrefix(name, "pg_") {
			return nil, false
		}
		if _, ok := e.tables.Load(name); ok {
			return nil, false
		}
		d := &pgparse.ViewDef{Query: v.Query, CheckOption: v.CheckOption}
		for _, c := range v.Columns {
			d.Columns = append(d.Columns, c.Name)
		}
		return d, true
	}
}

// prepare parses and describes query (Session.prepareOnce); when that
// fails with 42P01 for a name that is a view in the catalog (created on
// another node since this node's snapshot), it forgets the snapshot and
// tries once more.
func (s *Session) prepare(ctx context.Context, query string, paramOIDs []uint32) ([]*Prepared, error) {
	out, err := s.prepareOnce(ctx, query, paramOIDs)
	var pe *pgerror.Error
	if err == nil || !errors.As(err, &pe) || pe.Code != pgerror.UndefinedTable {
		return out, err
	}
	vs, verr := catalog.AsViews(s.e.cfg.Catalog)
	if verr != nil {
		return out, err
	}
	name, ok := quotedIn(pe.Message)
	if !ok {
		return out, err
	}
	if _, gerr := vs.GetView(ctx, name); gerr != nil {
		return out, err
	}
	s.e.forgetViews()
	return s.prepareOnce(ctx, query, paramOIDs)
}

// quotedIn returns the first double-quoted name in an error message.
func quotedIn(msg string) (string, bool) {
	i := strings.IndexByte(msg, '"')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(msg[i+1:], '"')
	if j < 0 {
		return "", false
	}
	return msg[i+1 : i+1+j], true
}

// starColumns returns the column names of a table or view.
func (e *Engine) starColumns(ctx context.Context) pgparse.TableColumns {
	return func(name string) ([]string, bool) {
		if t, err := e.tableDef(ctx, name); err == nil {
			out := make([]string, len(t.Columns))
			for i, c := range t.Columns {
				out[i] = c.Name
			}
			return out, true
		}
		if v := e.lookupView(ctx, name); v != nil {
			out := make([]string, len(v.Columns))
			for i, c := range v.Columns {
				out[i] = c.Name
			}
			return out, true
		}
		return nil, false
	}
}

// viewStatement runs the view statements and CREATE TABLE AS; ok is false
// for other statements.
func (s *Session) viewStatement(ctx context.Context, p *Prepared) (rows *Rows, ok bool, err error) {
	st := p.st
	switch st.Kind {
	case pgparse.KindCreateView, pgparse.KindDropView, pgparse.KindAlterView, pgparse.KindCreateTableAs:
	default:
		return nil, false, nil
	}
	if err := s.checkWritable(st.Tag); err != nil {
		return nil, true, err
	}
	switch st.Kind {
	case pgparse.KindCreateView:
		err = s.createView(ctx, st.View)
	case pgparse.KindDropView:
		err = s.e.dropViews(ctx, st.DropTable)
	case pgparse.KindAlterView:
		err = s.e.renameView(ctx, st.AlterView)
	case pgparse.KindCreateTableAs:
		var tag string
		tag, err = s.createTableAs(ctx, st.CreateTableAs)
		if err != nil {
			return nil, true, mapError(err)
		}
		return &Rows{tag: tag}, true, nil
	}
	if err != nil {
		return nil, true, mapError(err)
	}
	return &Rows{tag: st.Tag}, true, nil
}

// describeQuery plans query (a SELECT) without running it and returns its
// result columns.
func (s *Session) describeQuery(ctx context.Context, query string) ([]Column, error) {
	ps, err := s.prepare(ctx, query, nil)
	if err != nil {
		var pe *pgerror.Error
		if errors.As(err, &pe) && pe.Code == pgerror.UndefinedTable && pe.Position != 0 {
			// The position would be in query, not in the statement that
			// holds it (CREATE VIEW, CREATE TABLE AS).
			c := *pe
			c.Position = 0
			err = &c
		}
		return nil, err
	}
	if len(ps) != 1 || ps[0].st.Kind != pgparse.KindQuery {
		return nil, pgerror.New(pgerror.FeatureNotSupported, "this query is not supported here")
	}
	if ps[0].st.NumParams > 0 {
		return nil, pgerror.New(codeUndefinedParam, "there is no parameter $1")
	}
	s.lastDescribed = nil
	if ps[0].described != nil {
		s.lastDescribed = ps[0].described.Schema()
	}
	return ps[0].Columns(), nil
}

// numericTypmods gives the numeric columns without a type modifier the
// precision and scale of their planned type (every numeric OpenWit stores
// has both): CREATE TABLE AS keeps numeric(10,2) a numeric(10,2).
func numericTypmods(cols []Column, schema sql.Schema) {
	if len(schema) != len(cols) {
		return
	}
	for i := range cols {
		if cols[i].TypeOID != pgtypes.OIDNumeric || cols[i].TypeModifier != 0 {
			continue
		}
		if d, ok := schema[i].Type.(sql.DecimalType); ok {
			cols[i].TypeModifier = int32(d.Precision())<<16 | int32(d.Scale()) + 4
		}
	}
}

// resultNames applies a column name list to a query's columns, as CREATE
// VIEW (name list) and CREATE TABLE (name list) AS do.
func resultNames(cols []Column, names []string, tooMany string) ([]string, error) {
	if len(names) > len(cols) {
		return nil, pgerror.New(codeInvalidColumnNames, "%s", tooMany)
	}
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
		if i < len(names) {
			out[i] = names[i]
		}
	}
	for i, n := range out {
		if slices.Contains(out[:i], n) {
			return nil, pgerror.New(pgerror.DuplicateColumn, "column %q specified more than once", n)
		}
	}
	return out, nil
}

func viewTypmod(c Column) int32 {
	if c.TypeModifier > 0 {
		return c.TypeModifier
	}
	return -1
}

// createView runs CREATE [OR REPLACE] VIEW.
func (s *Session) createView(ctx context.Context, cv *pgparse.View) error {
	e := s.e
	return e.viewDDL(ctx, func(vs catalog.Views) error {
		query, err := pgparse.ExpandStar(cv.Query, e.starColumns(ctx))
		if err != nil {
			return err
		}
		cols, err := s.describeQuery(ctx, query)
		if err != nil {
			return err
		}
		numericTypmods(cols, s.lastDescribed)
		names, err := resultNames(cols, cv.Columns, "CREATE VIEW specifies more column names than columns")
		if err != nil {
			return err
		}
		def := &catalog.View{Name: cv.Name, Query: query, CheckOption: cv.CheckOption}
		for i, c := range cols {
			def.Columns = append(def.Columns, catalog.ViewColumn{Name: names[i], TypeOID: c.TypeOID, Typmod: viewTypmod(c)})
		}
		if err := checkOptionAllowed(def, names); err != nil { // views_viewdml.go
			return err
		}
		rels, err := pgparse.RelationNames(query)
		if err != nil {
			return err
		}
		for _, r := range rels {
			if t, err := e.cfg.Catalog.GetTable(ctx, r); err == nil {
				def.Tables = append(def.Tables, t.ID)
			} else if v, err := vs.GetView(ctx, r); err == nil {
				if v.Name == cv.Name {
					return pgerror.New(codeInvalidObjDefinition, "infinite recursion detected in rules for relation %q", cv.Name)
				}
				def.Views = append(def.Views, v.ID)
			}
		}
		if _, err := e.cfg.Catalog.GetTable(ctx, cv.Name); err == nil {
			if cv.Replace {
				return pgerror.New(pgerror.WrongObjectType, "%q is not a view", cv.Name)
			}
			return pgerror.New(pgerror.DuplicateTable, "relation %q already exists", cv.Name)
		}
		if cv.Replace {
			if old, err := vs.GetView(ctx, cv.Name); err == nil {
				if err := replaceableBy(old, def); err != nil {
					return err
				}
				keepViewComments(old, def) // comment_views_catmisc.go
			}
		}
		_, err = vs.CreateView(ctx, def, cv.Replace)
		if errors.Is(err, catalog.ErrExists) {
			return pgerror.New(pgerror.DuplicateTable, "relation %q already exists", cv.Name)
		}
		if errors.Is(err, catalog.ErrInvalid) {
			return pgerror.New(pgerror.InvalidParameterValue, "%v", err)
		}
		if err != nil {
			return fmt.Errorf("create view %s: %w", cv.Name, err)
		}
		e.forgetViews()
		return nil
	})
}

// replaceableBy checks PostgreSQL's rule for CREATE OR REPLACE VIEW: the
// new query keeps the old columns, with their names and types, in order,
// and may add columns at the end.
func replaceableBy(old, def *catalog.View) error {
	if len(def.Columns) < len(old.Columns) {
		return pgerror.New(pgerror.InvalidTableDefinition, "cannot drop columns from view")
	}
	for i, o := range old.Columns {
		n := def.Columns[i]
		if n.Name != o.Name {
			e := pgerror.New(pgerror.InvalidTableDefinition, "cannot change name of view column %q to %q", o.Name, n.Name)
			e.Hint = "Use ALTER VIEW ... RENAME COLUMN ... to change name of view column instead."
			return e
		}
		if n.TypeOID != o.TypeOID || n.Typmod != o.Typmod {
			return pgerror.New(pgerror.InvalidTableDefinition, "cannot change data type of view column %q from %s to %s", o.Name,
				formatType(int64(o.TypeOID), int64(o.Typmod)), formatType(int64(n.TypeOID), int64(n.Typmod)))
		}
	}
	return nil
}

// dependentViews returns the views that read the table (view false) or
// view of that ID, directly or through other views, nearest first.
func dependentViews(all []*catalog.View, id int64, view bool) []*catalog.View {
	var out []*catalog.View
	seen := map[int64]bool{}
	var visit func(id int64, view bool)
	visit = func(id int64, view bool) {
		for _, v := range all {
			ids := v.Tables
			if view {
				ids = v.Views
			}
			if slices.Contains(ids, id) && !seen[v.ID] {
				seen[v.ID] = true
				out = append(out, v)
				visit(v.ID, true)
			}
		}
	}
	visit(id, view)
	return out
}

// dropDependents refuses (2BP01) to drop the table or view name of that ID
// when views read it, unless cascade, which drops them first. The caller
// holds the DDL locks.
func (e *Engine) dropDependents(ctx context.Context, name string, id int64, view, cascade bool, dropping []string) error {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil
	}
	all, err := vs.ListViews(ctx)
	if err != nil {
		return err
	}
	deps := dependentViews(all, id, view)
	deps = slices.DeleteFunc(deps, func(v *catalog.View) bool { return slices.Contains(dropping, v.Name) && !cascade })
	if len(deps) == 0 {
		return nil
	}
	kind := "table"
	if view {
		kind = "view"
	}
	if !cascade {
		var detail []string
		for _, v := range deps {
			detail = append(detail, dependencyLine(all, v, name, id, view))
		}
		return &pgerror.Error{Code: codeDependentObjects, Message: fmt.Sprintf("cannot drop %s %s because other objects depend on it", kind, name),
			Detail: strings.Join(detail, "\n"), Hint: "Use DROP ... CASCADE to drop the dependent objects too."}
	}
	for i := len(deps) - 1; i >= 0; i-- {
		if err := vs.DropView(ctx, deps[i].Name); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return fmt.Errorf("drop view %s: %w", deps[i].Name, err)
		}
	}
	e.forgetViews()
	return nil
}

// dependencyLine is one line of the 2BP01 DETAIL: "view v depends on table t".
func dependencyLine(all []*catalog.View, v *catalog.View, name string, id int64, view bool) string {
	if !view && slices.Contains(v.Tables, id) || view && slices.Contains(v.Views, id) {
		return fmt.Sprintf("view %s depends on %s %s", v.Name, map[bool]string{true: "view", false: "table"}[view], name)
	}
	for _, o := range all {
		if slices.Contains(v.Views, o.ID) {
			return fmt.Sprintf("view %s depends on view %s", v.Name, o.Name)
		}
	}
	return fmt.Sprintf("view %s depends on %s", v.Name, name)
}

// dropViews runs DROP VIEW [IF EXISTS] name, ... [CASCADE].
func (e *Engine) dropViews(ctx context.Context, dv *pgparse.DropTable) error {
	return e.viewDDL(ctx, func(vs catalog.Views) error {
		for _, name := range dv.Names {
			v, err := vs.GetView(ctx, name)
			if errors.Is(err, catalog.ErrNotFound) {
				if _, terr := e.cfg.Catalog.GetTable(ctx, name); terr == nil {
					return pgparse.IsNotA(name, true)
				}
				if dv.IfExists {
					notice(ctx, severityNotice, codeSuccess, "view %q does not exist, skipping", name)
					continue
				}
				return pgerror.New(pgerror.UndefinedTable, "view %q does not exist", name)
			}
			if err != nil {
				return err
			}
			if err := e.dropDependents(ctx, name, v.ID, true, dv.Cascade, dv.Names); err != nil {
				return err
			}
			if err := vs.DropView(ctx, name); err != nil && !errors.Is(err, catalog.ErrNotFound) {
				return fmt.Errorf("drop view %s: %w", name, err)
			}
		}
		return nil
	})
}

// renameView runs ALTER VIEW [IF EXISTS] name RENAME TO new. The views
// that read it are rewritten to read the new name.
func (e *Engine) renameView(ctx context.Context, av *pgparse.AlterView) error {
	return e.viewDDL(ctx, func(vs catalog.Views) error {
		v, err := vs.GetView(ctx, av.Name)
		if errors.Is(err, catalog.ErrNotFound) {
			if _, terr := e.cfg.Catalog.GetTable(ctx, av.Name); terr == nil {
				return pgerror.New(pgerror.WrongObjectType, "%q is not a view", av.Name)
			}
			if av.IfExists {
				notice(ctx, severityNotice, codeSuccess, "relation %q does not exist, skipping", av.Name)
				return nil
			}
			return pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", av.Name)
		}
		if err != nil {
			return err
		}
		if _, err := vs.RenameView(ctx, v.ID, av.RenameTo); err != nil {
			if errors.Is(err, catalog.ErrExists) {
				return pgerror.New(pgerror.DuplicateTable, "relation %q already exists", av.RenameTo)
			}
			return fmt.Errorf("alter view %s: %w", av.Name, err)
		}
		return e.renameInViews(ctx, v.ID, true, av.Name, av.RenameTo)
	})
}

// renameInViews rewrites the queries of the views that read the table or
// view of that ID after it was renamed from old to new. The caller holds
// the DDL locks.
func (e *Engine) renameInViews(ctx context.Context, id int64, view bool, old, new string) error {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return nil
	}
	all, err := vs.ListViews(ctx)
	if err != nil {
		return err
	}
	for _, v := range all {
		ids := v.Tables
		if view {
			ids = v.Views
		}
		if !slices.Contains(ids, id) {
			continue
		}
		q, err := pgparse.RenameRelation(v.Query, old, new)
		if err != nil {
			return err
		}
		v.Query = q
		if _, err := vs.CreateView(ctx, v, true); err != nil {
			return fmt.Errorf("rewrite view %s: %w", v.Name, err)
		}
	}
	e.forgetViews()
	return nil
}

// viewOnTable returns the first view reading the table of that ID,
// or "".
func (e *Engine) viewOnTable(ctx context.Context, id int64) string {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return ""
	}
	all, err := vs.ListViews(ctx)
	if err != nil {
		return ""
	}
	if deps := dependentViews(all, id, false); len(deps) > 0 {
		return deps[0].Name
	}
	return ""
}

// viewNamed reports whether a view has the name (read from the catalog).
func (e *Engine) viewNamed(ctx context.Context, name string) bool {
	vs, err := catalog.AsViews(e.cfg.Catalog)
	if err != nil {
		return false
	}
	_, err = vs.GetView(ctx, name)
	return err == nil
}

// storedType is the table column type of a query column, or an error
// when tables cannot store it.
func storedType(c Column) (string, error) {
	var mods []int32
	name := ""
	switch c.TypeOID {
	case pgtypes.OIDVarchar:
		name = "varchar"
		if c.TypeModifier > 4 {
			mods = []int32{c.TypeModifier - 4}
		}
	case pgtypes.OIDBPChar:
		name = "bpchar"
		if c.TypeModifier > 4 {
			mods = []int32{c.TypeModifier - 4}
		}
	case pgtypes.OIDNumeric:
		name = "numeric"
		if c.TypeModifier >= 4 {
			m := c.TypeModifier - 4
			mods = []int32{m >> 16, m & 0xffff}
		}
	case pgtypes.OIDBool, pgtypes.OIDInt2, pgtypes.OIDInt4, pgtypes.OIDInt8, pgtypes.OIDFloat4, pgtypes.OIDFloat8,
		pgtypes.OIDTimestampTZ, pgtypes.OIDTimestamp, pgtypes.OIDDate, pgtypes.OIDJSONB, pgtypes.OIDJSON, pgtypes.OIDBytea, pgtypes.OIDText:
		name = pgtypes.CanonicalName(c.TypeOID)
		if c.TypeOID == pgtypes.OIDJSON {
			name = "json"
		}
	case pgtypes.OIDName:
		name = "text"
	}
	if name != "" {
		if t, err := storage.CanonicalType(name, mods); err == nil {
			return t, nil
		}
	}
	e := pgerror.New(pgerror.FeatureNotSupported, "column %q has type %s, which OpenWit tables cannot store", c.Name,
		formatType(int64(c.TypeOID), int64(c.TypeModifier)))
	e.Hint = "Cast the column in the query to a type a table can store (text, for instance)."
	return "", e
}

// createTableAs runs CREATE TABLE AS and SELECT INTO: a table with the
// query's column names and types (the time column chosen as CREATE TABLE
// does), then the rows through INSERT ... SELECT (the WAL path). A failed
// write drops the table again. It returns the command tag.
func (s *Session) createTableAs(ctx context.Context, ct *pgparse.CreateTableAs) (string, error) {
	e := s.e
	if _, err := e.cfg.Catalog.GetTable(ctx, ct.Name); err == nil || e.viewNamed(ctx, ct.Name) {
		if ct.IfNotExists {
			notice(ctx, severityNotice, pgerror.DuplicateTable, "relation %q already exists, skipping", ct.Name)
			return "CREATE TABLE AS", nil // nothing is written
		}
		return "", pgerror.New(pgerror.DuplicateTable, "relation %q already exists", ct.Name)
	}
	cols, err := s.describeQuery(ctx, ct.Query)
	if err != nil {
		return "", err
	}
	numericTypmods(cols, s.lastDescribed)
	names, err := resultNames(cols, ct.Columns, "too many column names were specified")
	if err != nil {
		return "", err
	}
	def := &pgparse.CreateTable{Name: ct.Name, Options: map[string]string{}}
	for i, c := range cols {
		c.Name = names[i]
		typ, err := storedType(c)
		if err != nil {
			return "", err
		}
		def.Columns = append(def.Columns, pgparse.ColumnDef{Name: names[i], Type: typ})
	}
	if err := tableOptions(def, ct.Options); err != nil {
		return "", err
	}
	t, err := e.createTable(ctx, def)
	if err != nil {
		return "", err
	}
	s.noteCreated(t)
	if ct.NoData {
		return "CREATE TABLE AS", nil
	}
	n, err := s.insertSelect(ctx, pgparse.InsertSelect(ct.Name, names, ct.Query))
	if err != nil {
		if derr := e.dropTable(ctx, &pgparse.DropTable{Names: []string{ct.Name}, IfExists: true}); derr != nil {
			e.cfg.Logger.Warn("drop table after failed create table as", "table", ct.Name, "err", derr)
		}
		return "", err
	}
	return "SELECT " + strconv.FormatInt(n, 10), nil
}

// tableOptions applies CREATE TABLE AS's WITH options and picks the time
// column as CREATE TABLE does: time_column, else the first timestamptz or
// timestamp column.
func tableOptions(def *pgparse.CreateTable, opts map[string]string) error {
	has := func(name string) *pgparse.ColumnDef {
		for i := range def.Columns {
			if def.Columns[i].Name == name {
				return &def.Columns[i]
			}
		}
		return nil
	}
	for k, v := range opts {
		switch k {
		case "time_column":
			c := has(v)
			if c == nil {
				return pgerror.New(pgerror.UndefinedColumn, "time column %q does not exist", v)
			}
			if c.Type != storage.TypeTimestampTZ && c.Type != storage.TypeTimestamp {
				return pgerror.New(pgerror.InvalidTableDefinition, "time column %q must be timestamptz or timestamp, not %s", v, c.Type)
			}
			def.TimeColumn = v
		case "shard_duration":
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute {
				return pgerror.New(pgerror.InvalidParameterValue, "invalid shard_duration %q: use a Go duration of at least 1m, e.g. '1h'", v)
			}
			def.ShardDuration = d
		default:
			if k != "retention" {
				for _, name := range index.SplitColumns(v) {
					if has(name) == nil {
						return pgerror.New(pgerror.UndefinedColumn, "column %q of table option %s does not exist", name, k)
					}
				}
			}
		}
		def.Options[k] = v
	}
	if def.TimeColumn == "" {
		for _, c := range def.Columns {
			if c.Type == storage.TypeTimestampTZ || c.Type == storage.TypeTimestamp {
				def.TimeColumn = c.Name
				break
			}
		}
	}
	return nil
}

// insertSelect runs an INSERT ... SELECT in the session and returns the
// number of rows it wrote.
func (s *Session) insertSelect(ctx context.Context, query string) (int64, error) {
	ps, err := s.prepare(ctx, query, nil)
	if err != nil {
		return 0, err
	}
	if len(ps) != 1 {
		return 0, pgerror.New(pgerror.InternalError, "insert for create table as: %d statements", len(ps))
	}
	rows, err := ps[0].Execute(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for {
		if _, err := rows.Next(ctx); err == io.EOF {
			break
		} else if err != nil {
			return 0, err
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	tag := rows.Tag() // INSERT 0 n
	n, err := strconv.ParseInt(tag[strings.LastIndexByte(tag, ' ')+1:], 10, 64)
	if err != nil {
		return 0, pgerror.New(pgerror.InternalError, "insert for create table as: tag %q", tag)
	}
	return n, nil
}

// checkViewTarget refuses TRUNCATE and COPY of a view, and sends a write
// to a view the parse did not rewrite back to prepare (see below).
func (s *Session) checkViewTarget(ctx context.Context, st *pgparse.Statement) error {
	var name string
	switch st.Kind {
	case pgparse.KindInsert:
		if ins, ok := st.AST.(*ast.Insert); ok {
			name = ins.Table.Name.String()
		}
	case pgparse.KindDelete:
		name = st.Delete.Table
	case pgparse.KindUpdate:
		name = st.Update.Table
	case pgparse.KindTruncate:
		for _, t := range st.Truncate.Tables {
			if s.e.lookupView(ctx, t) != nil {
				return pgerror.New(pgerror.WrongObjectType, "%q is not a table", t)
			}
		}
		return nil
	case pgparse.KindCopyFrom, pgparse.KindCopyTo:
		if st.Copy == nil || st.Copy.Table == "" || s.e.lookupView(ctx, st.Copy.Table) == nil {
			return nil
		}
		if st.Copy.From {
			return pgerror.New(pgerror.WrongObjectType, "cannot copy to view %q", st.Copy.Table)
		}
		e := pgerror.New(pgerror.WrongObjectType, "cannot copy from view %q", st.Copy.Table)
		e.Hint = "Try the COPY (SELECT ...) TO variant."
		return e
	default:
		return nil
	}
	if name == "" || s.e.lookupView(ctx, name) == nil {
		return nil
	}
	// A write through a view is rewritten onto its table while parsing
	// (views_viewdml.go); one still naming a view found a snapshot of the
	// views older than the view (created on another node): 42P01 makes
	// prepare forget the snapshot and parse again.
	return pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", name)
}

// viewDDL runs fn, a change of views, with the view store under this
// node's DDL lock and the cluster's schema lock, the view cache forgotten
// before (fn reads the views as they are) and after (the next statement
// reads fn's change).
func (e *Engine) viewDDL(ctx context.Context, fn func(catalog.Views) error) error {
	vs, err := e.viewStore()
	if err != nil {
		return err
	}
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	e.forgetViews()
	defer e.forgetViews()
	return fn(vs)
}
