package planner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/go-mysql-server/sql/expression/function"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/exec"
	"openwit/ingest"
	"openwit/internal/notify"
	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgparse"
	"openwit/search"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/compact"
	"openwit/storage/objstore"
)

// Config wires the planner to the rest of the node.
type Config struct {
	Catalog  catalog.Catalog
	Ingester *ingest.Ingester
	Bucket   objstore.Bucket
	Logger   *slog.Logger
	// DefaultShardDuration is the time-shard width of tables that do not
	// set shard_duration.
	DefaultShardDuration time.Duration
	// Parallelism is how many sources a vectorized query reads at once;
	// 0 means GOMAXPROCS.
	Parallelism int
	// QueryMemoryLimit bounds the memory of one vectorized aggregation;
	// 0 means DefaultQueryMemoryLimit, a negative value means no limit.
	QueryMemoryLimit int64
	// Workers returns the live search workers that vectorized fragments
	// over Parquet files are distributed to (search.Distribute). It is
	// called once per query, so membership changes apply to the next
	// query; nil, or an empty answer, runs every fragment in this process.
	Workers func() []search.Worker
	// Search reaches Workers; nil makes a client per query.
	Search *search.Client
	// CopyMaxBytes bounds the parsed rows one COPY FROM STDIN holds before
	// writing them atomically at its end; 0 means DefaultCopyMaxBytes. It
	// must stay below the WAL's record size limit.
	CopyMaxBytes int64
	// TxWriteMaxBytes bounds the rows one transaction block holds in
	// memory before COMMIT writes them as one WAL record; 0 means
	// DefaultTxWriteMaxBytes. It must stay below the WAL's record size
	// limit.
	TxWriteMaxBytes int64
	// NodeID names this node in what it leaves in the shared catalog: a
	// table DROP TABLE set aside in a transaction block (design 102) is
	// given back at this node's next start if the block never ended.
	NodeID string
	// IndexCacheBytes bounds the index artifacts (storage/index) kept
	// decoded for file and row group pruning; 0 means
	// DefaultIndexCacheBytes, a negative value disables pruning by
	// artifacts.
	IndexCacheBytes int64
	// Registerer receives the planner's metrics; nil means none.
	Registerer prometheus.Registerer
	// Users are the role names pg_roles lists (the configured users when
	// authentication is on); empty lists the default user "openwit".
	Users []string
	// SchemaLock, when set, is taken around CREATE/DROP TABLE so that the
	// schema changes of all gateways sharing a catalog never interleave
	// (the etcd schema lock of coordinator/control). It returns the
	// release function; an error fails the statement with SQLSTATE 55P03.
	SchemaLock func(ctx context.Context) (unlock func(), err error)
	// Notify is the node's LISTEN/NOTIFY hub (shared with the relay that
	// carries notifications between nodes); nil: the engine's own, which
	// delivers between this engine's sessions only.
	Notify *notify.Hub
	// DML rewrites and swaps files for DELETE and TRUNCATE; nil: jobs over
	// Catalog and Bucket with the default garbage grace, keeping the
	// Ingester's file list in step.
	DML *compact.Jobs
	// ClusterFlush, when set, has the other nodes of the cluster publish
	// their buffered rows of a table before DELETE, UPDATE or TRUNCATE
	// rewrite it; an error fails the statement (tables_clusterdml.go).
	ClusterFlush func(ctx context.Context, tableID int64) error
	// TablesChanged, when set, is called after a statement changed table
	// or view definitions, to tell the other nodes (tables_clusterdml.go).
	TablesChanged func(ctx context.Context)
}

// footerCacheSize is how many Parquet footers an engine keeps (a few KiB
// each).
const footerCacheSize = 4096

// DefaultQueryMemoryLimit is the default of Config.QueryMemoryLimit.
const DefaultQueryMemoryLimit = 2 << 30

// Engine plans and runs SQL. It is safe for concurrent use; each client
// connection uses its own Session.
type Engine struct {
	cfg    Config
	gms    *sqle.Engine
	nextID atomic.Uint32
	xids   atomic.Int64 // the last transaction id txid_current gave (txid.go)
	ddlMu  sync.Mutex   // serializes CREATE/DROP TABLE on this node
	tables sync.Map     // name -> *catalog.Table (cache of the catalog)
	views  viewCache    // the catalog's views (views.go)
	// defaults are the bound column DEFAULTs, by type and text
	// (column_default.go).
	defaults sync.Map
	schemas  sync.Map // table id -> tableSchema
	running  atomic.Int64
	ixCache  *indexCache // nil: no pruning by index artifacts
	// prunes memoizes what the artifacts said of filters (pruneMemo);
	// nil with ixCache.
	prunes *pruneMemo
	// pool allocates the executor's batches, reusing freed buffers
	// (exec.Pool): shared by every query of the engine.
	pool *exec.Pool
	// footers caches the footers of the Parquet files queries scan.
	footers *exec.FooterCache
	// reads caches small decoded reads of those files (exec.ReadCache).
	reads *exec.ReadCache
	// sessions are the open sessions, for pg_stat_activity.
	sessions sessionRegistry
	// plans counts the statements bound and analyzed (Prepared.plan),
	// for tests.
	plans atomic.Int64
	// hub delivers LISTEN/NOTIFY notifications (Config.Notify or the
	// engine's own).
	hub *notify.Hub
	// dml are the jobs of DELETE and TRUNCATE (dmlJobs), made once.
	dmlOnce sync.Once
	dml     *compact.Jobs
	dmlErr  error
}

// Running returns how many vectorized scans (the distributed part of
// queries) run now: the query concurrency a coordinator gossips.
func (e *Engine) Running() int { return int(e.running.Load()) }

var layoutsOnce sync.Once

// New builds an engine.
func New(cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case cfg.QueryMemoryLimit == 0:
		cfg.QueryMemoryLimit = DefaultQueryMemoryLimit
	case cfg.QueryMemoryLimit < 0:
		cfg.QueryMemoryLimit = 0
	}
	if cfg.DefaultShardDuration <= 0 {
		cfg.DefaultShardDuration = time.Hour
	}
	layoutsOnce.Do(func() {
		// go-mysql-server converts strings to timestamps with a package-level
		// layout list; teach it PostgreSQL's output forms (offsets like -07).
		types.TimestampDatetimeLayouts = append(append([]string{}, pgexpr.ExtraTimestampLayouts...), types.TimestampDatetimeLayouts...)
	})
	e := &Engine{cfg: cfg, pool: exec.NewPool(), footers: exec.NewFooterCache(footerCacheSize),
		reads: exec.NewReadCache(exec.DefaultReadCacheBytes), hub: cfg.Notify}
	if e.hub == nil {
		e.hub = notify.NewHub(cfg.Logger)
	}
	if cfg.IndexCacheBytes == 0 {
		cfg.IndexCacheBytes = DefaultIndexCacheBytes
	}
	if cfg.IndexCacheBytes > 0 && cfg.Bucket != nil {
		e.ixCache = newIndexCache(cfg.Bucket, cfg.Logger, cfg.IndexCacheBytes, cfg.Registerer)
		e.prunes = newPruneMemo(defaultPruneMemoBytes)
	}
	pro := &provider{db: &database{eng: e}, catalog: &pgCatalogDB{eng: e}}
	a := analyzer.NewBuilder(pro).AddPreAnalyzeRule(ruleTableFuncCorrelation, tableFuncCorrelation).
		AddPostAnalyzeRule(ruleNullsOrdering, postgresNullOrdering).
		AddPostAnalyzeRule(ruleCoerceLiterals, coerceLiterals).
		AddPostAnalyzeRule(ruleTZCompare, tzCompare).
		AddPostAnalyzeRule(ruleUUIDInetLiterals, uuidInetLiterals).
		AddPostAnalyzeRule(ruleSetOpOffset, setOpOffset).
		AddPostAnalyzeRule(ruleSetOpTypes, setOpTypes).
		AddPostAnalyzeRule(ruleCoalesceTypes, coalesceTypes).
		AddPostAnalyzeRule(ruleCaseTypes, caseTypes).
		AddPostAnalyzeRule(ruleFloat4Results, float4Results).
		AddPostAnalyzeRule(ruleBPCharCompare, bpcharCompare).
		AddPostAnalyzeRule(ruleDistinctOnStar, hideDistinctOnHelpers).
		AddPostAnalyzeRule(ruleFrameWindows, frameWindows).
		AddPostValidationRule(ruleOperandTypes, operandTypes).
		AddPostValidationRule(ruleBooleanConditions, booleanConditions).Build()
	// The vectorizer runs after every other rule, once go-mysql-server has
	// assigned execution indexes.
	for _, b := range a.Batches {
		insertLimitExprs(b)
		keepVolatileFilters(b)  // volatile_once.go
		keepTextTypes(b)        // text_literals.go
		keepCorrelatedExists(b) // tablefunc_correlation.go
		if b.Desc == "after-all" {
			b.Rules = append(b.Rules, analyzer.Rule{Id: ruleViewFilters, Apply: viewFilters}, // views_pushdown.go
				analyzer.Rule{Id: ruleVolatileOnce, Apply: volatileOnce},
				analyzer.Rule{Id: ruleVectorize, Apply: e.vectorizeRule},
				analyzer.Rule{Id: ruleFloatGroupKeys, Apply: floatGroupKeys},   // float_group_keys.go
				analyzer.Rule{Id: ruleFloatInSubquery, Apply: floatInSubquery}, // float_distinct.go
				analyzer.Rule{Id: ruleFloatOrder, Apply: floatOrder},
				analyzer.Rule{Id: ruleValuesTable, Apply: valuesTables},
				analyzer.Rule{Id: ruleNotExistsJoins, Apply: notExistsJoins},
				analyzer.Rule{Id: ruleLimitWidths, Apply: limitWidths})
		}
	}
	ctx := sql.NewEmptyContext()
	for _, f := range functions(e) {
		if _, ok := a.Catalog.Function(ctx, f.FunctionName()); ok {
			continue
		}
		a.Catalog.RegisterFunction(ctx, f)
	}
	names := map[string]bool{}
	for _, f := range function.BuiltIns {
		names[strings.ToLower(f.FunctionName())] = true
	}
	for _, f := range functions(e) {
		names[strings.ToLower(f.FunctionName())] = true
	}
	pgparse.SetFunctionLookup(func(name string) bool {
		if names[strings.ToLower(name)] {
			return true
		}
		_, ok := a.Catalog.Function(sql.NewEmptyContext(), name)
		return ok
	})
	a.ExecBuilder = newExecBuilder()
	e.gms = sqle.New(a, &sqle.Config{})
	return e, nil
}

// Close releases the engine.
func (e *Engine) Close() error { return e.gms.Close() }

func (e *Engine) tableDef(ctx context.Context, name string) (*catalog.Table, error) {
	if v, ok := e.tables.Load(name); ok {
		t := v.(*catalog.Table)
		// Columns added or dropped since (Kafka schema evolution, here
		// or on another node) reach the ingester first.
		if cur := e.cfg.Ingester.Table(t.ID); cur != nil && cur.Generation() > t.Generation() {
			e.tables.Store(name, cur)
			return cur, nil
		}
		return t, nil
	}
	t, err := e.cfg.Catalog.GetTable(ctx, name)
	if err != nil {
		return nil, err
	}
	// A table another node created (shared catalog) is made known to the
	// ingester at its first use here, not at the ingester's next refresh:
	// until then queries would call it missing and INSERTs fail.
	if err := e.cfg.Ingester.AddTable(ctx, t); err != nil {
		return nil, fmt.Errorf("load table %s: %w", name, err)
	}
	e.tables.Store(name, t)
	return t, nil
}

func (e *Engine) arrowSchema(t *catalog.Table) (*arrow.Schema, error) {
	if v, ok := e.schemas.Load(t.ID); ok && v.(tableSchema).def == t {
		return v.(tableSchema).s, nil
	}
	s, err := storage.ArrowSchema(t)
	if err != nil {
		return nil, err
	}
	e.schemas.Store(t.ID, tableSchema{def: t, s: s})
	return s, nil
}

// createTable runs CREATE TABLE and returns the table it made (nil: IF
// NOT EXISTS found one).
func (e *Engine) createTable(ctx context.Context, ct *pgparse.CreateTable) (*catalog.Table, error) {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if e.viewNamed(ctx, ct.Name) { // views.go
		if ct.IfNotExists {
			notice(ctx, severityNotice, pgerror.DuplicateTable, "relation %q already exists, skipping", ct.Name)
			return nil, nil
		}
		return nil, pgerror.New(pgerror.DuplicateTable, "relation %q already exists", ct.Name)
	}
	def := &catalog.Table{Name: ct.Name, TimeColumn: ct.TimeColumn, ShardDuration: ct.ShardDuration, Options: ct.Options}
	if def.ShardDuration == 0 {
		def.ShardDuration = e.cfg.DefaultShardDuration
	}
	for _, c := range ct.Columns {
		nn := c.NotNull || (ct.TimeColumn != "" && c.Name == ct.TimeColumn)
		def.Columns = append(def.Columns, catalog.Column{Name: c.Name, Type: c.Type, NotNull: nn, Default: c.Default, DefaultDisplay: c.DefaultDisplay})
	}
	if err := checkColumnNames(ct.Name, columnNamesWith(def.Columns)); err != nil {
		return nil, err
	}
	created, err := e.cfg.Catalog.CreateTable(ctx, def)
	if errors.Is(err, catalog.ErrExists) {
		if ct.IfNotExists {
			notice(ctx, severityNotice, pgerror.DuplicateTable, "relation %q already exists, skipping", ct.Name)
			return nil, nil
		}
		return nil, pgerror.New(pgerror.DuplicateTable, "relation %q already exists", ct.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("create table %s: %w", ct.Name, err)
	}
	if err := e.cfg.Ingester.AddTable(ctx, created); err != nil {
		return nil, err
	}
	e.tables.Store(created.Name, created)
	return created, nil
}

// alterTable adds columns and changes table options (ALTER TABLE ... ADD
// COLUMN, SET/RESET, RENAME). It returns the table's definitions before
// and after (nil when there is no table).
func (e *Engine) alterTable(ctx context.Context, at *pgparse.AlterTable) (before, after *catalog.Table, err error) {
	e.ddlMu.Lock() // before the schema lock, as in createTable
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	t, err := e.cfg.Catalog.GetTable(ctx, at.Name)
	if errors.Is(err, catalog.ErrNotFound) {
		if at.IfExists {
			notice(ctx, severityNotice, codeSuccess, "relation %q does not exist, skipping", at.Name)
			return nil, nil, nil
		}
		return nil, nil, pgerror.New(pgerror.UndefinedTable, "relation %q does not exist", at.Name)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("alter table %s: %w", at.Name, err)
	}
	before = t
	if at.RenameTo != "" || at.RenameColumn != nil {
		after, err = e.renameTable(ctx, t, at)
		return before, after, err
	}
	var add []catalog.Column
	for _, a := range at.Add {
		if slices.ContainsFunc(t.Columns, func(c catalog.Column) bool { return c.Name == a.Column.Name }) {
			if a.IfNotExists {
				notice(ctx, severityNotice, pgerror.DuplicateColumn, "column %q of relation %q already exists, skipping", a.Column.Name, at.Name)
				continue
			}
			return nil, nil, pgerror.New(pgerror.DuplicateColumn, "column %q of relation %q already exists", a.Column.Name, at.Name)
		}
		add = append(add, catalog.Column{Name: a.Column.Name, Type: a.Column.Type})
	}
	if err := checkColumnNames(at.Name, columnNamesWith(slices.Concat(t.Columns, add))); err != nil {
		return nil, nil, err
	}
	if len(add) > 0 {
		t, err = e.cfg.Catalog.AddColumns(ctx, at.Name, add)
		switch {
		case errors.Is(err, catalog.ErrExists):
			return nil, nil, pgerror.New(pgerror.DuplicateColumn, "%v", err)
		case errors.Is(err, catalog.ErrInvalid):
			return nil, nil, pgerror.New(pgerror.FeatureNotSupported, "%v", err)
		case err != nil:
			return nil, nil, fmt.Errorf("alter table %s: %w", at.Name, err)
		}
		// Buffered rows are widened with NULLs for the new columns.
		if err := e.cfg.Ingester.AddTable(ctx, t); err != nil {
			return before, t, err
		}
	}
	if len(at.Set) > 0 || len(at.Reset) > 0 {
		out, err := e.cfg.Catalog.UpdateTableOptions(ctx, at.Name, at.Set, at.Reset)
		if err != nil {
			return before, t, fmt.Errorf("alter table %s: %w", at.Name, err)
		}
		t = out
	}
	e.tables.Store(t.Name, t)
	return before, t, nil
}

// lockSchema takes Config.SchemaLock, if any.
func (e *Engine) lockSchema(ctx context.Context) (func(), error) {
	if e.cfg.SchemaLock == nil {
		return func() {}, nil
	}
	unlock, err := e.cfg.SchemaLock(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &pgerror.Error{Code: pgerror.LockNotAvailable, Message: "schema changes are paused: the cluster-wide schema lock is not available",
			Detail: err.Error(), Hint: "the control plane (etcd) has no quorum or is unreachable; GET /control on --http-addr shows its state", Err: err}
	}
	return unlock, nil
}

func (e *Engine) dropTable(ctx context.Context, dt *pgparse.DropTable) error {
	return e.dropTables(ctx, dt, nil)
}

// dropTables is dropTable; setAside, when set, is asked first for each
// table (its dependent views dropped or checked): true when it kept the
// table for a ROLLBACK instead of dropping it (session_txdrop.go).
func (e *Engine) dropTables(ctx context.Context, dt *pgparse.DropTable, setAside func(context.Context, *catalog.Table) (bool, error)) error {
	e.ddlMu.Lock()
	defer e.ddlMu.Unlock()
	unlock, err := e.lockSchema(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for _, name := range dt.Names {
		t, err := e.cfg.Catalog.GetTable(ctx, name)
		if errors.Is(err, catalog.ErrNotFound) {
			if e.viewNamed(ctx, name) {
				return pgparse.IsNotA(name, false)
			}
			if dt.IfExists {
				notice(ctx, severityNotice, codeSuccess, "table %q does not exist, skipping", name)
				continue
			}
			return pgerror.New(pgerror.UndefinedTable, "table %q does not exist", name)
		}
		if err != nil {
			return err
		}
		if err := e.dropDependents(ctx, name, t.ID, false, dt.Cascade, nil); err != nil { // views.go
			return err
		}
		if setAside != nil {
			kept, err := setAside(ctx, t)
			if err != nil {
				return err
			}
			if kept {
				continue
			}
		}
		if err := e.cfg.Catalog.DropTable(ctx, name); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			return fmt.Errorf("drop table %s: %w", name, err)
		}
		e.cfg.Ingester.DropTable(t.ID)
		e.tables.Delete(name)
		e.schemas.Delete(t.ID)
	}
	return nil
}

// workers returns the search workers of this query (Config.Workers).
func (e *Engine) workers() []search.Worker {
	if e.cfg.Workers == nil {
		return nil
	}
	return e.cfg.Workers()
}
