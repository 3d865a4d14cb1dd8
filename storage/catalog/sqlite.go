package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// SQLite is a Catalog in one SQLite database file, for single-node
// deployments and tests. It uses one connection: writes are serialized in
// the process, and BEGIN IMMEDIATE plus busy_timeout serialize them with
// other processes opening the same file.
type SQLite struct {
	store
	path      string
	db        *sql.DB
	closeOnce sync.Once
	closeErr  error
}

var _ Catalog = (*SQLite)(nil)

// sqliteBusyTimeout is how long a statement waits for another process's
// lock on the database file before failing with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// OpenSQLite opens (creating if needed) the catalog in the SQLite database
// file at path and applies pending migrations. The database runs in WAL
// journal mode with synchronous=FULL, so a published file survives power
// loss once PublishFile returns.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite catalog %q: want a plain file path: %w", path, ErrInvalid)
	}
	dsn := path + "?" + strings.Join([]string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", sqliteBusyTimeout.Milliseconds()),
		"_pragma=foreign_keys(1)",
		"_pragma=journal_mode(WAL)",
		"_pragma=synchronous(FULL)",
		"_txlock=immediate", // write transactions take the write lock at BEGIN
	}, "&")
	// Switching a fresh database to WAL needs an exclusive lock, and SQLite
	// reports SQLITE_BUSY for it at once (the busy handler is not consulted)
	// when another process or handle is opening the same file. Retry for as
	// long as busy_timeout would have waited.
	deadline := time.Now().Add(sqliteBusyTimeout)
	for attempt := 1; ; attempt++ {
		db, err := sql.Open("sqlite", dsn)
		if err != nil {
			return nil, fmt.Errorf("open sqlite catalog %q: %w", path, err)
		}
		db.SetMaxOpenConns(1)
		s := &SQLite{path: path, db: db}
		s.store = store{d: sqliteDialect(), run: s.runTx}
		err = s.init(ctx)
		if err == nil {
			return s, nil
		}
		db.Close()
		if !isSQLiteBusy(err) || time.Now().After(deadline) {
			return nil, fmt.Errorf("open sqlite catalog %q: %w", path, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("open sqlite catalog %q: %w", path, ctx.Err())
		case <-time.After(time.Duration(min(attempt, 20)) * 5 * time.Millisecond):
		}
	}
}

func isSQLiteBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func (s *SQLite) init(ctx context.Context) error {
	var mode string
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	var syncMode int
	if err := s.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&syncMode); err != nil {
		return fmt.Errorf("read synchronous: %w", err)
	}
	if syncMode != 2 { // FULL
		return fmt.Errorf("synchronous is %d, want 2 (FULL)", syncMode)
	}
	return s.runTx(ctx, txIdempotent, func(q querier) error {
		_, err := migrate(ctx, q, s.d, time.Now())
		return err
	})
}

// runTx runs fn in one transaction: BEGIN IMMEDIATE for writes, a deferred
// (snapshot) BEGIN for reads. SQLite errors are not retried.
func (s *SQLite) runTx(ctx context.Context, mode txMode, fn func(q querier) error) (err error) {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: mode == txRead})
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, ignoreDone(tx.Rollback()))
		}
	}()
	if err := fn(sqlQuerier{tx}); err != nil {
		return err
	}
	return tx.Commit()
}

func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// Close closes the database. It is idempotent.
func (s *SQLite) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.db.Close() })
	return s.closeErr
}

// sqlQuerier adapts a database/sql transaction to querier.
type sqlQuerier struct{ tx *sql.Tx }

func (q sqlQuerier) exec(ctx context.Context, stmt string, args ...any) (int64, error) {
	res, err := q.tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q sqlQuerier) queryRow(ctx context.Context, stmt string, args ...any) row {
	return q.tx.QueryRowContext(ctx, stmt, args...)
}

func (q sqlQuerier) query(ctx context.Context, stmt string, args ...any) (rows, error) {
	rs, err := q.tx.QueryContext(ctx, stmt, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

type sqlRows struct{ rs *sql.Rows }

func (r sqlRows) Next() bool             { return r.rs.Next() }
func (r sqlRows) Scan(dest ...any) error { return r.rs.Scan(dest...) }
func (r sqlRows) Err() error             { return r.rs.Err() }
func (r sqlRows) Close()                 { _ = r.rs.Close() }
