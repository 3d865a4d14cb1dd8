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
	// transaction. Deleting the objects is someone else's job. ErrNotFound
	// if there is no such table.
	DropTable(ctx context.Context, name string) error
	// GetTable returns the table by name. ErrNotFound if absent.
	GetTable(ctx context.Context, name string) (*Table, error)
	// ListTables returns every table ordered by name (bytewise).
	ListTables(ctx context.Context) ([]*Table, error)
	// PublishFile, in one transaction, inserts the file row and raises the
	// (table, shard) checkpoint to max(current, f.MaxLSN). Publishing a file
	// whose ID already exists with the same content (CreatedAt aside) is a
	// no-op returning nil, so a publish retried after an unknown outcome
	// never creates a duplicate; the same ID with different content is
	// ErrExists. ErrNotFound if the table does not exist (dropped
	// meanwhile). f is not modified.
	PublishFile(ctx context.Context, f *File) error
	// ListFiles returns the table's files ordered by (Shard, MinTime, ID).
	// ErrNotFound if the table does not exist.
	ListFiles(ctx context.Context, tableID int64) ([]*File, error)
	// Checkpoints returns shard -> highest MaxLSN published for that shard.
	// A table without files has an empty, non-nil map. ErrNotFound if the
	// table does not exist.
	Checkpoints(ctx context.Context, tableID int64) (map[int64]uint64, error)
	// Close releases the database handle. It is idempotent.
	Close() error
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
}

// Column is one column of a table.
type Column struct {
	Name string
	// Type is the PostgreSQL type name as OpenWit stores it: "timestamptz",
	// "timestamp", "text", "int2", "int4", "int8", "float4", "float8",
	// "bool", "numeric", "numeric(p,s)", "date", "jsonb" or "bytea".
	Type    string
	NotNull bool
}

// File is one immutable Parquet data file of a table.
type File struct {
	ID        string // unique, chosen by the writer (content id)
	TableID   int64
	Shard     int64  // shard start, Unix microseconds
	Path      string // object store key
	MinTime   int64  // Unix microseconds, inclusive
	MaxTime   int64  // Unix microseconds, inclusive
	Rows      int64
	Bytes     int64
	MaxLSN    uint64    // highest WAL LSN whose rows this file holds; <= 2^63-1
	CreatedAt time.Time // set by PublishFile when zero; stored in microseconds, returned in UTC
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
		"bool", "numeric", "date", "jsonb", "bytea":
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
	if t.TimeColumn != "" && !seen[t.TimeColumn] {
		return fmt.Errorf("time column %q is not a column: %w", t.TimeColumn, ErrInvalid)
	}
	if t.ShardDuration < 0 || t.ShardDuration%time.Microsecond != 0 {
		return fmt.Errorf("shard duration %v: want >= 0 and a whole number of microseconds: %w", t.ShardDuration, ErrInvalid)
	}
	return nil
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
	c.Options = maps.Clone(t.Options)
	return &c
}

// micros converts t to Unix microseconds, the stored time format.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros converts stored Unix microseconds back to a UTC time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }
