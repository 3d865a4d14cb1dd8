// Package wal is the short-term write-ahead log of the ingest path.
//
// Every ingest batch is appended to the WAL and fsynced before the client is
// acknowledged. On restart the log is replayed. Records are truncated only
// after the rows they hold are durably published elsewhere. The WAL must stay
// correct if the process is killed at any moment or a write is torn, and it
// must stay fast under concurrency, which group commit provides.
//
// # Log sequence numbers
//
// Each record has a log sequence number (LSN). LSNs are 1, 2, 3, ...: dense,
// strictly increasing, and never reused, including across restarts and
// truncation. The order of LSNs is the order of records in the files. LSN 0
// is never assigned. It means "before everything", as in Replay(0, fn).
//
// # Files
//
// The WAL directory holds segment files named after the LSN of their first
// record, as 20 zero-padded decimal digits followed by ".wal":
//
//	00000000000000000001.wal
//	00000000000000004097.wal
//
// Only the last segment, the active one, is written. Each segment holds the
// records from its first LSN up to the first LSN of the next segment minus
// one. An empty segment (header only) still records where the LSN sequence
// continues. That is why the WAL always keeps at least one segment, and why
// Truncate of everything rolls to a fresh, empty one instead of deleting the
// last. Files named "*.wal.tmp" are half-made segments. Open deletes them.
// Open ignores every other file.
//
// # Segment header
//
// A segment starts with a 20-byte header. All integers are little-endian.
//
//	offset size field
//	0      4    magic "OWAL"
//	4      4    format version, uint32, currently 1
//	8      8    first LSN, uint64; equal to the LSN in the file name
//	16     4    CRC32C (Castagnoli) of bytes 0..15
//
// # Records
//
// Records follow the header back to back, without padding:
//
//	offset size field
//	0      4    payload length n, uint32
//	4      4    CRC32C (Castagnoli) of bytes 0..3, bytes 8..15 and the payload
//	8      8    LSN, uint64
//	16     n    payload
//
// The checksum covers the length, the LSN and the payload. A record is valid
// when:
//
//   - n <= MaxRecordSize (default 256 MiB);
//   - the LSN is not 0;
//   - the checksum matches;
//   - the LSN is the previous record's LSN plus one, or the segment's first
//     LSN for its first record.
//
// A zero-filled region fails the LSN and checksum checks. The CRC32C of zero
// bytes is not zero. So preallocated or zeroed space is never mistaken for a
// record.
//
// # Writing and durability
//
// Append encodes the record into a memory buffer under a mutex, in LSN order.
// It hands the buffer to the OS (write(2)) when the buffer passes 1 MiB. A
// payload of 1 MiB or more is not copied: its header joins the buffer, the
// buffer is written, then the payload straight from the caller's slice.
// Nothing is fsynced on this path. StartSync asks for a round without
// waiting for it.
//
// Sync uses group commit. One syncer goroutine runs rounds. A round writes
// the buffer and takes the last LSN while holding the mutex. It then fsyncs
// the active segment without the mutex and publishes that LSN as durable.
// Callers that find their LSN not yet durable wait for the next round that
// has not started. A round that is already running may not include their
// record. Every waiter of a round shares its single fsync. While a caller
// waits, it honours ctx.
//
// A segment rolls when the next record would take it past SegmentSize. A
// roll never empties a segment: a record larger than SegmentSize gets a
// segment of its own. The roll runs in this order:
//
//  1. Write and fsync the active segment.
//  2. Write the new segment's header to "<name>.wal.tmp" and fsync it.
//  3. Rename the file to "<name>.wal" and fsync the directory.
//
// So a segment exists under its real name only with a complete header. Every
// segment but the last was complete and durable before its successor
// existed.
//
// Any failed write(2), fsync or segment creation puts the WAL into a failed
// state. From then on every Append, Replay and Truncate, and every Sync of
// a record not already durable, returns an error wrapping ErrFailed. After a failed fsync, the kernel may have dropped
// the dirty pages and cleared the error, so a retry could falsely report
// success (the PostgreSQL "fsyncgate" lesson). Recovery means Close and Open,
// which rereads what is actually on disk.
//
// # Recovery
//
// Open lists the segments in LSN order and checks each header. Every
// segment's first LSN must follow on from the previous segment's records.
// Open then verifies every record:
//
//   - In the last segment, the first invalid or incomplete record and
//     everything after it form a torn tail. This is a write cut short by a
//     crash. Open truncates the file at the end of the last valid record,
//     fsyncs it, and logs the segment, offset and bytes cut at warn level.
//     Those bytes were never acknowledged: an acknowledged record was fsynced,
//     and every record before it was too.
//   - Anywhere else, an invalid record, a bad header, or a gap in the LSN
//     sequence is corruption. Acknowledged data would be lost, so Open fails
//     with an error wrapping ErrCorrupt that names the segment and offset.
//
// Open then fsyncs the last segment and treats every surviving record as
// durable. The next LSN is the last valid LSN plus one. For an empty last
// segment, it is the segment's first LSN.
//
// # Truncation
//
// Truncate(lsn) deletes the segments all of whose records have LSN <= lsn.
// It never deletes the active segment, which it rolls first if lsn covers
// everything. Deletion runs oldest first, with a directory fsync after each
// removal, so a crash leaves a contiguous run of segments. Records with
// LSN > lsn always survive. Records <= lsn may survive too, in a partly
// covered segment. Replay's after argument skips them.
//
// # Concurrency
//
// All methods are safe for concurrent use. Replay reads the files through
// its own descriptors, up to the last LSN at the time of the call, while
// appends continue. If Truncate concurrently removes a segment Replay has
// not opened yet, Replay skips it. Only one process may open a directory at
// a time. The package does not enforce this.
package wal
