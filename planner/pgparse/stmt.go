package pgparse

import (
	"time"

	ast "github.com/dolthub/vitess/go/vt/sqlparser"

	"openwit/internal/pgerror"
)

// Kind is the kind of a translated statement.
type Kind int

// Statement kinds.
const (
	KindQuery         Kind = iota // a SELECT: AST is set, returns rows
	KindInsert                    // an INSERT: AST is set
	KindCreateTable               // CreateTable is set
	KindDropTable                 // DropTable is set
	KindSet                       // Set is set
	KindShow                      // Show is set
	KindUtility                   // accepted, does nothing but return Tag (BEGIN, COMMIT, ...)
	KindExplain                   // EXPLAIN of a SELECT: AST is the SELECT, Explain its options
	KindDeclare                   // DECLARE CURSOR: Cursor is set, AST is the query
	KindFetch                     // FETCH or MOVE: Fetch is set
	KindClose                     // CLOSE: Close is set
	KindCopyFrom                  // COPY ... FROM STDIN: Copy is set
	KindCopyTo                    // COPY ... TO STDOUT: Copy is set, AST is the query
	KindAlterTable                // ALTER TABLE ... SET/RESET (options), ADD COLUMN: AlterTable is set
	KindNotify                    // LISTEN, UNLISTEN or NOTIFY: Notify is set
	KindDelete                    // DELETE: Delete is set, AST is SELECT * FROM the table WHERE the condition (dml.go)
	KindTruncate                  // TRUNCATE: Truncate is set
	KindPrepare                   // SQL PREPARE: Prepare is set
	KindExecute                   // SQL EXECUTE: Execute is set
	KindDeallocate                // DEALLOCATE: Deallocate is set
	KindUpdate                    // UPDATE: Update is set, AST is SELECT of the new values FROM the table WHERE the condition (update.go)
	KindCreateView                // CREATE [OR REPLACE] VIEW: View is set (views.go)
	KindDropView                  // DROP VIEW: DropTable is set
	KindAlterView                 // ALTER VIEW ... RENAME TO: AlterView is set
	KindCreateTableAs             // CREATE TABLE AS, SELECT INTO: CreateTableAs is set
	KindMaintenance               // VACUUM or ANALYZE: Maintenance is set (maintenance.go)
	KindNoop                      // accepted, changes nothing: Tag, and Notices to raise (maintenance.go)
)

// Statement is one translated statement.
type Statement struct {
	Kind      Kind
	SQL       string // the statement's own text
	AST       ast.Statement
	Tag       string // command tag for utility statements
	NumParams int    // highest $n referenced
	// RelationAt is where the statement first names each relation (by its
	// unqualified name): the cursor position (1-based, in characters of
	// the whole query string) of a 42P01 error about it.
	RelationAt map[string]int32
	// Deferred is a semantic error found by the translator that is reported
	// only if planning succeeds (resolution errors come first).
	Deferred error
	// Unify is the type resolution of set operations and VALUES lists the
	// planner completes by binding (nil without either).
	Unify *Unify
	// Probes are statements the planner binds, without running them, to
	// find names go-mysql-server resolves where PostgreSQL finds them
	// ambiguous (ambiguous.go).
	Probes []ast.SelectStatement

	CreateTable *CreateTable
	DropTable   *DropTable
	AlterTable  *AlterTable
	Set         *Set
	Show        *Show
	Cursor      *Cursor
	Fetch       *Fetch
	Close       *Close
	Copy        *Copy
	Explain     *Explain
	Notify      *Notify
	Delete      *Delete
	Update      *Update
	Truncate    *Truncate
	Prepare     *SQLPrepare
	Execute     *SQLExecute
	Deallocate  *SQLDeallocate
	// View, AlterView and CreateTableAs are the view statements and
	// CREATE TABLE AS (views.go).
	View          *View
	AlterView     *AlterView
	CreateTableAs *CreateTableAs
	// ViewChecks are the WITH CHECK OPTION conditions of an INSERT or
	// UPDATE written through views (views_viewdml.go).
	ViewChecks []ViewCheck
	// Begin are the transaction characteristics BEGIN or START
	// TRANSACTION sets (transaction_isolation, transaction_read_only,
	// transaction_deferrable).
	Begin []Set
	// Maintenance is VACUUM or ANALYZE; Notices are what a KindNoop
	// statement raises (maintenance.go).
	Maintenance *Maintenance
	Notices     []*pgerror.Error
	// Savepoint names the savepoint of SAVEPOINT, RELEASE and ROLLBACK TO
	// (tag ROLLBACK, as in PostgreSQL); empty for the other statements.
	Savepoint string
}

// Explain holds the options of EXPLAIN.
type Explain struct {
	// Analyze runs the statement (discarding its rows) and annotates the
	// plan with what the run did.
	Analyze bool
	// JSON asks for FORMAT JSON (with Analyze only).
	JSON bool
}

// CreateTable is CREATE TABLE.
type CreateTable struct {
	Name        string
	IfNotExists bool
	Columns     []ColumnDef
	// TimeColumn is the time-shard key: the `time_column` table option, else
	// the first timestamptz/timestamp column.
	TimeColumn    string
	ShardDuration time.Duration // `shard_duration` option; 0 = default
	Options       map[string]string
}

// ColumnDef is one column of CREATE TABLE.
type ColumnDef struct {
	Name    string
	Type    string // canonical type name
	NotNull bool
	Default string // DEFAULT expression as PostgreSQL text; "" for none
	// DefaultDisplay is Default as PostgreSQL displays it, set by the
	// planner when the statement runs (docs/design/075).
	DefaultDisplay string
}

// DropTable is DROP TABLE.
type DropTable struct {
	Names    []string
	IfExists bool
	Cascade  bool // also drop the views that read them (views.go)
}

// AlterTable is ALTER TABLE name SET (option = value, ...) / RESET
// (option, ...) (the table options that may change after creation) and
// ADD [COLUMN] [IF NOT EXISTS] (nullable columns).
type AlterTable struct {
	Name     string
	IfExists bool
	Set      map[string]string
	Reset    []string
	Add      []AddColumn
	// RenameTo is the new name of ALTER TABLE ... RENAME TO; RenameColumn
	// is ALTER TABLE ... RENAME COLUMN (rename_sqlmisc.go).
	RenameTo     string
	RenameColumn *RenameColumn
	// Alter are DROP COLUMN and ALTER COLUMN subcommands; Comment is
	// COMMENT ON (alter_alterddl.go).
	Alter   []AlterColumn
	Comment *Comment
}

// AddColumn is one ADD COLUMN of ALTER TABLE.
type AddColumn struct {
	Column      ColumnDef
	IfNotExists bool
	// Volatile names a volatile function the DEFAULT calls ("" for none).
	Volatile string
}

// Set is SET / RESET.
type Set struct {
	Name  string // lower-case; "" with All for RESET ALL
	Value string // "" with Default
	Local bool
	// Default is SET x TO DEFAULT or RESET x.
	Default bool
	All     bool
	// Multi are the settings of SET TRANSACTION (Local) or SET SESSION
	// CHARACTERISTICS AS TRANSACTION (default_transaction_*), in order;
	// Name is empty.
	Multi []Set
}

// Show is SHOW name.
type Show struct {
	Name string // lower-case; "all" for SHOW ALL
}
