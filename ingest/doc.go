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
// # Invariants
//
//   - A batch is acknowledged only after its record is fsynced.
//   - Rows become visible to queries when their LSN is durable; rows of one
//     shard are buffered in LSN order (the WAL append and the buffer append
//     happen under one lock).
//   - A shard's rows are published with the shard's highest LSN; the catalog
//     raises the (table, shard) checkpoint in the same transaction. Replay
//     skips parts whose LSN is at or below their shard's checkpoint, so a
//     crash between publish and truncation never duplicates rows.
//   - The WAL is truncated below the smallest LSN still buffered anywhere.
//
// # Files published elsewhere
//
// Queries see the files the ingester knows: its own, those added with
// AddFiles (this node's Kafka consumer, which bypasses the WAL: see
// ingest/kafka), and, with Config.RefreshInterval (set when the catalog is
// a shared PostgreSQL), the tables and files other nodes published, loaded
// by Refresh. File ids are deduplicated.
package ingest
