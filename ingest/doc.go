// Package ingest receives row batches, makes them durable in the short-term
// write-ahead log (ingest/wal) before acknowledging them, keeps them
// queryable in in-memory Arrow buffers per (table, time shard), and hands
// them to a Publisher (the storage role) that turns them into published
// Parquet files. Only after a file is published is the log truncated.
//
// # WAL payload (version 1)
//
// One WAL record holds one acknowledged batch of one table, already split by
// time shard, so a batch is replayed whole or not at all:
//
//	u8      version (1)
//	i64     table id (catalog id; ids are never reused, so a record of a
//	        dropped table is recognised and skipped on replay)
//	u32     number of parts
//	parts:  i64 shard start (Unix µs), u32 length, Arrow IPC stream bytes
//	        (schema + one record batch)
//
// All integers little-endian.
//
// # WAL payload (version 2): a transaction
//
// The rows a transaction block wrote to several tables (InsertTx, at
// COMMIT) are one record, so that a replay restores all of them or none:
//
//	u8      version (2)
//	u32     number of tables
//	tables: u32 length, a version 1 payload of that length
//
// Its rows are buffered under the record's one LSN, so they become visible
// together when it is fsynced. Replay skips the tables that no longer
// exist and, per part, the shards checkpointed at or above the LSN, as for
// version 1. A transaction that wrote one table is a version 1 record.
//
// # Streamed statements (versions 3 and 4)
//
// A statement that writes its rows while they arrive (COPY FROM STDIN,
// through a Stream) writes each batch as a provisional record (version 3,
// the layout of version 1) without waiting for its fsync, and at its end
// one commit record:
//
//	u8      version (4)
//	i64     table id
//	u32     number of provisional records n (> 0)
//	n × u64 their LSNs, in order
//
// The commit record is fsynced before the statement is acknowledged; the
// fsync covers the provisional records before it. Replay holds provisional
// records until their commit record and applies their parts at the commit
// record's LSN (the checkpoint test and the buffer order use that LSN);
// provisional records that no commit record follows were never
// acknowledged and are dropped. Buffered chunks of a stream remember the
// LSN of its first record, and truncation stays below the first record
// of every buffered chunk and of every open stream, so the records a
// commit needs are removed only after its rows are published: a commit
// record whose provisional records are gone is skipped.
//
// # Appending and acknowledging
//
// Insert is Append then Sync. Append encodes the batch (into a recycled
// buffer), writes its WAL record and buffers its rows under one lock, asks
// the WAL to start a group commit, and returns the LSN without waiting.
// Sync(lsn) waits for the fsync. A stream of batches (Flight bulk ingest)
// appends each one as it arrives and syncs only the last before it
// acknowledges, so reading and converting the next batch overlaps with the
// fsync of the previous ones, and one fsync covers every batch appended
// while the previous one ran.
//
// # When a shard is flushed
//
// The flusher publishes a shard's buffer once it holds FlushRows rows or
// FlushBytes bytes, once its oldest row is FlushAge old, past half of a
// limit (below), at Flush and Close, and once the shard is cold: rows of a
// later shard of its table have arrived and none for it since (cold.go,
// design 061). Rows mostly arrive in time order, so an hour's shard is
// complete when the next hour starts; publishing it then overlaps its
// encoding with the ingest of the following hours instead of leaving it
// all to the next rule (in a bulk load, the final Flush). A shard is
// flushed cold at most once: late rows for it wait for the other rules,
// so a steady stream makes at most one extra file per shard.
// Config.KeepColdShards turns this off.
//
// # Publishing one table now
//
// FlushTable publishes every acknowledged row of one table (DELETE and
// TRUNCATE call it before they list the table's files): afterwards those
// rows are in published files and their WAL records at or below the
// table's checkpoints, so removing the files removes the rows for good.
//
// # Limits (backpressure)
//
// Config.BufferLimit bounds the bytes of rows buffered in memory (active
// and being published) and Config.WALSizeLimit the bytes of the WAL.
// Append refuses a batch that would take either past its limit, unless
// nothing is buffered, with an error wrapping ErrOverloaded, before
// anything is written, and counts it in openwit_ingest_rejected_total.
// At half of either limit the flusher publishes every buffer, which frees
// both; Overloaded reports that state, and the Kafka consumer pauses on
// it (ingest/kafka). Flushes publish up to FlushParallelism shards at once.
//
// # Added columns
//
// A table's columns may grow (catalog.AddColumns: Kafka schema evolution).
// UpdateTable (also reached through AddTable with a known table, and
// through Refresh for columns another node added) widens the active
// buffers with NULL columns and switches the table's schema. A batch built
// with the older schema (a statement planned before the change) is widened
// on Append; WAL records written before the change are widened on replay
// (never dropped); chunks being published keep their schema and are
// widened in Snapshot. Files written before lack the columns; readers
// (exec, the planner's row path, compaction) read them as NULL.
//
// # Batch tracking
//
// When the catalog implements catalog.BatchLog, every batch (one WAL
// record) is followed as NODE:LSN through the stages received (Append),
// wal_written (fsynced) and stored (every part in a published file). The
// hot path only updates an in-memory map; a goroutine writes the changes
// to the catalog every BatchLogInterval in one transaction and prunes
// stored batches older than BatchLogRetention or beyond the BatchLogKeep
// newest. Replayed batches are recorded as wal_written again (the catalog
// keeps the first time recorded for each stage).
//
// # Invariants
//
//   - A batch is acknowledged only after its record is fsynced; a
//     stream only after its commit record is fsynced, and replay applies
//     a stream's rows only with their commit record.
//   - A refused batch (ErrOverloaded) wrote nothing.
//   - Rows become visible to queries when their LSN is durable; rows of one
//     shard are buffered in LSN order (the WAL append and the buffer append
//     happen under one lock).
//   - A shard's rows are published with the shard's highest LSN; the catalog
//     raises the (table, WAL id, shard) checkpoint in the same transaction.
//     Replay skips parts whose LSN is at or below their shard's checkpoint
//     for this WAL (wal.WAL.ID), so a crash between publish and truncation
//     never duplicates rows, and another node's WAL, whose LSNs are
//     unrelated, never hides this node's records.
//   - The WAL is truncated below the smallest LSN still buffered anywhere.
//
// # Files published elsewhere
//
// Queries see the files the ingester knows: its own, those added with
// AddFiles (this node's Kafka consumer, which bypasses the WAL: see
// ingest/kafka), and, with Config.RefreshInterval (set when the catalog is
// a shared PostgreSQL), the tables and files other nodes published, loaded
// by Refresh. File ids are deduplicated. A table another node created is
// also added at its first use on this node (AddTable from the planner and
// the Flight SQL ingest path), without waiting for Refresh; its files from
// other nodes arrive with Refresh, so another node's rows become visible
// here about one RefreshInterval after that node published them (rows
// still in that node's buffers are visible only there).
package ingest
