package planner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/plan"
	"github.com/dolthub/go-mysql-server/sql/planbuilder"
	"github.com/dolthub/go-mysql-server/sql/transform"
	"github.com/dolthub/go-mysql-server/sql/types"
	ast "github.com/dolthub/vitess/go/vt/sqlparser"
	"github.com/shopspring/decimal"

	"openwit/internal/notify"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgparse"
	"openwit/planner/pgtypes"
	"openwit/storage/catalog"
)

// Column describes a result column.
type Column struct {
	Name     string
	TypeOID  uint32
	TypeSize int16
	// TableOID and TableAttrNum identify the table column a result column
	// is (pg_class OID, pg_attribute attnum); zero for computed columns.
	TableOID     uint32
	TableAttrNum uint16
	// TypeModifier is the column's atttypmod when it is a table column
	// with one (numeric(p,s), varchar(n), char(n)) or a cast to varchar(n)
	// or char(n); zero otherwise.
	TypeModifier int32
}

// Session is one client's SQL session. Not safe for concurrent use.
type Session struct {
	e        *Engine
	base     *pgSession
	settings map[string]string
	cursors  map[string]*cursor // DECLAREd and not yet closed
	// sqlPrepared are the statements of SQL PREPARE (session_prepare_sql.go).
	sqlPrepared map[string]*Prepared
	// startApp is the application_name the client connected with: what
	// RESET and DEFAULT give it back.
	startApp string
	tx       txBlock
	// txid is the current transaction's id, 0 until txid_current asks.
	txid int64
	act  *activity // what pg_stat_activity shows of the session
	// execs counts the statements executed (Prepared.Execute): a plan
	// made while describing a statement is used only when no statement
	// ran in between (Prepared.described).
	execs uint64
	// LISTEN/NOTIFY (session_notify.go): the listener (nil until the
	// first LISTEN), what the block has queued, the wire's wake function.
	lis  *notify.Listener
	ntx  notifyTx
	wake func()
	// implicit is set while the statements of one simple query run as
	// an implicit transaction block (BeginImplicit); implicitFailed when
	// one of them failed.
	implicit, implicitFailed bool
	// ddl are the CREATE and ALTER TABLE statements of the open block
	// (explicit or implicit), oldest first: ROLLBACK undoes them
	// (session_txddl.go).
	ddl []ddlUndo

	// lastDescribed is the result schema describeQuery last planned
	// (views.go).
	lastDescribed sql.Schema
}

// pgSession is go-mysql-server's session plus the PostgreSQL settings the
// expressions need (TimeZone).
type pgSession struct {
	*sql.BaseSession
	loc *time.Location
	// conn are the connection's addresses (session_uuidinet.go).
	conn connAddrs
	// rowEngine turns the vectorized executor off (SET openwit.vectorize
	// = off): every plan runs in go-mysql-server's row engine.
	rowEngine bool
	// memLimit is openwit.query_memory_limit in bytes: what one query's
	// vectorized aggregations may hold on this node; 0 means no limit.
	memLimit int64
	// efd is extra_float_digits: above 0 float text is shortest-exact,
	// else it has 15 + efd (float8) or 6 + efd (float4) digits.
	efd int
	// settings are the session's settings (Session.settings), for
	// pg_settings and current_setting.
	settings map[string]string
	// set is Session.set, for set_config.
	set func(*pgparse.Set) error
	// notify is NOTIFY for pg_notify (session_notify.go).
	notify func(ctx context.Context, channel, payload string) error
	// inBlock reports whether a transaction block is open.
	inBlock func() bool
	// undoLocal restores the settings set_config(..., is_local => true)
	// changed; the next statement runs it.
	undoLocal func()
	// txw are the rows the open transaction block wrote, staged until
	// COMMIT; nil when writes commit at once (session_txwrites.go).
	txw *txWrites
	// listening is pg_listening_channels (session_notify.go).
	listening func() []string
	// returning collects the inserters of the INSERT ... RETURNING being
	// built (returning_sqlmisc.go); nil otherwise.
	returning *returningWrites
	// insertChecks are the WITH CHECK OPTION conditions of the INSERT
	// through views being run (views_viewdml.go); nil otherwise.
	insertChecks *insertChecks
	// xid is txid_current() (txid.go).
	xid func() int64
	// rng is the session's random() generator, seeded by setseed.
	rng pgexpr.PRNG
	// sizes are the table sizes the running statement read
	// (pgcatalog_sizes.go).
	sizes sizeSnapshot
}

// Random implements the interface pgexpr's random() and setseed look for.
func (s *pgSession) Random() *pgexpr.PRNG { return &s.rng }

// Location implements the interface pgexpr.SessionLocation looks for.
func (s *pgSession) Location() *time.Location { return s.loc }

// ExtraFloatDigits implements the interface pgexpr.SessionExtraFloatDigits
// looks for.
func (s *pgSession) ExtraFloatDigits() int { return s.efd }

// NewSession starts a session for user.
func (e *Engine) NewSession(user, application string) *Session {
	id := e.nextID.Add(1)
	base := sql.NewBaseSessionWithClientServer("openwit", sql.Client{User: user, Address: "localhost"}, id)
	base.SetCurrentDatabase(dbName)
	// PostgreSQL rejects ungrouped columns next to aggregates, like MySQL's
	// ONLY_FULL_GROUP_BY; STRICT makes bad input an error, never a warning.
	_ = base.SetSessionVariable(sql.NewEmptyContext(), "sql_mode", "ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION")
	// string_agg and array_agg are group_concat, which MySQL truncates at
	// 1024 bytes; PostgreSQL does not truncate (1 GB is its value limit).
	_ = base.SetSessionVariable(sql.NewEmptyContext(), "group_concat_max_len", uint64(1<<30))
	s := &Session{e: e, base: &pgSession{BaseSession: base, loc: time.UTC, memLimit: e.cfg.QueryMemoryLimit, efd: 1}, settings: map[string]string{}, startApp: application}
	for k, v := range defaultSettings {
		s.settings[k] = v
	}
	s.settings["openwit.query_memory_limit"] = pgtypes.FormatMemory(e.cfg.QueryMemoryLimit)
	s.settings["application_name"] = application
	s.settings["session_authorization"] = user
	s.base.settings = s.settings
	s.base.set = s.set
	s.base.notify = s.pgNotify
	s.base.listening = s.ListeningChannels
	s.base.inBlock = func() bool { return s.tx.active }
	s.base.xid = s.xid
	now := time.Now()
	s.act = &activity{activityRow: activityRow{pid: id, user: user, application: application, backendStart: now, stateChange: now, state: "idle"}}
	e.sessions.add(s.act)
	return s
}

// ID is the session's backend id.
func (s *Session) ID() uint32 { return s.base.ID() }

// Close ends the session.
func (s *Session) Close() error {
	s.closeCursors(true)
	if s.lis != nil {
		s.lis.Close()
	}
	if s.base.txw != nil { // never committed: dropped
		s.base.txw.release()
		s.base.txw = nil
	}
	if len(s.ddl) > 0 { // a block left open is rolled back
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		s.undoDDL(ctx, 0)
		cancel()
	}
	s.e.sessions.remove(s.act.pid)
	s.e.gms.CloseSession(s.base.ID())
	return nil
}

// Setting returns a setting's current value.
func (s *Session) Setting(name string) (string, bool) {
	v, ok := s.settings[strings.ToLower(name)]
	return v, ok
}

func (s *Session) sqlContext(ctx context.Context) *sql.Context {
	return sql.NewContext(ctx, sql.WithSession(s.base))
}

// Prepared is a parsed, described statement.
type Prepared struct {
	s          *Session
	st         *pgparse.Statement
	paramOIDs  []uint32
	usedParams map[string]bool // the bind variables the AST refers to (usedBindings)
	cols       []Column
	// described is the plan describe made of a query without
	// parameters, when the session had executed describedAt statements:
	// the statement's first execution uses it instead of binding and
	// analyzing the same tree again, if it follows with no statement in
	// between (the simple protocol's Query, or Parse then Bind/Execute).
	// Any later execution plans afresh (design 063).
	described   sql.Node
	describedAt uint64
}

// ParamOIDs returns the parameter types.
func (p *Prepared) ParamOIDs() []uint32 { return p.paramOIDs }

// Columns returns the result columns; nil for statements without rows.
// A FETCH has its cursor's columns, looked up when asked (the cursor may
// be declared by an earlier statement of the same query string).
func (p *Prepared) Columns() []Column {
	if p.st.Kind == pgparse.KindFetch && !p.st.Fetch.Move {
		if c := p.s.cursors[p.st.Fetch.Name]; c != nil {
			return c.cols
		}
	}
	if p.st.Kind == pgparse.KindExecute {
		if q := p.s.sqlPrepared[p.st.Execute.Name]; q != nil {
			return q.Columns()
		}
	}
	return p.cols
}

// Prepare parses query and describes each statement.
func (s *Session) Prepare(ctx context.Context, query string, paramOIDs []uint32) ([]*Prepared, error) {
	out, err := s.prepare(ctx, query, paramOIDs)
	if err != nil && pgerror.Code(err) == pgerror.UndefinedColumn && s.e.refreshColumns(ctx) {
		// A column another node added (Kafka schema evolution) reaches
		// this node's ingester at its next catalog refresh: an unknown
		// column reads the catalog once before it is reported.
		out, err = s.prepare(ctx, query, paramOIDs)
	}
	if err != nil {
		s.failed()
		return nil, err
	}
	return out, nil
}

// refreshColumns takes from the catalog the columns of known tables that
// this node has not seen yet (added or dropped: catalog.Table.Generation);
// it reports whether any table changed.
func (e *Engine) refreshColumns(ctx context.Context) bool {
	ts, err := e.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return false
	}
	changed := false
	for _, t := range ts {
		v, ok := e.tables.Load(t.Name)
		if !ok || v.(*catalog.Table).Generation() >= t.Generation() {
			continue
		}
		if err := e.cfg.Ingester.UpdateTable(t); err != nil {
			continue
		}
		e.tables.Store(t.Name, t)
		changed = true
	}
	return changed
}

func (s *Session) prepareOnce(ctx context.Context, query string, paramOIDs []uint32) ([]*Prepared, error) {
	stmts, err := pgparse.ParseWithViews(query, func(table string) ([]string, bool) {
		t, err := s.e.tableDef(ctx, table)
		if err != nil {
			return nil, false
		}
		names := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			names[i] = c.Name
		}
		return names, true
	}, s.e.viewLookup(ctx, query))
	if err != nil {
		return nil, err
	}
	out := make([]*Prepared, 0, len(stmts))
	for _, st := range stmts {
		if err := s.checkViewTarget(ctx, st); err != nil { // views.go
			return nil, err
		}
		p := &Prepared{s: s, st: st}
		p.paramOIDs = make([]uint32, st.NumParams)
		copy(p.paramOIDs, paramOIDs)
		if err := p.describe(ctx); err != nil {
			return nil, relationPositioned(st, err) // relation_names.go
		}
		out = append(out, p)
	}
	return out, nil
}

func (p *Prepared) describe(ctx context.Context) error {
	switch p.st.Kind {
	case pgparse.KindShow:
		p.cols = []Column{{Name: showColumnName(p.st.Show.Name), TypeOID: pgtypes.OIDText, TypeSize: -1}}
		if p.st.Show.Name == "all" {
			p.cols = []Column{{Name: "name", TypeOID: pgtypes.OIDText, TypeSize: -1},
				{Name: "setting", TypeOID: pgtypes.OIDText, TypeSize: -1},
				{Name: "description", TypeOID: pgtypes.OIDText, TypeSize: -1}}
		}
		return nil
	case pgparse.KindQuery, pgparse.KindInsert, pgparse.KindExplain, pgparse.KindDeclare, pgparse.KindCopyTo, pgparse.KindDelete, pgparse.KindUpdate:
	default:
		return nil
	}
	// Analyze once with unbound parameters to learn the result shape and
	// infer parameter types from their context.
	sctx := p.s.sqlContext(ctx)
	if err := p.unifyTypes(sctx); err != nil {
		return err
	}
	node, err := p.describePlan(sctx)
	if err != nil {
		return err
	}
	if err := p.probeAmbiguity(sctx); err != nil {
		return err
	}
	if p.st.Deferred != nil {
		return p.st.Deferred
	}
	p.inferUpdateParams(sctx, node)
	p.inferParams(node)
	if p.st.NumParams > 0 {
		// The inferred types type the expressions over the parameters
		// ($1 + 1 is int4 once $1 is), as PostgreSQL describes them.
		node = p.typeDeclaredParams(node)
	}
	if p.st.Kind == pgparse.KindExplain {
		p.cols = []Column{{Name: "QUERY PLAN", TypeOID: pgtypes.OIDText, TypeSize: -1}}
		return nil
	}
	if p.st.Kind == pgparse.KindQuery && p.st.NumParams == 0 {
		// describePlan made the plan execution would make (p.plan
		// without bindings).
		p.described, p.describedAt = node, p.s.execs
	}
	if schema, ok := dmlReturningSchema(p.st, node); ok {
		for _, c := range schema {
			oid, size := pgtypes.OID(c.Type)
			col := Column{Name: c.Name, TypeOID: oid, TypeSize: size}
			if m := pgtypes.CharTypmod(c.Type); m > 0 {
				col.TypeModifier = m
			}
			p.cols = append(p.cols, col)
		}
	}
	if p.st.Kind == pgparse.KindQuery || p.st.Kind == pgparse.KindCopyTo {
		sources := columnSources(node)
		for i, c := range node.Schema() {
			oid, size := pgtypes.OID(c.Type)
			col := Column{Name: c.Name, TypeOID: oid, TypeSize: size}
			if m := pgtypes.CharTypmod(c.Type); m > 0 {
				col.TypeModifier = m // varchar(n), char(n) results of casts
			}
			if sources != nil {
				p.s.e.describeSource(ctx, sources[i], &col)
			}
			p.cols = append(p.cols, col)
		}
	}
	if p.st.Returns() {
		p.cols = p.returningColumns(ctx, node)
	}
	return nil
}

// describePlan binds the statement leaving its parameters unbound and
// analyzes it, to learn result columns and parameter types.
func (p *Prepared) describePlan(ctx *sql.Context) (node sql.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plan: %v", r)
		}
	}()
	if p.st.NumParams == 0 {
		return p.plan(ctx, nil)
	}
	a := p.s.e.gms.Analyzer
	binder := planbuilder.New(ctx, a.Catalog, p.s.e.gms.EventScheduler, p.s.e.gms.Parser)
	bound, _, err := binder.BindOnly(p.st.AST, p.st.SQL, nil)
	if err != nil {
		return nil, mapError(err)
	}
	bound = p.typeDeclaredParams(bound)
	analyzed, err := a.Analyze(ctx, bound, nil, nil)
	if err != nil {
		// Some rules cannot see through unbound parameters; the bound plan
		// still has the right shape.
		return bound, nil
	}
	return analyzed, nil
}

// probeAmbiguity binds the statement's ambiguity probes and returns the
// first "column reference is ambiguous" one raises; other probe errors
// (a name that is an output alias, an outer reference) mean nothing.
func (p *Prepared) probeAmbiguity(ctx *sql.Context) error {
	for _, probe := range p.st.Probes {
		if err := p.bindProbe(ctx, probe); err != nil && sql.ErrAmbiguousColumnName.Is(err) {
			return mapError(err)
		}
	}
	return nil
}

func (p *Prepared) bindProbe(ctx *sql.Context, probe ast.SelectStatement) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("probe: %v", r)
		}
	}()
	g := p.s.e.gms
	_, _, err = planbuilder.New(ctx, g.Analyzer.Catalog, g.EventScheduler, g.Parser).BindOnly(probe, "", nil)
	return err
}

// plan binds and analyzes the statement.
func (p *Prepared) plan(ctx *sql.Context, bindings map[string]ast.Expr) (node sql.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("plan: %v", r)
		}
	}()
	p.s.e.plans.Add(1)
	bindings = p.usedBindings(bindings)
	node, err = p.s.e.gms.BoundQueryPlan(ctx, p.st.SQL, p.st.AST, bindings)
	if err != nil {
		return nil, mapError(err)
	}
	return node, nil
}

// inferParams fills unspecified parameter types from the expressions they
// are compared with or the columns they are inserted into; text otherwise.
func (p *Prepared) inferParams(node sql.Node) {
	setOID := func(bv *expression.BindVar, oid uint32) {
		n, err := strconv.Atoi(strings.TrimPrefix(bv.Name, "v"))
		if err != nil || n < 1 || n > len(p.paramOIDs) || p.paramOIDs[n-1] != 0 {
			return
		}
		p.paramOIDs[n-1] = oid
	}
	set := func(bv *expression.BindVar, t sql.Type) {
		if oid, _ := pgtypes.OID(t); t != nil && t != types.Null {
			setOID(bv, oid)
		}
	}
	transform.InspectExpressions(node, func(e sql.Expression) bool {
		if aa, ok := e.(*pgexpr.ArrayAny); ok {
			// x = ANY($1): $1 is an array of x's type (or of the cast's).
			if bv, ok := aa.Array.(*expression.BindVar); ok {
				if oid := pgtypes.ArrayOID(aa.ElemOID()); oid != 0 {
					setOID(bv, oid)
				}
			}
			return true
		}
		if pt, ok := e.(paramTyper); ok {
			for i, a := range e.Children() {
				if bv, ok := a.(*expression.BindVar); ok && pt.ParamOID(i) != 0 {
					setOID(bv, pt.ParamOID(i))
				}
			}
		}
		if ch := e.Children(); len(ch) == 2 {
			if bv, ok := ch[0].(*expression.BindVar); ok {
				set(bv, ch[1].Type())
			}
			if bv, ok := ch[1].(*expression.BindVar); ok {
				set(bv, ch[0].Type())
			}
		}
		if c, ok := e.(*pgexpr.Cast); ok {
			if bv, ok := c.Child.(*expression.BindVar); ok {
				set(bv, c.Type())
			}
		}
		if f, ok := e.(*pgexpr.Func); ok {
			for i, a := range f.Args {
				if bv, ok := a.(*expression.BindVar); ok && f.ParamOID(i) != 0 {
					setOID(bv, f.ParamOID(i))
				}
			}
		}
		if in, ok := e.(*expression.InTuple); ok {
			if tup, ok := in.Right().(expression.Tuple); ok {
				for _, x := range tup {
					if bv, ok := x.(*expression.BindVar); ok {
						set(bv, in.Left().Type())
					}
				}
			}
		}
		return true
	})
	transform.Inspect(node, func(n sql.Node) bool {
		limitParams(n, setOID)
		ins, ok := n.(*plan.InsertInto)
		if !ok {
			return true
		}
		// The analyzer wraps the VALUES in projections that reorder them.
		var vals *plan.Values
		transform.Inspect(ins.Source, func(n sql.Node) bool {
			if v, ok := n.(*plan.Values); ok && vals == nil {
				vals = v
			}
			return vals == nil
		})
		if vals == nil {
			return true
		}
		dest := ins.Destination.Schema()
		cols := ins.ColumnNames
		for _, tuple := range vals.ExpressionTuples {
			for i, x := range tuple {
				bv, ok := x.(*expression.BindVar)
				if !ok {
					continue
				}
				name := ""
				if i < len(cols) {
					name = cols[i]
				} else if i < len(dest) {
					name = dest[i].Name
				}
				if idx := dest.IndexOfColName(name); idx >= 0 {
					set(bv, dest[idx].Type)
				}
			}
		}
		return true
	})
	for i, o := range p.paramOIDs {
		if o == 0 {
			p.paramOIDs[i] = pgtypes.OIDText
		}
	}
}

// Rows is the result of one execution.
type Rows struct {
	ctx     *sql.Context
	iter    sql.RowIter
	schema  sql.Schema
	rows    [][]any // precomputed rows (SHOW)
	tag     string
	insert  bool
	buf     []any
	closed  bool
	started bool // Next was called
	cancel  context.CancelFunc
	// tx is the transaction block the statement ran in; an error while
	// reading fails it.
	tx *txBlock
	// done runs when the rows are closed: the statement has ended.
	done func()
	// returning are the inserters of an INSERT ... RETURNING not yet
	// drained (returning_sqlmisc.go).
	returning *returningWrites
	// notices are the statement's WARNINGs and NOTICEs (notice.go).
	notices []*pgerror.Error
}

// Execute runs the statement with parameter values.
func (p *Prepared) Execute(ctx context.Context, params []any) (*Rows, error) {
	p.countExec()
	if u := p.s.base.undoLocal; u != nil {
		p.s.base.undoLocal = nil
		u()
	}
	s := p.s
	s.started(p.st.SQL)
	ctx, notices := withNotices(ctx)
	rows, err := p.execute(ctx, params)
	if err != nil {
		err = relationPositioned(p.st, err) // relation_names.go
		s.base.insertChecks = nil           // views_viewdml.go
		s.failed()
		s.finished()
		return nil, err
	}
	if s.tx.active {
		rows.tx = &s.tx
	}
	rows.notices = s.sendable(notices.list)
	rows.done = s.finished
	if s.base.insertChecks != nil {
		rows.done = func() { s.base.insertChecks = nil; s.finished() }
	}
	return rows, nil
}

// countExec counts an execution of p in its session; the plan describe
// made is dropped unless this is the first statement executed since.
func (p *Prepared) countExec() {
	if p.s.execs != p.describedAt || p.s.base.undoLocal != nil {
		// A statement ran since describe, or settings are about to be
		// restored (set_config is_local): plan again.
		p.described = nil
	}
	p.s.execs++
}

func (p *Prepared) execute(ctx context.Context, params []any) (rows *Rows, err error) {
	s := p.s
	defer func() {
		if err == nil {
			s.e.announceChange(ctx, p.st.Kind) // tables_clusterdml.go
		}
	}()
	switch p.st.Kind {
	case pgparse.KindUtility, pgparse.KindSet, pgparse.KindShow:
	default:
		s.tx.queried = true
	}
	switch p.st.Kind {
	case pgparse.KindInsert, pgparse.KindCreateTable, pgparse.KindDropTable, pgparse.KindAlterTable, pgparse.KindDelete, pgparse.KindUpdate, pgparse.KindTruncate:
		if err := s.checkWritable(p.st.Tag); err != nil {
			return nil, err
		}
	}
	if rows, ok, err := s.viewStatement(ctx, p); ok { // views.go
		return rows, err
	}
	switch p.st.Kind {
	case pgparse.KindUtility:
		if pgparse.IsTransactionEnd(p.st.Tag) && p.st.Savepoint == "" {
			s.closeCursors(false)
		}
		if strings.HasPrefix(p.st.Tag, "DISCARD") {
			if err := s.discard(p.st.Tag); err != nil {
				return nil, err
			}
		}
		if err := s.transaction(ctx, p.st); err != nil {
			return nil, err
		}
		return &Rows{tag: p.st.Tag}, nil
	case pgparse.KindMaintenance:
		return s.maintenance(ctx, p.st)
	case pgparse.KindNoop:
		return noop(ctx, p.st), nil
	case pgparse.KindNotify:
		return s.notifyStatement(ctx, p.st.Notify)
	case pgparse.KindPrepare:
		return s.sqlPrepare(ctx, p.st.Prepare)
	case pgparse.KindExecute:
		return s.sqlExecute(ctx, p.st.Execute)
	case pgparse.KindDeallocate:
		return s.sqlDeallocate(p.st.Deallocate)
	case pgparse.KindDeclare:
		return s.declare(ctx, p, params)
	case pgparse.KindFetch:
		return s.fetch(ctx, p.st.Fetch)
	case pgparse.KindClose:
		return s.closeCursor(p.st.Close)
	case pgparse.KindCreateTable:
		if err := s.checkDefaults(s.sqlContext(ctx), p.st.CreateTable); err != nil {
			return nil, err
		}
		t, err := s.e.createTable(ctx, p.st.CreateTable)
		if err != nil {
			return nil, mapError(err)
		}
		s.noteCreated(t)
		return &Rows{tag: "CREATE TABLE"}, nil
	case pgparse.KindAlterTable:
		if p.st.AlterTable.NeedsSession() {
			return s.alterDDL(ctx, p.st.AlterTable, p.st.Tag)
		}
		before, after, err := s.e.alterTable(ctx, p.st.AlterTable)
		s.noteAltered(before, after) // session_txddl.go; also after a failure half way
		if err != nil {
			return nil, mapError(err)
		}
		return &Rows{tag: "ALTER TABLE"}, nil
	case pgparse.KindDropTable:
		if err := s.dropTables(ctx, p.st.DropTable); err != nil { // session_txdrop.go
			return nil, mapError(err)
		}
		return &Rows{tag: "DROP TABLE"}, nil
	case pgparse.KindSet:
		if err := s.set(p.st.Set); err != nil {
			return nil, err
		}
		return &Rows{tag: p.st.Tag}, nil
	case pgparse.KindShow:
		return s.show(p.st.Show)
	case pgparse.KindDelete:
		return s.deleteRows(ctx, p, params)
	case pgparse.KindUpdate:
		return s.updateRows(ctx, p, params)
	case pgparse.KindTruncate:
		return s.truncate(ctx, p.st.Truncate)
	case pgparse.KindCopyFrom:
		return nil, pgerror.New(pgerror.FeatureNotSupported, "COPY FROM STDIN runs through the wire protocol's COPY sub-protocol (BeginCopyFrom)")
	}
	if err := p.s.prepareInsertChecks(ctx, p); err != nil { // views_viewdml.go
		return nil, err
	}
	bindings, err := p.bind(params)
	if err != nil {
		return nil, err
	}
	return p.run(ctx, bindings, s.statementTimeout())
}

// bind turns parameter values into the AST literals planning substitutes.
func (p *Prepared) bind(params []any) (map[string]ast.Expr, error) {
	if len(params) < p.st.NumParams {
		return nil, pgerror.New(pgerror.ProtocolViolation, "bind message supplies %d parameters, but prepared statement requires %d", len(params), p.st.NumParams)
	}
	if p.st.NumParams == 0 {
		return nil, nil
	}
	bindings := make(map[string]ast.Expr, p.st.NumParams)
	for i := 0; i < p.st.NumParams; i++ {
		e, err := bindValue(params[i], p.paramOIDs[i])
		if err != nil {
			return nil, err
		}
		bindings["v"+strconv.Itoa(i+1)] = e
	}
	return bindings, nil
}

// run plans and starts the statement; timeout > 0 bounds planning and
// every row fetched.
func (p *Prepared) run(ctx context.Context, bindings map[string]ast.Expr, timeout time.Duration) (*Rows, error) {
	if p.st.Kind == pgparse.KindExplain && p.st.Explain != nil && p.st.Explain.Analyze {
		return p.explainAnalyze(ctx, bindings, timeout)
	}
	sctx, node, cancel, err := p.planWithin(ctx, bindings, timeout)
	if err != nil {
		return nil, err
	}
	if p.st.Kind == pgparse.KindExplain {
		cancel()
		return explainRows(node), nil
	}
	if p.arrowable() {
		// A fully vectorized plan streams the executor's batches.
		ar, ok, err := p.arrowRows(sctx, node, cancel)
		if err != nil {
			return nil, err
		}
		if ok {
			schema := node.Schema()
			return &Rows{ctx: sctx, iter: &arrowRowIter{ar: ar, schema: schema}, schema: schema, cancel: cancel}, nil
		}
	}
	if p.st.Returns() {
		schema, iter, w, err := p.buildReturning(sctx, node)
		if err != nil {
			cancel()
			return nil, mapError(err)
		}
		return &Rows{ctx: sctx, iter: iter, schema: schema, insert: true, returning: w, cancel: cancel}, nil
	}
	schema, iter, _, err := p.s.e.gms.PrepQueryPlanForExecution(sctx, p.st.SQL, node, nil)
	if err != nil {
		cancel()
		return nil, mapError(err)
	}
	return &Rows{ctx: sctx, iter: iter, schema: schema, insert: p.st.Kind == pgparse.KindInsert, cancel: cancel}, nil
}

// bindPlan binds params and plans the statement in a context that
// statement_timeout bounds; cancel ends that context.
func (p *Prepared) bindPlan(ctx context.Context, params []any) (*sql.Context, sql.Node, context.CancelFunc, error) {
	bindings, err := p.bind(params)
	if err != nil {
		return nil, nil, nil, err
	}
	return p.planWithin(ctx, bindings, p.s.statementTimeout())
}

// planWithin plans the statement in a context that timeout (when > 0)
// bounds, like PostgreSQL's statement_timeout: the deadline covers
// planning and every row fetched. cancel ends that context.
func (p *Prepared) planWithin(ctx context.Context, bindings map[string]ast.Expr, timeout time.Duration) (*sql.Context, sql.Node, context.CancelFunc, error) {
	cctx, cancel := context.WithCancel(ctx)
	if timeout > 0 {
		cctx, cancel = context.WithTimeout(ctx, timeout)
	}
	sctx := p.s.sqlContext(cctx)
	if node := p.described; node != nil && bindings == nil {
		p.described = nil
		return sctx, node, cancel, nil
	}
	node, err := p.plan(sctx, bindings)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	return sctx, node, cancel, nil
}

// bindValue turns a decoded wire parameter into an AST literal.
func bindValue(v any, oid uint32) (ast.Expr, error) {
	switch x := v.(type) {
	case nil:
		return &ast.NullVal{}, nil
	case bool:
		return ast.BoolVal(x), nil
	case int64:
		return intParam(x, oid), nil
	case int32:
		return intParam(int64(x), oid), nil
	case float64:
		switch oid {
		case pgtypes.OIDFloat8:
			return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: x, Type: types.Float64}}, nil
		case pgtypes.OIDFloat4:
			return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: float32(x), Type: types.Float32}}, nil
		}
		return ast.NewFloatVal([]byte(strconv.FormatFloat(x, 'g', -1, 64))), nil
	case string:
		if oid == pgtypes.OIDNumeric {
			if _, err := decimal.NewFromString(x); err == nil {
				return ast.NewFloatVal([]byte(x)), nil // a numeric literal, as in SQL text
			}
		}
		return ast.NewStrVal([]byte(x)), nil
	case []byte:
		return ast.NewStrVal(x), nil
	case time.Time:
		return ast.NewStrVal([]byte(x.UTC().Format("2006-01-02 15:04:05.999999"))), nil
	case decimal.Decimal:
		return ast.NewFloatVal([]byte(x.String())), nil
	case fmt.Stringer:
		return ast.NewStrVal([]byte(x.String())), nil
	}
	return nil, pgerror.New(pgerror.InvalidParameterType, "unsupported parameter value %T for type %s", v, pgtypes.TypeName(oid))
}

// intParam is an integer parameter value as a literal of the parameter's
// type (int2, int4 or int8; an untyped one is int4 when it fits, as a
// PostgreSQL integer constant). A bare vitess integer would be
// go-mysql-server's int8 for small values, which OpenWit reads as boolean.
func intParam(x int64, oid uint32) ast.Expr {
	switch {
	case oid == pgtypes.OIDInt8 || x < math.MinInt32 || x > math.MaxInt32:
		return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: x, Type: types.Int64}}
	case oid == pgtypes.OIDInt2 && x >= math.MinInt16 && x <= math.MaxInt16:
		return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: int16(x), Type: types.Int16}}
	}
	return ast.InjectedExpr{Expression: pgexpr.InjectableLiteral{Value: int32(x), Type: types.Int32}}
}

// Columns returns the result columns of an executed statement.
func (r *Rows) Columns() sql.Schema { return r.schema }

// Next returns the next row (values normalized for the wire), or io.EOF.
func (r *Rows) Next(ctx context.Context) ([]any, error) {
	row, err := r.next(ctx)
	if err != nil && err != io.EOF && r.tx != nil {
		r.tx.failed = true
	}
	return row, err
}

func (r *Rows) next(ctx context.Context) ([]any, error) {
	if r.rows != nil {
		if len(r.rows) == 0 {
			return nil, io.EOF
		}
		row := r.rows[0]
		r.rows = r.rows[1:]
		return row, nil
	}
	if r.iter == nil {
		return nil, io.EOF
	}
	if r.returning != nil {
		if err := r.drainReturning(); err != nil {
			return nil, err
		}
		return r.next(ctx)
	}
	r.started = true
	if r.insert {
		var affected uint64
		for {
			row, err := r.iter.Next(r.ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				return nil, mapError(err)
			}
			if len(row) > 0 {
				if ok, isOK := row[0].(types.OkResult); isOK {
					affected += ok.RowsAffected
				}
			}
		}
		if err := r.close(); err != nil {
			return nil, err
		}
		r.tag = fmt.Sprintf("INSERT 0 %d", affected)
		return nil, io.EOF
	}
	row, err := r.iter.Next(r.ctx)
	if err == io.EOF {
		return nil, io.EOF
	}
	if err != nil {
		return nil, mapError(err)
	}
	if cap(r.buf) < len(row) {
		r.buf = make([]any, len(row))
	}
	out := r.buf[:len(row)]
	for i, v := range row {
		nv, err := pgtypes.Value(r.ctx, r.schema[i].Type, v)
		if err != nil {
			return nil, mapError(err)
		}
		out[i] = nv
	}
	return out, nil
}

// Tag is the command tag, valid after Next returned io.EOF ("" for SELECT).
func (r *Rows) Tag() string { return r.tag }

// closeIter closes the row iterator. Some go-mysql-server iterators panic
// when closed before their first Next (groupByIter disposes buffers it
// has not made yet), which a cursor closed unread does: that panic is
// harmless and absorbed; any other is not.
func (r *Rows) closeIter() (err error) {
	if !r.started {
		defer func() {
			if v := recover(); v != nil {
				err = nil
			}
		}()
	}
	return r.iter.Close(r.ctx)
}

// Close releases the result. It is idempotent.
func (r *Rows) Close() error { return r.close() }

func (r *Rows) close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.done != nil {
		defer r.done()
	}
	r.discardReturning()
	var err error
	if r.iter != nil {
		err = r.closeIter()
	}
	if r.cancel != nil {
		r.cancel()
	}
	if err != nil {
		return mapError(err)
	}
	return nil
}

// defaultSettings are the session settings and their defaults; SHOW and SET
// accept these names (case-insensitive).
var defaultSettings = map[string]string{
	"timezone":                            "UTC",
	"openwit.vectorize":                   "on",
	"openwit.query_memory_limit":          "", // set per session from Config.QueryMemoryLimit
	"datestyle":                           "ISO, MDY",
	"intervalstyle":                       "postgres",
	"client_encoding":                     "UTF8",
	"server_encoding":                     "UTF8",
	"server_version":                      "15.0",
	"server_version_num":                  "150000",
	"standard_conforming_strings":         "on",
	"integer_datetimes":                   "on",
	"is_superuser":                        "on",
	"application_name":                    "",
	"extra_float_digits":                  "1",
	"search_path":                         `"$user", public`,
	"statement_timeout":                   "0",
	"lock_timeout":                        "0",
	"idle_in_transaction_session_timeout": "0",
	"transaction_isolation":               "read committed",
	"default_transaction_isolation":       "read committed",
	"transaction_read_only":               "off",
	"default_transaction_read_only":       "off",
	"transaction_deferrable":              "off",
	"default_transaction_deferrable":      "off",
	"max_identifier_length":               "63",
	"max_index_keys":                      "32", // read-only compile-time limits, as in PostgreSQL
	"max_function_args":                   "100",
	"block_size":                          "8192",
	"lc_collate":                          "C",
	"lc_ctype":                            "C",
	"lc_messages":                         "C",
	"lc_monetary":                         "C",
	"lc_numeric":                          "C",
	"lc_time":                             "C",
	"bytea_output":                        "hex",
	"client_min_messages":                 "notice",
	"session_authorization":               "openwit",
	"work_mem":                            "4MB",
	"jit":                                 "off",
	"synchronous_commit":                  "on",
	"row_security":                        "on",
}

// canonicalNames are the spellings PostgreSQL reports settings under.
var canonicalNames = map[string]string{
	"timezone": "TimeZone", "datestyle": "DateStyle", "intervalstyle": "IntervalStyle",
}

func showColumnName(name string) string {
	if c, ok := canonicalNames[name]; ok {
		return c
	}
	return name
}

func (s *Session) set(st *pgparse.Set) error {
	if st.Multi != nil {
		for i := range st.Multi {
			m := st.Multi[i]
			m.Local = st.Local
			if err := s.set(&m); err != nil {
				return err
			}
		}
		return nil
	}
	if st.All {
		s.resetAll()
		return nil
	}
	name := st.Name
	if name == "time zone" {
		name = "timezone"
	}
	if err := s.checkTxSetting(name, st); err != nil {
		return err
	}
	// A transaction characteristic is always local to its transaction.
	local := st.Local || isTxCharacteristic(name)
	switch {
	case local && !s.tx.active:
		// Outside a block the statement is its own transaction: the value
		// is checked and gone at its end.
		saved := s.base.snapshot()
		err := s.assign(name, st)
		s.base.restore(saved)
		return err
	case local:
		if _, ok := s.tx.commit[name]; !ok && !isTxCharacteristic(name) {
			s.tx.commit[name] = s.settings[name]
		}
	}
	if err := s.assign(name, st); err != nil {
		return err
	}
	if !local && s.tx.active {
		if _, ok := s.tx.commit[name]; ok {
			s.tx.commit[name] = s.settings[name]
		}
	}
	if n, ok := strings.CutPrefix(name, "default_"); ok && isTxCharacteristic(n) && !s.tx.active {
		s.settings[n] = s.settings[name]
	}
	return nil
}

// resetAll is RESET ALL: every setting back to its default, except the
// session's user and the characteristics of the current transaction.
func (s *Session) resetAll() {
	for k, v := range defaultSettings {
		if k == "session_authorization" || isTxCharacteristic(k) {
			continue
		}
		s.settings[k] = v
	}
	s.settings["application_name"] = s.startApp
	s.base.loc = time.UTC
	s.base.rowEngine = false
	s.base.efd = 1
	s.base.memLimit = s.e.cfg.QueryMemoryLimit
	s.settings["openwit.query_memory_limit"] = pgtypes.FormatMemory(s.e.cfg.QueryMemoryLimit)
	if !s.tx.active {
		s.resetTxCharacteristics()
	}
	for k := range s.tx.commit {
		s.tx.commit[k] = s.settings[k]
	}
}

// assign validates a setting's new value, applies it and stores it.
func (s *Session) assign(name string, st *pgparse.Set) error {
	def, known := defaultSettings[name]
	if !known && !strings.Contains(name, ".") {
		return pgerror.New(pgerror.UndefinedObject, "unrecognized configuration parameter %q", st.Name)
	}
	v := st.Value
	if st.Default {
		v = def
		switch name {
		case "openwit.query_memory_limit":
			v = pgtypes.FormatMemory(s.e.cfg.QueryMemoryLimit)
		case "application_name":
			v = s.startApp
		}
	}
	if c, ok, err := validateSetting(name, v); ok {
		if err != nil {
			return err
		}
		v = c
	}
	switch name {
	case "openwit.query_memory_limit":
		n, err := pgtypes.ParseMemory(v, 1<<10)
		if err != nil {
			return pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"openwit.query_memory_limit\": %q (a size such as '512MB' or '2GB'; 0 means no limit)", v)
		}
		s.base.memLimit, v = n, pgtypes.FormatMemory(n)
	case "timezone":
		if strings.EqualFold(v, "local") || strings.EqualFold(v, "default") {
			v = "UTC"
		}
		loc, err := loadLocation(v)
		if err != nil {
			return pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"TimeZone\": %q", v)
		}
		s.base.loc = loc
	case "server_version", "server_version_num", "server_encoding", "integer_datetimes", "lc_collate", "lc_ctype", "max_identifier_length", "is_superuser",
		"max_index_keys", "max_function_args", "block_size":
		return pgerror.New(pgerror.CantChangeRuntimeParam, "parameter %q cannot be changed", st.Name)
	case "client_encoding":
		if u := strings.ToUpper(strings.ReplaceAll(v, "-", "")); u != "UTF8" && u != "UNICODE" {
			return pgerror.New(pgerror.FeatureNotSupported, "client_encoding %q is not supported; OpenWit speaks UTF8", v)
		}
		v = "UTF8"
	case "openwit.vectorize":
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "on", "true", "yes", "1":
			v, s.base.rowEngine = "on", false
		case "off", "false", "no", "0":
			v, s.base.rowEngine = "off", true
		default:
			return pgerror.New(pgerror.InvalidParameterValue, "parameter \"openwit.vectorize\" requires a Boolean value")
		}
	case "statement_timeout":
		if parseTimeoutSetting(v) == 0 && strings.TrimSpace(v) != "0" {
			return pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"statement_timeout\": %q", v)
		}
	case "intervalstyle":
		// The gateway formats interval text output in the style.
		switch style := strings.ToLower(strings.TrimSpace(v)); style {
		case "postgres", "postgres_verbose", "sql_standard", "iso_8601":
			v = style
		default:
			return pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"IntervalStyle\": %q", v)
		}
	case "extra_float_digits":
		s.base.efd, _ = strconv.Atoi(v)
	}
	s.settings[name] = v
	return nil
}

func loadLocation(name string) (*time.Location, error) {
	switch strings.ToUpper(name) {
	case "UTC", "GMT", "Z", "ZULU", "UCT":
		return time.UTC, nil
	}
	return time.LoadLocation(name)
}

func (s *Session) show(st *pgparse.Show) (*Rows, error) {
	if st.Name == "all" {
		keys := make([]string, 0, len(s.settings))
		for k := range s.settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		rows := make([][]any, 0, len(keys))
		for _, k := range keys {
			rows = append(rows, []any{showColumnName(k), s.settings[k], ""})
		}
		return &Rows{rows: rows, tag: "SHOW"}, nil
	}
	name := st.Name
	if name == "time zone" {
		name = "timezone"
	}
	if name == "transaction isolation level" {
		name = "transaction_isolation"
	}
	v, ok := s.settings[name]
	if !ok {
		return nil, pgerror.New(pgerror.UndefinedObject, "unrecognized configuration parameter %q", st.Name)
	}
	return &Rows{rows: [][]any{{v}}, tag: "SHOW"}, nil
}

// SQLSTATEs mapError uses that internal/pgerror does not name.
const (
	codeDuplicateAlias          = "42712"
	codeInvalidRowCountInLimit  = "2201W"
	codeInvalidRowCountInOffset = "2201X"
	codeInvalidFrameOffset      = "22013"
	codeInvalidNtileArgument    = "22014"
)

// mapError turns go-mysql-server errors into PostgreSQL errors.
func mapError(err error) error {
	if err == nil {
		return nil
	}
	var wi sql.WrappedInsertError
	if errors.As(err, &wi) && wi.Cause != nil {
		err = wi.Cause // no Unwrap
	}
	var pe *pgerror.Error
	if errors.As(err, &pe) {
		return pe
	}
	if errors.Is(err, context.Canceled) {
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return pgerror.New(pgerror.QueryCanceled, "canceling statement due to statement timeout")
	}
	msg := err.Error()
	switch {
	case sql.ErrTableNotFound.Is(err):
		return &pgerror.Error{Code: pgerror.UndefinedTable, Message: fmt.Sprintf("relation %q does not exist", quotedName(msg)), Err: err}
	case strings.HasPrefix(msg, "Unknown column '"):
		return &pgerror.Error{Code: pgerror.UndefinedColumn, Message: fmt.Sprintf("column %q does not exist", quotedName(msg)), Err: err}
	case strings.HasPrefix(msg, "Field '") && strings.HasSuffix(msg, "doesn't have a default value"):
		return &pgerror.Error{Code: pgerror.NotNullViolation, Message: fmt.Sprintf("null value in column %q violates not-null constraint", quotedName(msg)), Err: err}
	case strings.Contains(msg, "is not a valid value for 'double'") && floatOutOfRange(quotedName(msg)):
		return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: fmt.Sprintf("%q is out of range for type double precision", quotedName(msg)), Err: err}
	case strings.Contains(msg, "is not a valid value for"):
		if v, typ, ok := invalidValue(msg); ok {
			return &pgerror.Error{Code: pgerror.InvalidTextRepr, Message: fmt.Sprintf("invalid input syntax for type %s: %q", typ, v), Err: err}
		}
		return &pgerror.Error{Code: pgerror.InvalidTextRepr, Message: "invalid input syntax: " + msg, Err: err}
	case msg == "number has no digits" || msg == "too many .s" || strings.HasPrefix(msg, "expected end of string, found ") ||
		strings.HasPrefix(msg, "can't convert ") && strings.Contains(msg, " to decimal"):
		// shopspring's decimal parser, storing text in a numeric column.
		return &pgerror.Error{Code: pgerror.InvalidTextRepr, Message: "invalid input syntax for type numeric", Err: err}
	case strings.HasPrefix(msg, "Incorrect datetime value"):
		return &pgerror.Error{Code: pgerror.InvalidDatetimeFormat, Message: "invalid input syntax for type timestamp: " + quotedName(msg), Err: err}
	case strings.Contains(msg, "subquery returned more than 1 row"):
		return &pgerror.Error{Code: pgerror.CardinalityViolation, Message: "more than one row returned by a subquery used as an expression", Err: err}
	case strings.HasPrefix(msg, "operand should have 1 columns"):
		return &pgerror.Error{Code: pgerror.SyntaxError, Message: "subquery must return only one column", Err: err}
	case strings.Contains(msg, "cannot union two queries whose schemas are different lengths"):
		return &pgerror.Error{Code: pgerror.SyntaxError, Message: "each UNION query must have the same number of columns", Err: err}
	case strings.Contains(msg, "column names list have different column counts"):
		return &pgerror.Error{Code: pgerror.InvalidColumnReference, Message: "WITH query has a different number of columns than its column list", Err: err}
	case sql.ErrTableColumnNotFound.Is(err):
		// PostgreSQL's errorMissingColumn: "column t.c does not exist".
		if tbl, col, ok := tableColumnNames(msg); ok {
			return &pgerror.Error{Code: pgerror.UndefinedColumn, Message: fmt.Sprintf("column %s.%s does not exist", tbl, col), Err: err}
		}
		return &pgerror.Error{Code: pgerror.UndefinedColumn, Message: fmt.Sprintf("column %q does not exist", quotedName(msg)), Err: err}
	case sql.ErrColumnNotFound.Is(err):
		return &pgerror.Error{Code: pgerror.UndefinedColumn, Message: fmt.Sprintf("column %q does not exist", quotedName(msg)), Err: err}
	case sql.ErrAmbiguousColumnName.Is(err):
		return &pgerror.Error{Code: pgerror.AmbiguousColumn, Message: fmt.Sprintf("column reference %q is ambiguous", quotedName(msg)), Err: err}
	case sql.ErrAmbiguousColumnOrAliasName.Is(err):
		// ORDER BY a name two output columns have.
		return &pgerror.Error{Code: pgerror.AmbiguousColumn, Message: fmt.Sprintf("ORDER BY %q is ambiguous", quotedName(msg)), Err: err}
	case sql.ErrFunctionNotFound.Is(err):
		return &pgerror.Error{Code: pgerror.UndefinedFunction, Message: fmt.Sprintf("function %s() does not exist", quotedName(msg)), Err: err}
	case sql.ErrInvalidArgumentNumber.Is(err):
		return &pgerror.Error{Code: pgerror.UndefinedFunction, Message: msg, Err: err}
	case sql.ErrDatabaseNotFound.Is(err), sql.ErrDatabaseSchemaNotFound.Is(err):
		return &pgerror.Error{Code: pgerror.InvalidSchemaName, Message: msg, Err: err}
	case sql.ErrInsertIntoNonNullableProvidedNull.Is(err), sql.ErrInsertIntoNonNullableDefaultNullColumn.Is(err),
		strings.Contains(msg, "is non-nullable but attempted to set a value of null"):
		return &pgerror.Error{Code: pgerror.NotNullViolation, Message: msg, Err: err}
	case strings.Contains(msg, "GROUP BY"):
		return &pgerror.Error{Code: pgerror.GroupingError, Message: msg, Err: err}
	case sql.ErrInvalidColumnNumber.Is(err), sql.ErrInsertIntoMismatchValueCount.Is(err):
		return &pgerror.Error{Code: pgerror.SyntaxError, Message: msg, Err: err}
	case types.ErrConvertingToTime.Is(err):
		return &pgerror.Error{Code: pgerror.InvalidDatetimeFormat, Message: "invalid input syntax for type timestamp: " + msg, Err: err}
	case sql.ErrInvalidValue.Is(err), sql.ErrConvertingToSet.Is(err), sql.ErrInvalidValueType.Is(err):
		return &pgerror.Error{Code: pgerror.InvalidTextRepr, Message: msg, Err: err}
	case types.ErrConvertToDecimalLimit.Is(err):
		return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: "numeric field overflow", Err: err}
	case sql.ErrValueOutOfRange.Is(err):
		if _, typ, ok := strings.Cut(msg, " out of range for "); ok {
			if name := pgTypeOfGMS(typ); name != "" {
				return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: name + " out of range", Err: err}
			}
		}
		return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: msg, Err: err}
	case types.ErrValueNotNil.Is(err):
		return &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: msg, Err: err}
	case sql.ErrUnsupportedFeature.Is(err), sql.ErrUnsupportedSyntax.Is(err):
		return &pgerror.Error{Code: pgerror.FeatureNotSupported, Message: msg, Err: err}
	case sql.ErrCteRecursionLimitExceeded.Is(err):
		// go-mysql-server stops a recursive CTE after a fixed number of
		// iterations; PostgreSQL has no such limit.
		return &pgerror.Error{Code: pgerror.ProgramLimitExceeded, Message: "WITH RECURSIVE stopped after 10001 iterations (OpenWit's limit)", Err: err}
	case sql.ErrDuplicateAliasOrTable.Is(err):
		return &pgerror.Error{Code: codeDuplicateAlias, Message: fmt.Sprintf("table name %q specified more than once", quotedName(msg)), Err: err}
	case sql.ErrColumnSpecifiedTwice.Is(err):
		return &pgerror.Error{Code: pgerror.DuplicateColumn, Message: fmt.Sprintf("column %q specified more than once", quotedName(msg)), Err: err}
	case sql.ErrInvalidSyntax.Is(err) && strings.HasSuffix(msg, "negative limit"):
		return &pgerror.Error{Code: codeInvalidRowCountInLimit, Message: "LIMIT must not be negative", Err: err}
	case sql.ErrInvalidSyntax.Is(err) && strings.HasSuffix(msg, "negative offset"):
		return &pgerror.Error{Code: codeInvalidRowCountInOffset, Message: "OFFSET must not be negative", Err: err}
	case expression.ErrInvalidOffset.Is(err):
		return &pgerror.Error{Code: codeInvalidFrameOffset, Message: "frame starting or ending offset must not be negative", Err: err}
	case sql.ErrInvalidArgument.Is(err) && strings.HasSuffix(msg, "NTILE"):
		return &pgerror.Error{Code: codeInvalidNtileArgument, Message: "argument of ntile must be greater than zero", Err: err}
	case strings.Contains(msg, "syntax error"):
		return &pgerror.Error{Code: pgerror.SyntaxError, Message: msg, Err: err}
	}
	return &pgerror.Error{Code: pgerror.InternalError, Message: msg, Err: err}
}

// invalidValue reads go-mysql-server's "error: 'abc' is not a valid value
// for 'int'": the value and PostgreSQL's name of the type.
func invalidValue(msg string) (value, typ string, ok bool) {
	const mid = "' is not a valid value for '"
	i := strings.Index(msg, mid)
	j := strings.Index(msg, "'")
	if i < 0 || j < 0 || j >= i || !strings.HasSuffix(msg, "'") {
		return "", "", false
	}
	typ = pgTypeOfGMS(msg[i+len(mid) : len(msg)-1])
	return msg[j+1 : i], typ, typ != ""
}

// pgTypeOfGMS is PostgreSQL's name for a go-mysql-server type name in its
// conversion errors; "" when unknown.
func pgTypeOfGMS(t string) string {
	switch t {
	case "int":
		return "integer"
	case "smallint", "bigint", "real":
		return t
	case "double":
		return "double precision"
	case "float":
		return "real"
	case "tinyint(1)", "boolean":
		return "boolean"
	}
	return ""
}

// floatOutOfRange reports a number too large (or small) for float8.
func floatOutOfRange(s string) bool {
	_, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return errors.Is(err, strconv.ErrRange)
}

// quotedName extracts the first quoted or trailing name of a
// go-mysql-server message ("table not found: foo" → foo).
func quotedName(msg string) string {
	for _, q := range []string{"`", "'", "\""} {
		if i := strings.Index(msg, q); i >= 0 {
			if j := strings.Index(msg[i+1:], q); j >= 0 {
				return msg[i+1 : i+1+j]
			}
		}
	}
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return strings.TrimSpace(msg[i+2:])
	}
	return msg
}

// statementTimeout parses the statement_timeout setting (milliseconds, or
// a number with a unit: 500ms, 2s, 1min); 0 disables it.
func (s *Session) statementTimeout() time.Duration {
	return parseTimeoutSetting(s.settings["statement_timeout"])
}

func parseTimeoutSetting(v string) time.Duration {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "" || v == "0" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Duration(n) * time.Millisecond
	}
	v = strings.Replace(strings.Replace(v, "min", "m", 1), " ", "", -1)
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return 0
}

// explainRows renders a plan as EXPLAIN's rows, one line each.
func explainRows(node sql.Node) *Rows {
	text := sql.DebugString(node)
	var rows [][]any
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		rows = append(rows, []any{l})
	}
	return &Rows{rows: rows, tag: "EXPLAIN"}
}

// tableColumnNames reads go-mysql-server's ErrTableColumnNotFound message,
// `table "t" does not have column "c"`.
func tableColumnNames(msg string) (table, column string, ok bool) {
	rest, found := strings.CutPrefix(msg, "table ")
	if !found {
		return "", "", false
	}
	q, rest, found := strings.Cut(rest, " does not have column ")
	if !found {
		return "", "", false
	}
	t, err1 := strconv.Unquote(q)
	c, err2 := strconv.Unquote(rest)
	if err1 != nil || err2 != nil {
		return "", "", false
	}
	return t, c, true
}
