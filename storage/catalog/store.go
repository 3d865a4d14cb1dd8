package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// querier is what the shared catalog logic needs from a transaction. SQL
// uses $1..$n placeholders, which both pgx and modernc.org/sqlite bind by
// position.
type querier interface {
	exec(ctx context.Context, stmt string, args ...any) (rowsAffected int64, err error)
	queryRow(ctx context.Context, stmt string, args ...any) row
	query(ctx context.Context, stmt string, args ...any) (rows, error)
}

type row interface {
	Scan(dest ...any) error
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// txMode tells a backend how a transaction may be retried.
type txMode int

const (
	// txRead only reads: any transient failure may be retried.
	txRead txMode = iota
	// txIdempotent writes, and running it twice equals running it once:
	// it may be retried even when a commit's outcome is unknown.
	txIdempotent
	// txOnce writes and must not be repeated once its commit was sent; an
	// unknown commit outcome is reported as ErrUnknownOutcome.
	txOnce
)

// runFunc runs fn in one transaction, committing when fn returns nil. fn may
// run more than once (retries), so it must not keep state across runs.
type runFunc func(ctx context.Context, mode txMode, fn func(q querier) error) error

// store is the catalog logic shared by both backends.
type store struct {
	d   *dialect
	run runFunc
}

const tableColumns = `id, name, columns_json, time_column, shard_duration_ns, options_json, created_at_us`

const fileColumns = `id, table_id, shard_start_us, path, min_time_us, max_time_us, row_count, byte_size, max_lsn, created_at_us`

// columnJSON is the stored form of a Column inside openwit_tables.columns_json.
type columnJSON struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null,omitempty"`
}

func encodeColumns(cols []Column) (string, error) {
	var js []columnJSON
	if cols != nil {
		js = make([]columnJSON, len(cols))
	}
	for i, c := range cols {
		js[i] = columnJSON(c)
	}
	b, err := json.Marshal(js)
	return string(b), err
}

func decodeColumns(s string) ([]Column, error) {
	var js []columnJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, err
	}
	if js == nil {
		return nil, nil
	}
	cols := make([]Column, len(js))
	for i, c := range js {
		cols[i] = Column(c)
	}
	return cols, nil
}

func scanTable(r row) (*Table, error) {
	var (
		t             Table
		cols, opts    string
		shardNS, crUS int64
	)
	if err := r.Scan(&t.ID, &t.Name, &cols, &t.TimeColumn, &shardNS, &opts, &crUS); err != nil {
		return nil, err
	}
	var err error
	if t.Columns, err = decodeColumns(cols); err != nil {
		return nil, fmt.Errorf("table %q: decode columns: %w", t.Name, err)
	}
	if err := json.Unmarshal([]byte(opts), &t.Options); err != nil {
		return nil, fmt.Errorf("table %q: decode options: %w", t.Name, err)
	}
	t.ShardDuration = time.Duration(shardNS)
	t.CreatedAt = fromMicros(crUS)
	return &t, nil
}

func scanFile(r row) (*File, error) {
	var (
		f         File
		lsn, crUS int64
	)
	if err := r.Scan(&f.ID, &f.TableID, &f.Shard, &f.Path, &f.MinTime, &f.MaxTime, &f.Rows, &f.Bytes, &lsn, &crUS); err != nil {
		return nil, err
	}
	f.MaxLSN = uint64(lsn)
	f.CreatedAt = fromMicros(crUS)
	return &f, nil
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}

// CreateTable implements Catalog.
func (s *store) CreateTable(ctx context.Context, t *Table) (*Table, error) {
	if err := validateTable(t); err != nil {
		return nil, fmt.Errorf("create table: %w", err)
	}
	out := cloneTable(t)
	cols, err := encodeColumns(t.Columns)
	if err != nil {
		return nil, fmt.Errorf("create table %q: encode columns: %w", t.Name, err)
	}
	opts, err := json.Marshal(t.Options)
	if err != nil {
		return nil, fmt.Errorf("create table %q: encode options: %w", t.Name, err)
	}
	err = s.run(ctx, txOnce, func(q querier) error {
		out.CreatedAt = fromMicros(micros(time.Now()))
		err := q.queryRow(ctx, `INSERT INTO openwit_tables (name, columns_json, time_column, shard_duration_ns, options_json, created_at_us)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (name) DO NOTHING
RETURNING id`, t.Name, cols, t.TimeColumn, int64(t.ShardDuration), string(opts), micros(out.CreatedAt)).Scan(&out.ID)
		if isNoRows(err) {
			return ErrExists
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create table %q: %w", t.Name, err)
	}
	return out, nil
}

// DropTable implements Catalog.
func (s *store) DropTable(ctx context.Context, name string) error {
	err := s.run(ctx, txOnce, func(q querier) error {
		var id int64
		err := q.queryRow(ctx, `SELECT id FROM openwit_tables WHERE name = $1`+s.d.lockUpdate, name).Scan(&id)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, stmt := range []string{
			`DELETE FROM openwit_files WHERE table_id = $1`,
			`DELETE FROM openwit_checkpoints WHERE table_id = $1`,
			`DELETE FROM openwit_tables WHERE id = $1`,
		} {
			if _, err := q.exec(ctx, stmt, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("drop table %q: %w", name, err)
	}
	return nil
}

// GetTable implements Catalog.
func (s *store) GetTable(ctx context.Context, name string) (*Table, error) {
	var t *Table
	err := s.run(ctx, txRead, func(q querier) error {
		var err error
		t, err = scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE name = $1`, name))
		if isNoRows(err) {
			return ErrNotFound
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("get table %q: %w", name, err)
	}
	return t, nil
}

// ListTables implements Catalog.
func (s *store) ListTables(ctx context.Context) ([]*Table, error) {
	var ts []*Table
	err := s.run(ctx, txRead, func(q querier) error {
		ts = nil
		rs, err := q.query(ctx, `SELECT `+tableColumns+` FROM openwit_tables ORDER BY name`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			t, err := scanTable(rs)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	return ts, nil
}

// tableExists returns ErrNotFound unless table id exists, locking its row
// with lock (a dialect row-lock suffix, or "").
func tableExists(ctx context.Context, q querier, id int64, lock string) error {
	var one int64
	err := q.queryRow(ctx, `SELECT 1 FROM openwit_tables WHERE id = $1`+lock, id).Scan(&one)
	if isNoRows(err) {
		return fmt.Errorf("table id %d: %w", id, ErrNotFound)
	}
	return err
}

// PublishFile implements Catalog.
func (s *store) PublishFile(ctx context.Context, f *File) error {
	if err := validateFile(f); err != nil {
		return fmt.Errorf("publish file: %w", err)
	}
	created := f.CreatedAt
	if created.IsZero() {
		created = time.Now()
	}
	err := s.run(ctx, txIdempotent, func(q querier) error {
		// The share lock makes a concurrent DropTable wait for this
		// transaction, or this one see the table gone.
		if err := tableExists(ctx, q, f.TableID, s.d.lockShare); err != nil {
			return err
		}
		n, err := q.exec(ctx, `INSERT INTO openwit_files (`+fileColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING`,
			f.ID, f.TableID, f.Shard, f.Path, f.MinTime, f.MaxTime, f.Rows, f.Bytes, int64(f.MaxLSN), micros(created))
		if err != nil {
			return err
		}
		if n == 0 {
			old, err := scanFile(q.queryRow(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE id = $1`, f.ID))
			if err != nil {
				return fmt.Errorf("read existing file: %w", err)
			}
			if !sameContent(old, f) {
				return fmt.Errorf("published with different content (table %d, path %q): %w", old.TableID, old.Path, ErrExists)
			}
			// Already published: its checkpoint was raised in the same
			// transaction that inserted it.
			return nil
		}
		_, err = q.exec(ctx, `INSERT INTO openwit_checkpoints (table_id, shard_start_us, max_lsn)
VALUES ($1, $2, $3)
ON CONFLICT (table_id, shard_start_us) DO UPDATE SET max_lsn =
	CASE WHEN excluded.max_lsn > openwit_checkpoints.max_lsn THEN excluded.max_lsn ELSE openwit_checkpoints.max_lsn END`,
			f.TableID, f.Shard, int64(f.MaxLSN))
		return err
	})
	if err != nil {
		return fmt.Errorf("publish file %q: %w", f.ID, err)
	}
	return nil
}

// ListFiles implements Catalog.
func (s *store) ListFiles(ctx context.Context, tableID int64) ([]*File, error) {
	var fs []*File
	err := s.run(ctx, txRead, func(q querier) error {
		fs = nil
		if err := tableExists(ctx, q, tableID, ""); err != nil {
			return err
		}
		rs, err := q.query(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE table_id = $1
ORDER BY shard_start_us, min_time_us, id`, tableID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			f, err := scanFile(rs)
			if err != nil {
				return err
			}
			fs = append(fs, f)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list files: %w", err)
	}
	return fs, nil
}

// Checkpoints implements Catalog.
func (s *store) Checkpoints(ctx context.Context, tableID int64) (map[int64]uint64, error) {
	var cps map[int64]uint64
	err := s.run(ctx, txRead, func(q querier) error {
		cps = map[int64]uint64{}
		if err := tableExists(ctx, q, tableID, ""); err != nil {
			return err
		}
		rs, err := q.query(ctx, `SELECT shard_start_us, max_lsn FROM openwit_checkpoints WHERE table_id = $1`, tableID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var shard, lsn int64
			if err := rs.Scan(&shard, &lsn); err != nil {
				return err
			}
			cps[shard] = uint64(lsn)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("checkpoints: %w", err)
	}
	return cps, nil
}

// Fence implements Fencer.
func (s *store) Fence(ctx context.Context, job string, token int64) error {
	if job == "" || token <= 0 {
		return fmt.Errorf("fence %q with token %d: %w", job, token, ErrInvalid)
	}
	err := s.run(ctx, txIdempotent, func(q querier) error { return fence(ctx, q, job, token) })
	if err != nil {
		return fmt.Errorf("fence %q: %w", job, err)
	}
	return nil
}

// fence raises job's token to token inside the transaction q, or fails with
// ErrStaleToken. A catalog change made under a job lease calls it in its
// own transaction, so the change and the check commit together.
func fence(ctx context.Context, q querier, job string, token int64) error {
	n, err := q.exec(ctx, `INSERT INTO openwit_fences (name, token) VALUES ($1, $2)
ON CONFLICT (name) DO UPDATE SET token = excluded.token WHERE openwit_fences.token <= excluded.token`, job, token)
	if err != nil {
		return err
	}
	if n == 0 {
		var cur int64
		if err := q.queryRow(ctx, `SELECT token FROM openwit_fences WHERE name = $1`, job).Scan(&cur); err != nil {
			return fmt.Errorf("read fence: %w", err)
		}
		return fmt.Errorf("token %d is below %d: %w", token, cur, ErrStaleToken)
	}
	return nil
}
