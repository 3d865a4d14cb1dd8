// Package catalog is OpenWit's metadata catalog: the tables and the
// immutable Parquet data files published for them. Two implementations sit
// behind the Catalog interface: SQLite (one node; modernc.org/sqlite, pure
// Go) and PostgreSQL (a cluster; pgx pool). Open picks one from a URL.
//
// # Publishing
//
// A data file becomes visible to queries when it is published, and
// publishing is what lets the write-ahead log be truncated up to the file's
// MaxLSN. Hence:
//
//   - Atomicity. PublishFile inserts the file row and raises the
//     (table, writer, shard) checkpoint in ONE transaction: a reader never sees the
//     file without the checkpoint or the checkpoint without the file.
//   - Idempotency. A file is identified by its ID (a content id chosen by
//     the writer). Publishing an ID that is already published with the same
//     content (every field but CreatedAt) changes nothing and returns nil;
//     with different content it returns ErrExists. So a publish whose outcome
//     is unknown (connection lost during COMMIT) is simply repeated; the
//     PostgreSQL backend does that itself.
//   - Checkpoint monotonicity. The checkpoint of (table, writer, shard) is
//     the maximum MaxLSN over the files that writer (one WAL, File.Writer)
//     published into that shard; publishing a file with an older MaxLSN
//     never lowers it. When the writer publishes each shard's files in LSN
//     order (the rule for callers; the catalog cannot check it), every row
//     of its WAL for the shard with LSN <= the checkpoint is in a published
//     file, so replay may skip those records. Checkpoints are per writer
//     because the LSNs of two nodes' WALs are unrelated numbers.
//   - Publishing into a table that does not exist (dropped meanwhile) fails
//     with ErrNotFound. On PostgreSQL PublishFile holds a KEY SHARE lock on
//     the table row and DropTable a FOR UPDATE lock, so a drop either waits
//     for an in-flight publish (and removes its file) or makes it fail.
//   - Durability. SQLite runs with journal_mode=WAL and synchronous=FULL, so
//     a publish that returned survives power loss; PostgreSQL is as durable
//     as its synchronous_commit setting.
//
// # Publishing at a log offset (Kafka)
//
// PublishFilesAt publishes the files built from one range of a partitioned
// log (records From..To-1 of a Kafka topic partition) and, in the same
// transaction, advances the source's stored offset with a compare-and-set
// from From to To (docs/design/009-kafka-exactly-once.md). The stored
// offset is the next offset to read, keyed by (source, topic, partition);
// source is the Kafka consumer group. If the stored offset is not From,
// another consumer has published that range or a later one: nothing is
// written and the caller gets ErrConflict (it drops its buffer and seeks
// to SourceOffsets). A publish repeated after an unknown outcome finds the
// offset at To and its own files, and returns nil. Offsets are not
// removed by DropTable (they belong to the source, not to a table).
//
// # Tables
//
// CreateTable assigns an ID that is never reused, even after the table is
// dropped (SQLite AUTOINCREMENT; PostgreSQL identity sequence, NO CYCLE);
// IDs increase but may have gaps (a failed or conflicting create uses one).
// Table names and file IDs are compared and ordered bytewise and are
// case-sensitive: the caller normalizes. Column types must be one of the
// PostgreSQL type names listed on Column.Type, and TimeColumn, when set, must
// name a column (ErrInvalid otherwise). DropTable deletes the table row, its
// file rows and its checkpoints in one transaction; the files' objects are
// recorded as garbage in the same transaction.
//
// # Replacing files and garbage
//
// ReplaceFiles is compaction's swap and retention's drop: in ONE
// transaction it deletes the named file rows (each locked FOR UPDATE on
// PostgreSQL), inserts their objects into openwit_garbage with the time of
// retirement, and inserts the new file rows, raising checkpoints as
// PublishFile does. If any named file is no longer a published file of the
// table (a concurrent compaction, retention or DROP TABLE removed it) it
// fails with ErrConflict and changes nothing, so two compactions of the
// same inputs never both win. Checkpoints are never lowered: a merged file
// carries the maximum MaxLSN of its inputs, and a retention drop leaves the
// checkpoint of the dropped shard in place. A repeated ReplaceFiles that
// already committed (unknown outcome) finds its inputs gone and its
// outputs present with the same content and returns nil. The object store
// side (deleting a garbage object after its grace period, then its row) is
// storage/compact's. UpdateTableOptions rewrites options_json; AddColumns appends
// to columns_json under the table row's lock (FOR UPDATE; SQLite's write lock),
// so concurrent adds of one column serialize and leave one column.
// RenameTable and RenameColumn rewrite the name or columns_json (and
// time_column) under the same lock; a renamed column keeps its data name
// in "field", and a column added with a name some column's data already
// has gets a data name of its own. AlterTable (DROP COLUMN, ALTER COLUMN,
// ADD COLUMN ... DEFAULT, COMMENT ON; docs/design/071) runs an edit of the
// table under the same lock and rewrites columns_json, time_column and
// comment; a dropped column stays in columns_json ("dropped") so that its
// data name is never given to another column.
//
// # Retries and unknown outcomes (PostgreSQL)
//
// Transient failures (connection refused or reset, 57P01 admin shutdown,
// 57P03, 25006 read-only transaction after a failover, 40001 serialization
// failure, 40P01 deadlock, class 08) are retried with bounded exponential
// backoff (RetryPolicy). A failure before COMMIT left nothing behind and is
// always retried. A lost connection during COMMIT leaves the outcome
// unknown: reads and PublishFile are retried (idempotent); CreateTable and
// DropTable are not, and return ErrUnknownOutcome so the caller can look.
// On 25006 the pool's connections are dropped so that new ones find the
// primary through a multi-host DSN with target_session_attrs=read-write.
//
// # Schema
//
// All times are Unix microseconds (UTC) in BIGINT; durations are
// nanoseconds. LSNs are uint64 in Go and BIGINT in the database: values
// above 2^63-1 are rejected with ErrInvalid. Columns and Options are JSON
// text. Names of the form openwit_* avoid clashes in a shared database.
//
//	openwit_schema_migrations  one row per applied migration
//	  version        BIGINT PRIMARY KEY   1, 2, ... in order
//	  name           TEXT                 must match the binary's name for that version
//	  applied_at_us  BIGINT
//
//	openwit_tables
//	  id                 auto id, PRIMARY KEY, never reused
//	  name               TEXT UNIQUE (bytewise: COLLATE "C" on PostgreSQL)
//	  columns_json       TEXT   [{"name":..,"type":..,"not_null":true,"field":..,"default":..,
//	                              "default_display":..,"missing":..,"comment":..,"num":..,"dropped":true}, ...]
//	                            ("field": the data name of a renamed column; omitted when it is the name;
//	                            "default_display": the DEFAULT as PostgreSQL displays it, absent in
//	                            catalogs written before design record 075 (readers compute it then);
//	                            "missing": what rows stored before an ADD COLUMN ... DEFAULT read;
//	                            "num": the attnum, once a column of the table was dropped;
//	                            live columns in order, then the dropped ones)
//	  time_column        TEXT   "" or the name of one of the columns
//	  shard_duration_ns  BIGINT
//	  options_json       TEXT   {"key":"value", ...} or null
//	  created_at_us      BIGINT
//	  comment            TEXT   COMMENT ON TABLE's text, '' for none (version 8)
//
//	openwit_files
//	  id              TEXT PRIMARY KEY (bytewise)
//	  table_id        BIGINT REFERENCES openwit_tables(id)
//	  shard_start_us  BIGINT
//	  path            TEXT   object store key
//	  min_time_us     BIGINT  CHECK (min_time_us <= max_time_us)
//	  max_time_us     BIGINT
//	  row_count       BIGINT
//	  byte_size       BIGINT
//	  max_lsn         BIGINT  CHECK (>= 0)
//	  created_at_us   BIGINT
//	  INDEX openwit_files_by_table (table_id, shard_start_us, min_time_us, id)
//
//	openwit_checkpoints
//	  table_id        BIGINT REFERENCES openwit_tables(id)
//	  shard_start_us  BIGINT
//	  max_lsn         BIGINT  CHECK (>= 0)
//	  PRIMARY KEY (table_id, shard_start_us)
//
//	openwit_source_offsets
//	  source          TEXT (bytewise)   the Kafka consumer group
//	  topic           TEXT (bytewise)
//	  partition_id    INTEGER  CHECK (>= 0)
//	  next_offset     BIGINT   CHECK (>= 0)  next offset to read
//	  updated_at_us   BIGINT
//	  PRIMARY KEY (source, topic, partition_id)
//	openwit_garbage (migration 5)
//	  path           TEXT PRIMARY KEY (bytewise)  object store key
//	  table_id       BIGINT  (no foreign key: the table may be dropped)
//	  byte_size      BIGINT
//	  retired_at_us  BIGINT  when the file left the catalog
//	  INDEX openwit_garbage_by_time (retired_at_us, path)
//	openwit_fences (migration 6)
//	  name            TEXT PRIMARY KEY   job name (coordinator/control)
//	  token           BIGINT CHECK (> 0) highest fencing token seen (Fencer)
//	openwit_views (migration 8; the Views interface, views.go)
//	  id              auto id, PRIMARY KEY, never reused
//	  name            TEXT UNIQUE (bytewise); no table may have it
//	  query           TEXT   the defining SELECT, `*` expanded
//	  columns_json    TEXT   [{"name":..,"type_oid":..,"typmod":..}, ...]
//	  depends_json    TEXT   {"tables":[ids],"views":[ids]}: what it reads
//	  created_at_us   BIGINT
//
// Foreign keys have no ON DELETE action: DropTable deletes children
// explicitly, and a stray child row makes the parent delete fail rather
// than vanish silently.
//
// # Migrations
//
// The schema is a list of numbered migrations (schema.go), written once as
// SQL both engines accept; the few differences (auto id, bytewise text key,
// row-lock clauses) live in the dialect type and nowhere else. Open applies
// the missing ones in order, each recorded in openwit_schema_migrations, all
// in one transaction: on SQLite under BEGIN IMMEDIATE (the database write
// lock), on PostgreSQL under pg_advisory_xact_lock, so nodes opening the
// same catalog at once do not race. Rules:
//
//   - Migrations are append-only: never edit, renumber or remove one that
//     has shipped; change the schema with a new version.
//   - A migration must run on both engines, or use a dialect placeholder.
//   - Open fails with ErrSchemaVersion when the database records a version
//     this binary does not know (a newer OpenWit migrated it), a gap, or a
//     different name for a known version.
package catalog
