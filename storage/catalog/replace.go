package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
)

// raiseCheckpoint is PublishFile's checkpoint rule: max(current, $3).
const raiseCheckpoint = `INSERT INTO openwit_checkpoints (table_id, shard_start_us, max_lsn, writer)
VALUES ($1, $2, $3, $4)
ON CONFLICT (table_id, writer, shard_start_us) DO UPDATE SET max_lsn =
	CASE WHEN excluded.max_lsn > openwit_checkpoints.max_lsn THEN excluded.max_lsn ELSE openwit_checkpoints.max_lsn END`

// UpdateTableOptions implements Catalog.
func (s *store) UpdateTableOptions(ctx context.Context, name string, set map[string]string, reset []string) (*Table, error) {
	var out *Table
	err := s.run(ctx, txIdempotent, func(q querier) error {
		t, err := scanTable(q.queryRow(ctx, `SELECT `+tableColumns+` FROM openwit_tables WHERE name = $1`+s.d.lockUpdate, name))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		opts := maps.Clone(t.Options)
		if opts == nil {
			opts = map[string]string{}
		}
		maps.Copy(opts, set)
		for _, k := range reset {
			delete(opts, k)
		}
		if len(opts) == 0 {
			opts = nil
		}
		b, err := json.Marshal(opts)
		if err != nil {
			return fmt.Errorf("encode options: %w", err)
		}
		if _, err := q.exec(ctx, `UPDATE openwit_tables SET options_json = $1 WHERE id = $2`, string(b), t.ID); err != nil {
			return err
		}
		t.Options = opts
		out = t
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("update options of table %q: %w", name, err)
	}
	return out, nil
}

// ReplaceFiles implements Catalog.
func (s *store) ReplaceFiles(ctx context.Context, tableID int64, remove []string, add []*File) error {
	for _, f := range add {
		if err := validateFile(f); err != nil {
			return fmt.Errorf("replace files: %w", err)
		}
		if f.TableID != tableID {
			return fmt.Errorf("replace files: file %q of table %d, not %d: %w", f.ID, f.TableID, tableID, ErrInvalid)
		}
	}
	created := micros(time.Now())
	err := s.run(ctx, txIdempotent, func(q querier) error {
		if err := tableExists(ctx, q, tableID, s.d.lockShare); err != nil {
			return err
		}
		done, err := s.replaceDone(ctx, q, tableID, remove, add)
		if err != nil || done {
			return err
		}
		for _, id := range remove {
			var (
				path  string
				table int64
				bytes int64
			)
			err := q.queryRow(ctx, `SELECT path, table_id, byte_size FROM openwit_files WHERE id = $1`+s.d.lockUpdate, id).
				Scan(&path, &table, &bytes)
			if isNoRows(err) || err == nil && table != tableID {
				return fmt.Errorf("file %q is not published in table %d: %w", id, tableID, ErrConflict)
			}
			if err != nil {
				return err
			}
			// Its index artifact goes to garbage with it, and a pending
			// index job is dropped.
			if _, err := q.exec(ctx, `INSERT INTO openwit_garbage (path, table_id, byte_size, retired_at_us)
SELECT path, $2, byte_size, $3 FROM openwit_index_artifacts WHERE file_id = $1
ON CONFLICT (path) DO NOTHING`, id, tableID, created); err != nil {
				return err
			}
			for _, stmt := range []string{`DELETE FROM openwit_index_artifacts WHERE file_id = $1`,
				`DELETE FROM openwit_index_queue WHERE file_id = $1`,
				`DELETE FROM openwit_files WHERE id = $1`} {
				if _, err := q.exec(ctx, stmt, id); err != nil {
					return err
				}
			}
			if _, err := q.exec(ctx, `INSERT INTO openwit_garbage (path, table_id, byte_size, retired_at_us)
VALUES ($1, $2, $3, $4) ON CONFLICT (path) DO NOTHING`, path, tableID, bytes, created); err != nil {
				return err
			}
		}
		for _, f := range add {
			c := created
			if !f.CreatedAt.IsZero() {
				c = micros(f.CreatedAt)
			}
			n, err := q.exec(ctx, `INSERT INTO openwit_files (`+fileColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (id) DO NOTHING`,
				f.ID, f.TableID, f.Shard, f.Path, f.MinTime, f.MaxTime, f.Rows, f.Bytes, int64(f.MaxLSN), c)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("file %q: %w", f.ID, ErrExists)
			}
			// An object published again is no longer garbage.
			if _, err := q.exec(ctx, `DELETE FROM openwit_garbage WHERE path = $1`, f.Path); err != nil {
				return err
			}
			// The new file's index artifact is linked, or the file queued.
			if f.Index != nil {
				err = linkIndex(ctx, q, f.ID, f.Index, fromMicros(c))
			} else {
				_, err = q.exec(ctx, `INSERT INTO openwit_index_queue (file_id, table_id, enqueued_at_us, lease_owner, lease_until_us, attempts)
VALUES ($1, $2, $3, '', 0, 0)`, f.ID, f.TableID, c)
			}
			if err != nil {
				return err
			}
			if _, err := q.exec(ctx, raiseCheckpoint, f.TableID, f.Shard, int64(f.MaxLSN), f.Writer); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("replace %d files of table %d with %d: %w", len(remove), tableID, len(add), err)
	}
	return nil
}

// replaceDone reports whether a ReplaceFiles with these arguments already
// committed: no file of remove is published and every file of add is, with
// the same content. Only then is a repeated call a no-op.
func (s *store) replaceDone(ctx context.Context, q querier, tableID int64, remove []string, add []*File) (bool, error) {
	if len(add) == 0 {
		return false, nil // a retention drop repeated reports ErrConflict
	}
	for _, id := range remove {
		var one int64
		err := q.queryRow(ctx, `SELECT 1 FROM openwit_files WHERE id = $1`, id).Scan(&one)
		if err == nil {
			return false, nil
		}
		if !isNoRows(err) {
			return false, err
		}
	}
	for _, f := range add {
		old, err := scanFile(q.queryRow(ctx, `SELECT `+fileColumns+` FROM openwit_files WHERE id = $1`, f.ID))
		if isNoRows(err) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !sameContent(old, f) {
			return false, nil
		}
	}
	return true, nil
}

// ListGarbage implements Catalog.
func (s *store) ListGarbage(ctx context.Context, before time.Time, limit int) ([]*Garbage, error) {
	var gs []*Garbage
	err := s.run(ctx, txRead, func(q querier) error {
		gs = nil
		stmt := `SELECT path, table_id, byte_size, retired_at_us FROM openwit_garbage WHERE retired_at_us < $1
ORDER BY retired_at_us, path`
		args := []any{micros(before)}
		if limit > 0 {
			stmt += ` LIMIT $2`
			args = append(args, limit)
		}
		rs, err := q.query(ctx, stmt, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var (
				g  Garbage
				us int64
			)
			if err := rs.Scan(&g.Path, &g.TableID, &g.Bytes, &us); err != nil {
				return err
			}
			g.RetiredAt = fromMicros(us)
			gs = append(gs, &g)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list garbage: %w", err)
	}
	return gs, nil
}

// DeleteGarbage implements Catalog.
func (s *store) DeleteGarbage(ctx context.Context, paths []string) error {
	err := s.run(ctx, txIdempotent, func(q querier) error {
		for _, p := range paths {
			if _, err := q.exec(ctx, `DELETE FROM openwit_garbage WHERE path = $1`, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete %d garbage rows: %w", len(paths), err)
	}
	return nil
}

// Retired implements Catalog. Paths are looked up in groups of up to 500
// (one IN list each) in one read transaction.
func (s *store) Retired(ctx context.Context, paths []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(paths) == 0 {
		return out, nil
	}
	err := s.run(ctx, txRead, func(q querier) error {
		clear(out)
		for start := 0; start < len(paths); start += 500 {
			group := paths[start:min(start+500, len(paths))]
			var b strings.Builder
			args := make([]any, len(group))
			for i, p := range group {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", i+1)
				args[i] = p
			}
			rs, err := q.query(ctx, `SELECT path FROM openwit_garbage WHERE path IN (`+b.String()+`)`, args...)
			if err != nil {
				return err
			}
			for rs.Next() {
				var p string
				if err := rs.Scan(&p); err != nil {
					rs.Close()
					return err
				}
				out[p] = true
			}
			if err := rs.Err(); err != nil {
				rs.Close()
				return err
			}
			rs.Close()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("look up %d retired paths: %w", len(paths), err)
	}
	return out, nil
}
