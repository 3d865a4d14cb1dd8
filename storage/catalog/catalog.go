package catalog

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// Sentinel errors. Callers branch on them with errors.Is; every error returned
// by this package that belongs to one of these categories wraps it.
var (
	// ErrNotFound: the table (by name or ID) does not exist.
	ErrNotFound = errors.New("catalog: not found")
	// ErrExists: the table name is taken, or a file with the same ID but
	// different content is already published.
	ErrExists = errors.New("catalog: already exists")
	// ErrInvalid: an argument is invalid (empty name, unknown column type,
	// LSN above 2^63-1, unsupported URL, ...).
	ErrInvalid = errors.New("catalog: invalid argument")
	// ErrUnknownOutcome: the connection was lost while a change was being
	// committed, and it was not retried (CreateTable, DropTable) or the
	// retries ran out (PublishFile). The change may or may not have been
	// applied: read the catalog, or repeat an idempotent PublishFile.
	ErrUnknownOutcome = errors.New("catalog: outcome unknown")
	// ErrConflict: a compare-and-set lost. For ReplaceFiles, a file it
	// should remove is no longer published (a concurrent compaction,
	// retention drop or DROP TABLE took it); for PublishFilesAt, the stored
	// source offset is not the expected one (another consumer published
	// that range, or a later one). Nothing was written.
	ErrConflict = errors.New("catalog: conflict")
	// ErrSchemaVersion: the database holds a catalog schema this binary does
	// not know (written by a newer OpenWit, or edited by hand).
	ErrSchemaVersion = errors.New("catalog: incompatible schema version")
	// ErrStaleToken: a fencing token below the highest one recorded for the
	// job (Fencer): a newer holder of the job lease has written since.
	ErrStaleToken = errors.New("catalog: stale fencing token")
)

// Fencer is implemented by both catalog backends. Jobs run under an etcd
// job lease (coordinator/control) pass their fencing token so that a holder
// whose lease expired cannot write after its successor: the catalog
// remembers the highest token per job and refuses lower ones.
type Fencer interface {
	// Fence records token as job's current token, or fails with
	// ErrStaleToken if a higher token was recorded. The same token again
	// is accepted (a retried call).
	Fence(ctx context.Context, job string, token int64) error
}

// Catalog is the metadata catalog: tables and the Parquet files published
// for them. See the package documentation for the invariants.
//
// All methods are safe for concurrent use. Returned values are fresh copies
// owned by the caller. Close releases the database handle; it is idempotent
// and no other method may be called after it.
type Catalog interface {
	// CreateTable records a new table. It assigns ID (> 0, never reused,
	// even after the table is dropped) and CreatedAt and returns the stored
	// table; t is not modified. Names are case-sensitive as given (the
	// caller normalizes). ErrExists if the name is taken.
	CreateTable(ctx context.Context, t *Table) (*Table, error)
	// DropTable removes the table, its file rows and its checkpoints in one
	// transaction, and records the files' objects as garbage (see
	// ListGarbage). ErrNotFound if there is no such table.
	DropTable(ctx context.Context, name string) error
	// GetTable returns the table by name. ErrNotFound if absent.
	GetTable(ctx context.Context, name string) (*Table, error)
	// ListTables returns every table ordered by name (bytewise).
	ListTables(ctx context.Context) ([]*Table, error)
	// PublishFile, in one transaction, inserts the file row and raises the
	// (table, f.Writer, shard) checkpoint to max(current, f.MaxLSN). Publishing a file
	// whose ID already exists with the same content (CreatedAt aside) is a
	// no-op returning nil, so a publish retried after an unknown outcome
	// never creates a duplicate; the same ID with different content is
	// ErrExists. ErrNotFound if the table does not exist (dropped
	// meanwhile). f is not modified.
	PublishFile(ctx context.Context, f *File) error
	// ListFiles returns the table's files ordered by (Shard, MinTime, ID).
	// ErrNotFound if the table does not exist.
	ListFiles(ctx context.Context, tableID int64) ([]*File, error)
	// LinkIndex records the index artifact of a published file and takes
	// the file off the index queue, in one transaction; linking again
	// replaces the record. ErrNotFound if the file is not published.
	LinkIndex(ctx context.Context, fileID string, a *IndexArtifact) error
	// LeaseIndexJob takes the oldest queued file whose lease has expired
	// (or was never taken), leases it to owner until now+ttl and counts an
	// attempt. It returns nil, nil when no file is ready.
	LeaseIndexJob(ctx context.Context, owner string, ttl time.Duration) (*IndexJob, error)
	// IndexQueueDepth returns the number of files waiting for an artifact.
	IndexQueueDepth(ctx context.Context) (int64, error)
	// Checkpoints returns shard -> highest MaxLSN the WAL writer published
	// for that shard (files published with File.Writer == writer). A table
	// without such files has an empty, non-nil map. ErrNotFound if the
	// table does not exist.
	Checkpoints(ctx context.Context, writer string, tableID int64) (map[int64]uint64, error)
	// PublishFilesAt, in ONE transaction, advances the offset of
	// (d.Source, d.Topic, d.Partition) from d.From to d.To with a
	// compare-and-set, and publishes every file as PublishFile does (file
	// row, shard checkpoint). d.From is the offset the caller read from
	// SourceOffsets (NoOffset when there was none). When the stored offset
	// is not d.From the transaction writes nothing and returns ErrConflict,
	// unless the stored offset is already d.To and every file is published
	// with the same content: that is this very publish repeated after an
	// unknown outcome, and it returns nil. files may be empty (a range of
	// records that produced no rows). ErrNotFound if a file's table does not
	// exist.
	PublishFilesAt(ctx context.Context, files []*File, d OffsetDelta) error
	// SourceOffsets returns partition -> stored offset (the next offset to
	// read) of one source and topic; partitions never published are
	// absent. The map is non-nil.
	SourceOffsets(ctx context.Context, source, topic string) (map[int32]int64, error)
	// UpdateTableOptions sets the options in set and removes the keys in
	// reset (absent keys are ignored) in one transaction and returns the
	// stored table. ErrNotFound if there is no such table.
	UpdateTableOptions(ctx context.Context, name string, set map[string]string, reset []string) (*Table, error)
	// AddColumns appends the nullable columns of cols the table lacks, in
	// one transaction, and returns the stored table. A column already
	// present under the same name keeps its type (two writers adding one
	// column end with one). ErrExists if a name differs only in case from
	// an existing column's; ErrInvalid for a bad name (empty, longer than
	// MaxNameBytes, NUL), type or NOT NULL, or past MaxColumns; ErrNotFound
	// if there is no such table. Rows written before read NULL for the
	// added columns.
	AddColumns(ctx context.Context, name string, cols []Column) (*Table, error)
	// RenameTable gives the table of that ID a new name and returns the
	// stored table; its files and data are not touched. ErrExists if
	// another table has the name; ErrNotFound if there is no such table;
	// ErrInvalid for a bad name. Repeating it is harmless.
	RenameTable(ctx context.Context, id int64, newName string) (*Table, error)
	// RenameColumn renames a column of the table of that ID (and its time
	// column, when it is that one) and returns the stored table. The
	// column's data keeps its name (Column.Field). ErrNoColumn if the
	// table has no column from; ErrExists if it has one named to;
	// ErrNotFound if there is no such table; ErrInvalid for a bad name. A
	// repeat (from absent, to present) returns the table unchanged.
	RenameColumn(ctx context.Context, id int64, from, to string) (*Table, error)
	// AlterTable edits the table of that ID under its row lock and stores
	// the result (columns, dropped columns, time column, comment) in one
	// transaction; it returns the stored table. edit may run more than
	// once (a retry after an unknown outcome runs it on the stored
	// result): it must set a state, not toggle one. An error from edit
	// changes nothing and is returned wrapped. ErrInvalid when the result
	// is not a valid table (no column, a duplicate or bad name or type,
	// the time column gone); ErrNotFound if there is no such table.
	AlterTable(ctx context.Context, id int64, edit func(t *Table) error) (*Table, error)
	// ReplaceFiles, in one transaction, removes the table's files whose IDs
	// are in remove, records their objects as garbage, and publishes add
	// (raising checkpoints as PublishFile does): compaction swaps inputs
	// for outputs, retention passes no add. ErrConflict, changing nothing,
	// if a file in remove is not a published file of the table; ErrExists
	// if a file in add is already published. Repeating a call that
	// succeeded (unknown outcome) returns nil. ErrNotFound if the table
	// does not exist.
	ReplaceFiles(ctx context.Context, tableID int64, remove []string, add []*File) error
	// ListGarbage returns up to limit garbage objects retired before
	// before, oldest first (limit <= 0: all).
	ListGarbage(ctx context.Context, before time.Time, limit int) ([]*Garbage, error)
	// DeleteGarbage forgets garbage rows once their objects are deleted.
	// Unknown paths are ignored.
	DeleteGarbage(ctx context.Context, paths []string) error
	// Retired reports which of paths (object keys of files) are recorded
	// as garbage: their files were swapped out or dropped, and their
	// objects are not yet deleted.
	Retired(ctx context.Context, paths []string) (map[string]bool, error)
	// Close releases the database handle. It is idempotent.
	Close() error
}

// NoOffset is OffsetDelta.From when the catalog holds no offset yet for
// the partition.
const NoOffset int64 = -1

// OffsetDelta is the checkpoint delta of one publish from a partitioned
// log (a Kafka topic partition): the records from offset From up to but
// not including To are in the files published with it.
type OffsetDelta struct {
	Source    string // who reads the log (the Kafka consumer group)
	Topic     string
	Partition int32
	From      int64 // the stored offset this publish follows, or NoOffset
	To        int64 // the next offset to read once published; > From, >= 0
}

// Garbage is an object no published file names any more (replaced by
// compaction, dropped by retention or DROP TABLE). It is deleted from the
// object store once the grace period after RetiredAt has passed, so that
// queries that listed it before it was retired can still read it.
type Garbage struct {
	Path      string // object store key
	TableID   int64
	Bytes     int64
	RetiredAt time.Time // UTC, microsecond precision
}

// Table is a table definition.
type Table struct {
	ID            int64
	Name          string
	Columns       []Column
	TimeColumn    string        // name of the time-shard key column; empty or one of Columns
	ShardDuration time.Duration // width of a time shard; >= 0, a whole number of microseconds
	Options       map[string]string
	CreatedAt     time.Time // UTC, microsecond precision
	// Comment is COMMENT ON TABLE's text; empty when none.
	Comment string
	// Dropped are the columns ALTER TABLE ... DROP COLUMN removed: their
	// data names stay taken (files and WAL records still hold them), no
	// query sees them (AlterTable).
	Dropped []Column
}

// ShardOf returns the start (Unix µs) of the time shard that holds a time
// value (Unix µs): the value rounded down to a multiple of ShardDuration;
// 0 for a table without shards (ShardDuration 0). Every file of the table
// holds rows of one shard (File.Shard).
func (t *Table) ShardOf(micros int64) int64 {
	d := t.ShardDuration.Microseconds()
	if d <= 0 {
		return 0
	}
	s := micros / d * d
	if micros < 0 && micros%d != 0 {
		s -= d
	}
	return s
}

// Column is one column of a table.
type Column struct {
	// Name is the column's SQL name.
	Name string
	// Type is the PostgreSQL type name as OpenWit stores it: "timestamptz",
	// "timestamp", "text", "int2", "int4", "int8", "float4", "float8",
	// "bool", "numeric", "numeric(p,s)", "date", "jsonb", "bytea", "uuid",
	// "inet" or "cidr".
	Type    string
	NotNull bool
	// Field is the column's name in the data (Arrow fields of the WAL
	// records and ingest buffers, Parquet columns, index artifacts) when
	// it differs from Name: a renamed column keeps the name it was
	// created with there (RenameColumn; FieldName).
	Field string
	// Default is the column's DEFAULT expression as PostgreSQL text
	// ("now()", "7"); empty when it has none (NULL).
	Default string
	// DefaultDisplay is Default as PostgreSQL displays the analyzed
	// expression (pg_get_expr, information_schema.columns.column_default:
	// "'x'::text", "'-1'::integer"), computed when the DEFAULT is set,
	// since constants may depend on the session (TimeZone); empty for
	// columns set before it was kept: readers compute it then
	// (docs/design/075).
	DefaultDisplay string
	// Missing is the value that rows stored before the column was added
	// read in it (ALTER TABLE ... ADD COLUMN ... DEFAULT, PostgreSQL's
	// attmissingval), in the storage form of storage.EncodeMissing; nil:
	// they read NULL.
	Missing *string
	// Comment is COMMENT ON COLUMN's text; empty when none.
	Comment string
	// Num is the column's attnum once the table has had a column dropped
	// (Table.AttNum); 0 before: the attnum is the position.
	Num int
}

// File is one immutable Parquet data file of a table.
type File struct {
	ID      string // unique, chosen by the writer (content id)
	TableID int64
	Shard   int64  // shard start, Unix microseconds
	Path    string // object store key
	MinTime int64  // Unix microseconds, inclusive
	MaxTime int64  // Unix microseconds, inclusive
	Rows    int64
	Bytes   int64
	MaxLSN  uint64 // highest WAL LSN whose rows this file holds; <= 2^63-1
	// Writer is the WAL (wal.WAL.ID) whose LSNs MaxLSN counts: publishing
	// raises that writer's checkpoint only. Empty for files no WAL wrote
	// (compaction output, Kafka). Given to PublishFile and ReplaceFiles;
	// not stored with the file (ListFiles leaves it empty) and not part of
	// its content.
	Writer    string
	CreatedAt time.Time // set by PublishFile when zero; stored in microseconds, returned in UTC
	// Index is the file's index artifact: given to PublishFile, it is
	// linked in the same transaction; nil there queues the file for the
	// indexer. ListFiles fills it in (nil: none yet). It is not part of
	// the file's content for idempotent publishing.
	Index *IndexArtifact
}

// IndexArtifact is the index object of a data file (storage/index).
type IndexArtifact struct {
	Path    string // object store key
	Bytes   int64
	Version int64 // artifact format version
}

// IndexJob is a leased entry of the index queue.
type IndexJob struct {
	File     *File
	Attempts int64 // including this one
}

// Open opens the catalog named by url and applies pending schema
// migrations:
//
//   - "sqlite:/path/to/file.db", "sqlite:relative.db" or a bare path ending
//     in ".db": SQLite (see OpenSQLite);
//   - "postgres://..." or "postgresql://...": PostgreSQL (see OpenPostgres);
//     multi-host DSNs and target_session_attrs work as in pgx.
func Open(ctx context.Context, url string) (Catalog, error) {
	kind, target, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	// Return a nil interface, not a typed nil pointer, on error.
	if kind == kindSQLite {
		c, err := OpenSQLite(ctx, target)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	c, err := OpenPostgres(ctx, target)
	if err != nil {
		return nil, err
	}
	return c, nil
}

type backendKind int

const (
	kindSQLite backendKind = iota
	kindPostgres
)

func parseURL(url string) (backendKind, string, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		p := strings.TrimPrefix(url, "sqlite:")
		// "sqlite:///abs/file.db" is the same file as "sqlite:/abs/file.db".
		if strings.HasPrefix(p, "///") {
			p = p[2:]
		}
		if p == "" {
			return 0, "", fmt.Errorf("open catalog %q: empty sqlite path: %w", url, ErrInvalid)
		}
		return kindSQLite, p, nil
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return kindPostgres, url, nil
	case strings.HasSuffix(url, ".db") && !strings.Contains(url, "://"):
		return kindSQLite, url, nil
	}
	return 0, "", fmt.Errorf("open catalog %q: want sqlite:PATH, PATH.db, postgres:// or postgresql://: %w", url, ErrInvalid)
}

// validType reports whether typ is a column type OpenWit stores.
func validType(typ string) bool {
	switch typ {
	case "timestamptz", "timestamp", "text", "int2", "int4", "int8", "float4", "float8",
		"bool", "numeric", "date", "time", "jsonb", "bytea", "uuid", "inet", "cidr":
		return true
	}
	if validCharType(typ) || validArrayType(typ) {
		return true
	}
	// numeric with precision and scale: numeric(p,s).
	var p, sc int
	if n, err := fmt.Sscanf(typ, "numeric(%d,%d)", &p, &sc); err == nil && n == 2 && typ == fmt.Sprintf("numeric(%d,%d)", p, sc) {
		return p >= 1 && p <= 38 && sc >= 0 && sc <= p
	}
	return false
}

func validateTable(t *Table) error {
	if t == nil {
		return fmt.Errorf("nil table: %w", ErrInvalid)
	}
	if t.Name == "" {
		return fmt.Errorf("empty table name: %w", ErrInvalid)
	}
	seen := make(map[string]bool, len(t.Columns))
	for i, c := range t.Columns {
		if c.Name == "" {
			return fmt.Errorf("column %d: empty name: %w", i, ErrInvalid)
		}
		if seen[c.Name] {
			return fmt.Errorf("column %q: duplicate name: %w", c.Name, ErrInvalid)
		}
		seen[c.Name] = true
		if !validType(c.Type) {
			return fmt.Errorf("column %q: unsupported type %q: %w", c.Name, c.Type, ErrInvalid)
		}
	}
	if a, b, clash := CaseClash(columnNames(t.Columns)); clash {
		return fmt.Errorf("column %q differs only in case from column %q: %w", b, a, ErrInvalid)
	}
	if t.TimeColumn != "" && !seen[t.TimeColumn] {
		return fmt.Errorf("time column %q is not a column: %w", t.TimeColumn, ErrInvalid)
	}
	if t.ShardDuration < 0 || t.ShardDuration%time.Microsecond != 0 {
		return fmt.Errorf("shard duration %v: want >= 0 and a whole number of microseconds: %w", t.ShardDuration, ErrInvalid)
	}
	return nil
}

func columnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

func validateFile(f *File) error {
	if f == nil {
		return fmt.Errorf("nil file: %w", ErrInvalid)
	}
	switch {
	case f.ID == "":
		return fmt.Errorf("empty file id: %w", ErrInvalid)
	case f.TableID <= 0:
		return fmt.Errorf("file %q: table id %d: %w", f.ID, f.TableID, ErrInvalid)
	case f.Path == "":
		return fmt.Errorf("file %q: empty path: %w", f.ID, ErrInvalid)
	case f.MinTime > f.MaxTime:
		return fmt.Errorf("file %q: min time %d > max time %d: %w", f.ID, f.MinTime, f.MaxTime, ErrInvalid)
	case f.Rows < 0 || f.Bytes < 0:
		return fmt.Errorf("file %q: negative rows or bytes: %w", f.ID, ErrInvalid)
	case f.MaxLSN > math.MaxInt64:
		return fmt.Errorf("file %q: max lsn %d above 2^63-1: %w", f.ID, f.MaxLSN, ErrInvalid)
	}
	return nil
}

func validateDelta(d OffsetDelta) error {
	switch {
	case d.Source == "" || d.Topic == "":
		return fmt.Errorf("offset delta: empty source or topic: %w", ErrInvalid)
	case d.Partition < 0:
		return fmt.Errorf("offset delta: partition %d: %w", d.Partition, ErrInvalid)
	case d.From < NoOffset || d.To < 0 || d.To <= d.From:
		return fmt.Errorf("offset delta %s/%s/%d: from %d to %d: want NoOffset or >= 0, and from < to: %w",
			d.Source, d.Topic, d.Partition, d.From, d.To, ErrInvalid)
	}
	return nil
}

// sameContent reports whether a and b describe the same published file;
// CreatedAt is ignored (a retried publish may carry a later one).
func sameContent(a, b *File) bool {
	return a.ID == b.ID && a.TableID == b.TableID && a.Shard == b.Shard && a.Path == b.Path &&
		a.MinTime == b.MinTime && a.MaxTime == b.MaxTime && a.Rows == b.Rows &&
		a.Bytes == b.Bytes && a.MaxLSN == b.MaxLSN
}

func cloneTable(t *Table) *Table {
	c := *t
	c.Columns = slices.Clone(t.Columns)
	c.Dropped = slices.Clone(t.Dropped)
	c.Options = maps.Clone(t.Options)
	return &c
}

// micros converts t to Unix microseconds, the stored time format.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts stored Unix microseconds back to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
