package catalog

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// dialect holds every difference between the SQLite and PostgreSQL SQL this
// package runs. Everything else (DDL, queries, placeholders $1..$n, ON
// CONFLICT, RETURNING) is shared text.
type dialect struct {
	// autoID is the column definition of an int64 primary key assigned by
	// the database that never hands out a value twice, even after deletes.
	autoID string
	// key is the type of text keys (table names, file IDs): compared, sorted
	// and made unique bytewise.
	key string
	// lockShare and lockUpdate are row-lock suffixes for SELECT. SQLite
	// needs none: a write transaction holds the database write lock.
	lockShare  string
	lockUpdate string
	// lockSkip is the row-lock suffix that skips rows other transactions
	// hold (a queue's next item).
	lockSkip string
}

func sqliteDialect() *dialect {
	return &dialect{
		autoID: "INTEGER PRIMARY KEY AUTOINCREMENT",
		key:    "TEXT",
	}
}

func postgresDialect() *dialect {
	return &dialect{
		autoID:     "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
		key:        `TEXT COLLATE "C"`,
		lockShare:  " FOR KEY SHARE",
		lockUpdate: " FOR UPDATE",
		lockSkip:   " FOR UPDATE SKIP LOCKED",
	}
}

// ddl expands the dialect placeholders {{autoid}} and {{key}} in a shared
// DDL statement.
func (d *dialect) ddl(stmt string) string {
	return strings.NewReplacer("{{autoid}}", d.autoID, "{{key}}", d.key).Replace(stmt)
}

// migration is one schema version. Migrations are append-only: never edit
// or reorder one that has shipped; add a new version instead.
type migration struct {
	version int64
	name    string
	stmts   []string // shared DDL, expanded by dialect.ddl
}

// migrations returns the catalog schema history, version 1 first.
func migrations() []migration {
	return []migration{
		{
			version: 1,
			name:    "tables files checkpoints",
			stmts: []string{
				`CREATE TABLE openwit_tables (
	id                {{autoid}},
	name              {{key}} NOT NULL UNIQUE,
	columns_json      TEXT NOT NULL,
	time_column       TEXT NOT NULL,
	shard_duration_ns BIGINT NOT NULL,
	options_json      TEXT NOT NULL,
	created_at_us     BIGINT NOT NULL
)`,
				`CREATE TABLE openwit_files (
	id             {{key}} NOT NULL PRIMARY KEY,
	table_id       BIGINT NOT NULL REFERENCES openwit_tables (id),
	shard_start_us BIGINT NOT NULL,
	path           TEXT NOT NULL,
	min_time_us    BIGINT NOT NULL,
	max_time_us    BIGINT NOT NULL,
	row_count      BIGINT NOT NULL,
	byte_size      BIGINT NOT NULL,
	max_lsn        BIGINT NOT NULL CHECK (max_lsn >= 0),
	created_at_us  BIGINT NOT NULL,
	CHECK (min_time_us <= max_time_us)
)`,
				`CREATE INDEX openwit_files_by_table ON openwit_files (table_id, shard_start_us, min_time_us, id)`,
				`CREATE TABLE openwit_checkpoints (
	table_id       BIGINT NOT NULL REFERENCES openwit_tables (id),
	shard_start_us BIGINT NOT NULL,
	max_lsn        BIGINT NOT NULL CHECK (max_lsn >= 0),
	PRIMARY KEY (table_id, shard_start_us)
)`,
			},
		},
		{
			version: 2,
			name:    "source offsets",
			stmts: []string{
				`CREATE TABLE openwit_source_offsets (
	source        {{key}} NOT NULL,
	topic         {{key}} NOT NULL,
	partition_id  INTEGER NOT NULL CHECK (partition_id >= 0),
	next_offset   BIGINT NOT NULL CHECK (next_offset >= 0),
	updated_at_us BIGINT NOT NULL,
	PRIMARY KEY (source, topic, partition_id)
)`,
			},
		},
		{
			version: 3,
			name:    "index artifacts and queue",
			stmts: []string{
				`CREATE TABLE openwit_index_artifacts (
	file_id        {{key}} NOT NULL PRIMARY KEY REFERENCES openwit_files (id),
	path           TEXT NOT NULL,
	byte_size      BIGINT NOT NULL,
	format_version BIGINT NOT NULL,
	created_at_us  BIGINT NOT NULL
)`,
				`CREATE TABLE openwit_index_queue (
	file_id        {{key}} NOT NULL PRIMARY KEY REFERENCES openwit_files (id),
	table_id       BIGINT NOT NULL,
	enqueued_at_us BIGINT NOT NULL,
	lease_owner    TEXT NOT NULL,
	lease_until_us BIGINT NOT NULL,
	attempts       BIGINT NOT NULL
)`,
				`CREATE INDEX openwit_index_queue_by_lease ON openwit_index_queue (lease_until_us, enqueued_at_us)`,
				// Files published before artifacts existed wait for the indexer.
				`INSERT INTO openwit_index_queue (file_id, table_id, enqueued_at_us, lease_owner, lease_until_us, attempts)
SELECT id, table_id, created_at_us, '', 0, 0 FROM openwit_files`,
			},
		},
		{
			version: 4,
			name:    "ingest batches",
			stmts: []string{
				`CREATE TABLE openwit_ingest_batches (
	id                {{key}} NOT NULL PRIMARY KEY,
	node              TEXT NOT NULL,
	table_id          BIGINT NOT NULL,
	lsn               BIGINT NOT NULL,
	row_count         BIGINT NOT NULL,
	byte_size         BIGINT NOT NULL,
	received_at_us    BIGINT NOT NULL,
	wal_written_at_us BIGINT,
	stored_at_us      BIGINT,
	indexed_at_us     BIGINT
)`,
				`CREATE INDEX openwit_ingest_batches_by_time ON openwit_ingest_batches (received_at_us)`,
			},
		},
		{
			version: 5,
			name:    "garbage",
			stmts: []string{
				`CREATE TABLE openwit_garbage (
	path          {{key}} NOT NULL PRIMARY KEY,
	table_id      BIGINT NOT NULL,
	byte_size     BIGINT NOT NULL,
	retired_at_us BIGINT NOT NULL
)`,
				`CREATE INDEX openwit_garbage_by_time ON openwit_garbage (retired_at_us, path)`,
			},
		},
		{
			version: 6,
			name:    "job fences",
			stmts: []string{
				`CREATE TABLE openwit_fences (
	name  {{key}} NOT NULL PRIMARY KEY,
	token BIGINT NOT NULL CHECK (token > 0)
)`,
			},
		},
		{
			// Checkpoints per WAL (File.Writer): LSNs of two nodes'
			// WALs are unrelated, so one shard checkpoint shared by every
			// writer made a node skip its own unpublished records on
			// replay. Rows from before keep writer ''.
			version: 7,
			name:    "per-writer checkpoints",
			stmts: []string{
				`CREATE TABLE openwit_checkpoints_v7 (
	table_id       BIGINT NOT NULL REFERENCES openwit_tables (id),
	writer         {{key}} NOT NULL,
	shard_start_us BIGINT NOT NULL,
	max_lsn        BIGINT NOT NULL CHECK (max_lsn >= 0),
	PRIMARY KEY (table_id, writer, shard_start_us)
)`,
				`INSERT INTO openwit_checkpoints_v7 (table_id, writer, shard_start_us, max_lsn)
SELECT table_id, '', shard_start_us, max_lsn FROM openwit_checkpoints`,
				`DROP TABLE openwit_checkpoints`,
				`ALTER TABLE openwit_checkpoints_v7 RENAME TO openwit_checkpoints`,
			},
		},
		{
			// Views (docs/design/070-views.md): a name shared with
			// openwit_tables, checked by the writers.
			version: 8,
			name:    "views",
			stmts: []string{
				`CREATE TABLE openwit_views (
	id            {{autoid}},
	name          {{key}} NOT NULL UNIQUE,
	query         TEXT NOT NULL,
	columns_json  TEXT NOT NULL,
	depends_json  TEXT NOT NULL,
	created_at_us BIGINT NOT NULL
)`,
			},
		},
	}
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS openwit_schema_migrations (
	version       BIGINT NOT NULL PRIMARY KEY,
	name          TEXT NOT NULL,
	applied_at_us BIGINT NOT NULL
)`

// migrationLockKey is the pg_advisory_xact_lock key serializing migrations
// of one PostgreSQL database: the bytes of "openwit" as a big-endian int64.
const migrationLockKey int64 = 0x006f70656e776974

// migrate brings the schema up to date inside the transaction q. The caller
// holds the migration lock (PostgreSQL advisory lock, SQLite write lock).
// It returns the versions it applied.
func migrate(ctx context.Context, q querier, d *dialect, now time.Time) ([]int64, error) {
	if _, err := q.exec(ctx, createMigrationsTable); err != nil {
		return nil, fmt.Errorf("create openwit_schema_migrations: %w", err)
	}
	rows, err := q.query(ctx, `SELECT version, name FROM openwit_schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	applied := map[int64]string{}
	for rows.Next() {
		var v int64
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read applied migrations: %w", err)
		}
		applied[v] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}

	known := migrations()
	for v := range applied {
		if v < 1 || v > int64(len(known)) {
			return nil, fmt.Errorf("schema version %d applied, this binary knows 1..%d: %w", v, len(known), ErrSchemaVersion)
		}
		// Versions are applied in order, so the applied ones are 1..k.
		if v > int64(len(applied)) {
			return nil, fmt.Errorf("schema version %d applied but an earlier one is missing: %w", v, ErrSchemaVersion)
		}
	}
	var done []int64
	for _, m := range known {
		if name, ok := applied[m.version]; ok {
			if name != m.name {
				return nil, fmt.Errorf("schema version %d is %q in the database, %q here: %w", m.version, name, m.name, ErrSchemaVersion)
			}
			continue
		}
		for i, stmt := range m.stmts {
			if _, err := q.exec(ctx, d.ddl(stmt)); err != nil {
				return nil, fmt.Errorf("apply migration %d (%s) statement %d: %w", m.version, m.name, i+1, err)
			}
		}
		if _, err := q.exec(ctx, `INSERT INTO openwit_schema_migrations (version, name, applied_at_us) VALUES ($1, $2, $3)`,
			m.version, m.name, micros(now)); err != nil {
			return nil, fmt.Errorf("record migration %d: %w", m.version, err)
		}
		done = append(done, m.version)
	}
	return done, nil
}
