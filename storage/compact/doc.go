// Package compact runs the storage maintenance jobs: compaction, retention
// and garbage collection. Each is one step, Jobs.Compact, Jobs.Retain and
// Jobs.Collect (Run-style: ctx in, error out), so that whoever schedules them
// (internal/node today, on --compaction-interval; a job lease from the
// control plane later) decides when and where they run.
//
// # Compaction
//
// In every (table, time shard), the published files smaller than the target
// size are packed (catalog order) into groups of two or more whose sizes add
// up to at most the target; each group is read, sorted stably by the table's
// time column (nulls last) and written as one Parquet file named
// t<table>-s<shard>-c<max LSN>-<random>, uploaded, and swapped for its inputs
// with catalog.ReplaceFiles: one transaction removes the input rows, records
// their objects as garbage and inserts the output row. The output's MaxLSN is
// the maximum of its inputs', so the shard's WAL checkpoint is unchanged. If
// an input is gone (a concurrent compaction, retention drop or DROP TABLE)
// the swap fails with catalog.ErrConflict and changes nothing; the uploaded
// output is then an orphan. The merge is an external merge sort (merge.go):
// each input is read and sorted on its own and spilled as an Arrow IPC run to
// Config.TempDir (DATA_DIR/tmp/compact on a node), the runs are merged by time
// with a heap holding one 8Ki-row batch of each, and the output streams
// through pqfile.StreamWriter to a temporary file that is then uploaded. So a
// merge holds about its largest input decoded plus one output row group in
// memory, and needs about the group's size on disk.
//
// # Retention
//
// A table's retention option ("30 days", "1 day 12 hours", "90d"; see
// ParseRetention) drops, in one ReplaceFiles transaction per table, every
// file of the shards whose end (shard start + shard width) is at or before
// now - retention. Checkpoints are kept, so WAL replay never re-ingests
// dropped rows.
//
// # DELETE and TRUNCATE
//
// DeleteRows rewrites, copy-on-write, the given files of a table without
// the rows a RowMatcher marks: a file without a match is left alone, one
// whose rows all match is dropped, the others are written again (rows in
// their order, same shard and MaxLSN, so checkpoints are unchanged; name
// t<table>-s<shard>-d<max LSN>-<random>; index artifact built at once) and
// everything is swapped with one ReplaceFiles. The swap is the same
// compare-and-swap on the file set as compaction's: a file gone by then
// (a concurrent compaction, DELETE, TRUNCATE or retention) fails it with
// catalog.ErrConflict, nothing changes, the uploads are deleted and the
// caller lists again; a compaction that merged files a DELETE then swapped
// loses its own swap, so deleted rows never come back through its output.
// UpdateRows is DeleteRows with rows changed instead of dropped; a changed
// row whose new time falls in another shard leaves its file's rewrite and
// goes, with the other rows moved to that shard, into one new file of the
// shard (t<table>-s<shard>-m<max LSN>-<random>, with its index artifact),
// published in the same ReplaceFiles (docs/design/086-time-column-update.md).
// Truncate removes every file of a table in one ReplaceFiles, like a
// retention drop. The planner publishes the table's buffered rows first
// (ingest.Ingester.FlushTable), so no WAL replay can bring them back
// (docs/design/067-delete-truncate.md).
//
// # Garbage and the grace period
//
// Replaced and dropped objects are not deleted at once: a query lists its
// files once, when it is planned, and must be able to read them until it
// ends. Collect deletes an object once its garbage row is older than the
// grace period (Config.Grace, --garbage-grace: it must exceed the longest
// query), and then the row. Orphans, objects under tables/ that no file or
// garbage row names (an upload whose publish never happened: a crash, or a
// lost swap), are deleted when written more than the grace period ago; a
// younger object may be an upload about to be published and is never
// touched. An index artifact (<file>.idx) no file links is an orphan only
// once its data file is not named either (an indexer that died between
// upload and link, or whose file was compacted away meanwhile); while the
// file is published an indexer may still link it. Collect lists the objects before it reads the catalog, so an
// object published in between is named. Compaction refuses to publish an
// output whose upload took more than half the grace.
//
// Known window: the ingest Publisher names files by content (table, shard,
// max LSN), so a publish repeated after a crash rewrites the same key. If
// that rewrite falls between Collect's catalog read and its delete of the
// old (older than the grace) copy of that key, the object is deleted
// under a fresh catalog row. It needs a node that crashed mid-publish and
// restarted more than the grace period later, racing Collect's
// milliseconds.
package compact
