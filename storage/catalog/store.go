package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

const tableColumns = `id, name, columns_json, time_column, shard_duration_ns, options_json, created_at_us, comment`

const fileColumns = `id, table_id, shard_start_us, path, min_time_us, max_time_us, row_count, byte_size, max_lsn, created_at_us`

// fileColumnsJoined are fileColumns of openwit_files f with the artifact of
// openwit_index_artifacts a (LEFT JOIN).
const fileColumnsJoined = `f.id, f.table_id, f.shard_start_us, f.path, f.min_time_us, f.max_time_us, f.row_count, f.byte_size, f.max_lsn, f.created_at_us, a.path, a.byte_size, a.format_version`

// columnJSON is the stored form of a Column inside openwit_tables.columns_json.
// Dropped columns (Table.Dropped) follow the live ones with "dropped".
type columnJSON struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	NotNull bool   `json:"not_null,omitempty"`
	Field   string `json:"field,omitempty"`
	Default string `json:"default,omitempty"`
	// DefaultDisplay: docs/design/075; absent in catalogs written before.
	DefaultDisplay string  `json:"default_display,omitempty"`
	Missing        *string `json:"missing,omitempty"`
	Comment        string  `json:"comment,omitempty"`
	Num            int     `json:"num,omitempty"`
	Dropped        bool    `json:"dropped,omitempty"`
}

func toJSON(c Column, dropped bool) columnJSON {
	return columnJSON{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Field: c.Field, Default: c.Default, DefaultDisplay: c.DefaultDisplay, Missing: c.Missing, Comment: c.Comment, Num: c.Num, Dropped: dropped}
}

// encodeColumns stores cols and, after them, the dropped columns.
func encodeColumns(cols, dropped []Column) (string, error) {
	var js []columnJSON
	if cols != nil || dropped != nil {
		js = make([]columnJSON, 0, len(cols)+len(dropped))
	}
	for _, c := range cols {
		js = append(js, toJSON(c, false))
	}
	for _, c := range dropped {
		js = append(js, toJSON(c, true))
	}
	b, err := json.Marshal(js)
	return string(b), err
}

// decodeColumns returns the live and the dropped columns.
func decodeColumns(s string) (cols, dropped []Column, err error) {
	var js []columnJSON
	if err := json.Unmarshal([]byte(s), &js); err != nil {
		return nil, nil, err
	}
	if js == nil {
		return nil, nil, nil
	}
	cols = make([]Column, 0, len(js))
	for _, c := range js {
		col := Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Field: c.Field, Default: c.Default, DefaultDisplay: c.DefaultDisplay, Missing: c.Missing, Comment: c.Comment, Num: c.Num}
		if c.Dropped {
			dropped = append(dropped, col)
			continue
		}
		cols = append(cols, col)
	}
	return cols, dropped, nil
}

func scanTable(r row) (*Table, error) {
	var (
		t             Table
		cols, opts    string
		shardNS, crUS int64
	)
	if err := r.Scan(&t.ID, &t.Name, &cols, &t.TimeColumn, &shardNS, &opts, &crUS, &t.Comment); err != nil {
		return nil, err
	}
	var err error
	if t.Columns, t.Dropped, err = decodeColumns(cols); err != nil {
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

// scanFileJoined scans fileColumnsJoined.
func scanFileJoined(r row) (*File, error) {
	var (
		f          File
		lsn, crUS  int64
		ipath      *string
		ibytes, iv *int64
	)
	if err := r.Scan(&f.ID, &f.TableID, &f.Shard, &f.Path, &f.MinTime, &f.MaxTime, &f.Rows, &f.Bytes, &lsn, &crUS, &ipath, &ibytes, &iv); err != nil {
		return nil, err
	}
	f.MaxLSN = uint64(lsn)
	f.CreatedAt = fromMicros(crUS)
	if ipath != nil && ibytes != nil && iv != nil {
		f.Index = &IndexArtifact{Path: *ipath, Bytes: *ibytes, Version: *iv}
	}
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
	cols, err := encodeColumns(t.Columns, t.Dropped)
	if err != nil {
		return nil, fmt.Errorf("create table %q: encode columns: %w", t.Name, err)
	}
	opts, err := json.Marshal(t.Options)
	if err != nil {
		return nil, fmt.Errorf("create table %q: encode options: %w", t.Name, err)
	}
	err = s.run(ctx, txOnce, func(q querier) error {
		out.CreatedAt = fromMicros(micros(time.Now()))
		err := q.queryRow(ctx, `INSERT INTO openwit_tables (name, columns_json, time_column, shard_duration_ns, options_json, created_at_us, comment)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (name) DO NOTHING
RETURNING id`, t.Name, cols, t.TimeColumn, int64(t.ShardDuration), string(opts), micros(out.CreatedAt), t.Comment).Scan(&out.ID)
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
			`INSERT INTO openwit_garbage (path, table_id, byte_size, retired_at_us)
SELECT path, table_id, byte_size, $2 FROM openwit_files WHERE table_id = $1
ON CONFLICT (path) DO NOTHING`,
			`INSERT INTO openwit_garbage (path, table_id, byte_size, retired_at_us)
SELECT a.path, f.table_id, a.byte_size, $2 FROM openwit_index_artifacts a JOIN openwit_files f ON f.id = a.file_id WHERE f.table_id = $1
ON CONFLICT (path) DO NOTHING`,
			`DELETE FROM openwit_index_artifacts WHERE file_id IN (SELECT id FROM openwit_files WHERE table_id = $1)`,
			`DELETE FROM openwit_index_queue WHERE table_id = $1`,
			`DELETE FROM openwit_files WHERE table_id = $1`,
			`DELETE FROM openwit_checkpoints WHERE table_id = $1`,
			`DELETE FROM openwit_ingest_batches WHERE table_id = $1`,
			`DELETE FROM openwit_tables WHERE id = $1`,
		} {
			args := []any{id}
			if strings.HasPrefix(stmt, "INSERT") {
				args = append(args, micros(time.Now()))
			}
			if _, err := q.exec(ctx, stmt, args...); err != nil {
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
		_, err := s.insertFile(ctx, q, f, created)
		return err
	})
	if err != nil {
		return fmt.Errorf("publish file %q: %w", f.ID, err)
	}
	return nil
}

// insertFile inserts the file row and raises its shard checkpoint inside
// the transaction q. An ID already published with the same content is left
// alone (inserted false); with different content it is ErrExists.
func (s *store) insertFile(ctx context.Context, q querier, f *File, created time.Time) (inserted bool, err error) {
	// The share lock makes a concurrent DropTable wait for this
	// transaction, or this one see the table gone.
	if err := tableExists(ctx, q, f.TableID, s.d.lockShare); err != nil {
		return false, err
	}
	n, err := q.exec(ctx, `INSERT INTO openwit_files (`+fileColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING`,
		f.ID, f.TableID, f.Shard, f.Path, f.MinTime, f.MaxTime, f.Rows, f.Bytes, int64(f.MaxLSN), micros(created))
	if err != nil {
		return false, err
	}
	if n == 0 {
		old, err := scanFile(q.queryRow(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE id = $1`, f.ID))
		if err != nil {
			return false, fmt.Errorf("read existing file: %w", err)
		}
		if !sameContent(old, f) {
			return false, fmt.Errorf("published with different content (table %d, path %q): %w", old.TableID, old.Path, ErrExists)
		}
		// Already published: its checkpoint was raised in the same
		// transaction that inserted it.
		return false, nil
	}
	// The file's index artifact is linked, or the file queued for the
	// indexer, in the same transaction.
	if f.Index != nil {
		err = linkIndex(ctx, q, f.ID, f.Index, created)
	} else {
		_, err = q.exec(ctx, `INSERT INTO openwit_index_queue (file_id, table_id, enqueued_at_us, lease_owner, lease_until_us, attempts)
VALUES ($1, $2, $3, '', 0, 0)`, f.ID, f.TableID, micros(created))
	}
	if err != nil {
		return false, err
	}
	_, err = q.exec(ctx, raiseCheckpoint, f.TableID, f.Shard, int64(f.MaxLSN), f.Writer)
	return err == nil, err
}

// PublishFilesAt implements Catalog.
func (s *store) PublishFilesAt(ctx context.Context, files []*File, d OffsetDelta) error {
	if err := validateDelta(d); err != nil {
		return fmt.Errorf("publish files: %w", err)
	}
	for _, f := range files {
		if err := validateFile(f); err != nil {
			return fmt.Errorf("publish files: %w", err)
		}
	}
	now := time.Now()
	err := s.run(ctx, txIdempotent, func(q querier) error {
		// The compare-and-set comes first: its row lock (PostgreSQL) or
		// the write lock (SQLite) orders concurrent publishers of one
		// partition, and the loser re-reads the winner's offset.
		var n int64
		var err error
		if d.From == NoOffset {
			n, err = q.exec(ctx, `INSERT INTO openwit_source_offsets (source, topic, partition_id, next_offset, updated_at_us)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (source, topic, partition_id) DO NOTHING`, d.Source, d.Topic, d.Partition, d.To, micros(now))
		} else {
			n, err = q.exec(ctx, `UPDATE openwit_source_offsets SET next_offset = $4, updated_at_us = $5
WHERE source = $1 AND topic = $2 AND partition_id = $3 AND next_offset = $6`,
				d.Source, d.Topic, d.Partition, d.To, micros(now), d.From)
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return s.repeatedPublish(ctx, q, files, d)
		}
		for _, f := range files {
			created := f.CreatedAt
			if created.IsZero() {
				created = now
			}
			inserted, err := s.insertFile(ctx, q, f, created)
			if err != nil {
				return err
			}
			if !inserted {
				// The offset moved, so this range was never published
				// before: a file already there belongs to another range.
				return fmt.Errorf("file %q is already published: %w", f.ID, ErrExists)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("publish %d files at %s/%s/%d offsets %d..%d: %w", len(files), d.Source, d.Topic, d.Partition, d.From, d.To, err)
	}
	return nil
}

// repeatedPublish decides a failed compare-and-set: nil when the stored
// offset is d.To and every file is published with the same content (this
// publish, repeated after an unknown outcome), ErrConflict otherwise.
func (s *store) repeatedPublish(ctx context.Context, q querier, files []*File, d OffsetDelta) error {
	var cur int64
	err := q.queryRow(ctx, `SELECT next_offset FROM openwit_source_offsets WHERE source = $1 AND topic = $2 AND partition_id = $3`,
		d.Source, d.Topic, d.Partition).Scan(&cur)
	if isNoRows(err) {
		return fmt.Errorf("no stored offset, expected %d: %w", d.From, ErrConflict)
	}
	if err != nil {
		return err
	}
	if cur != d.To {
		return fmt.Errorf("stored offset is %d, expected %d: %w", cur, d.From, ErrConflict)
	}
	for _, f := range files {
		old, err := scanFile(q.queryRow(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE id = $1`, f.ID))
		if isNoRows(err) || (err == nil && !sameContent(old, f)) {
			return fmt.Errorf("stored offset is already %d with other files: %w", cur, ErrConflict)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// SourceOffsets implements Catalog.
func (s *store) SourceOffsets(ctx context.Context, source, topic string) (map[int32]int64, error) {
	var out map[int32]int64
	err := s.run(ctx, txRead, func(q querier) error {
		out = map[int32]int64{}
		rs, err := q.query(ctx, `SELECT partition_id, next_offset FROM openwit_source_offsets WHERE source = $1 AND topic = $2`, source, topic)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p int32
			var o int64
			if err := rs.Scan(&p, &o); err != nil {
				return err
			}
			out[p] = o
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("source offsets %s/%s: %w", source, topic, err)
	}
	return out, nil
}

// ListFiles implements Catalog.
func (s *store) ListFiles(ctx context.Context, tableID int64) ([]*File, error) {
	var fs []*File
	err := s.run(ctx, txRead, func(q querier) error {
		fs = nil
		if err := tableExists(ctx, q, tableID, ""); err != nil {
			return err
		}
		rs, err := q.query(ctx, `SELECT `+fileColumnsJoined+` FROM openwit_files f
LEFT JOIN openwit_index_artifacts a ON a.file_id = f.id
WHERE f.table_id = $1
ORDER BY f.shard_start_us, f.min_time_us, f.id`, tableID)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			f, err := scanFileJoined(rs)
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
func (s *store) Checkpoints(ctx context.Context, writer string, tableID int64) (map[int64]uint64, error) {
	var cps map[int64]uint64
	err := s.run(ctx, txRead, func(q querier) error {
		cps = map[int64]uint64{}
		if err := tableExists(ctx, q, tableID, ""); err != nil {
			return err
		}
		rs, err := q.query(ctx, `SELECT shard_start_us, max_lsn FROM openwit_checkpoints WHERE table_id = $1 AND writer = $2`, tableID, writer)
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

// linkIndex upserts a file's artifact row and removes its queue row.
func linkIndex(ctx context.Context, q querier, fileID string, a *IndexArtifact, now time.Time) error {
	if _, err := q.exec(ctx, `INSERT INTO openwit_index_artifacts (file_id, path, byte_size, format_version, created_at_us)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (file_id) DO UPDATE SET path = excluded.path, byte_size = excluded.byte_size,
	format_version = excluded.format_version, created_at_us = excluded.created_at_us`,
		fileID, a.Path, a.Bytes, a.Version, micros(now)); err != nil {
		return err
	}
	_, err := q.exec(ctx, `DELETE FROM openwit_index_queue WHERE file_id = $1`, fileID)
	return err
}

// LinkIndex implements Catalog.
func (s *store) LinkIndex(ctx context.Context, fileID string, a *IndexArtifact) error {
	if a == nil || a.Path == "" || a.Bytes < 0 {
		return fmt.Errorf("link index of %q: empty artifact: %w", fileID, ErrInvalid)
	}
	err := s.run(ctx, txIdempotent, func(q querier) error {
		var one int64
		err := q.queryRow(ctx, `SELECT 1 FROM openwit_files WHERE id = $1`+s.d.lockShare, fileID).Scan(&one)
		if isNoRows(err) {
			return fmt.Errorf("file %q: %w", fileID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return linkIndex(ctx, q, fileID, a, time.Now())
	})
	if err != nil {
		return fmt.Errorf("link index of %q: %w", fileID, err)
	}
	return nil
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

// LeaseIndexJob implements Catalog.
func (s *store) LeaseIndexJob(ctx context.Context, owner string, ttl time.Duration) (*IndexJob, error) {
	if owner == "" || ttl <= 0 {
		return nil, fmt.Errorf("lease index job: owner %q, ttl %v: %w", owner, ttl, ErrInvalid)
	}
	var job *IndexJob
	err := s.run(ctx, txIdempotent, func(q querier) error {
		job = nil
		now := time.Now()
		var id string
		var attempts int64
		err := q.queryRow(ctx, `SELECT file_id, attempts FROM openwit_index_queue WHERE lease_until_us < $1
ORDER BY enqueued_at_us, file_id LIMIT 1`+s.d.lockSkip, micros(now)).Scan(&id, &attempts)
		if isNoRows(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE openwit_index_queue SET lease_owner = $1, lease_until_us = $2, attempts = attempts + 1 WHERE file_id = $3`,
			owner, micros(now.Add(ttl)), id); err != nil {
			return err
		}
		f, err := scanFile(q.queryRow(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE id = $1`, id))
		if err != nil {
			return fmt.Errorf("read queued file %q: %w", id, err)
		}
		job = &IndexJob{File: f, Attempts: attempts + 1}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lease index job: %w", err)
	}
	return job, nil
}

// IndexQueueDepth implements Catalog.
func (s *store) IndexQueueDepth(ctx context.Context) (int64, error) {
	var n int64
	err := s.run(ctx, txRead, func(q querier) error {
		return q.queryRow(ctx, `SELECT count(*) FROM openwit_index_queue`).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("index queue depth: %w", err)
	}
	return n, nil
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
