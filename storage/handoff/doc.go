// Package handoff is the storage service and its client: ingest nodes hand
// their sealed buffers to storage nodes over Arrow Flight DoPut, and the
// storage node writes, uploads and publishes them as one Parquet file
// (storage.Publisher). See docs/design/017-storage-role.md.
//
// # Wire format
//
// One hand-off is one DoPut call carrying the rows of one (table, shard)
// of one writer, up to one WAL LSN:
//
//   - The first FlightData message holds the Arrow schema and a
//     FlightDescriptor of type CMD whose Cmd is the JSON Descriptor:
//     {"v":1,"writer":WAL_ID,"table_id":N,"table":NAME,"schema":SCHEMA_ID,
//     "shard":START_US,"max_lsn":LSN}. Unknown fields, a missing field, or
//     more than MaxDescriptorSize bytes are refused (InvalidArgument); a
//     version other than Version is Unimplemented.
//   - Then the record batches, in WAL order. Their Arrow schema must have
//     the table's column names and types (storage.ArrowSchema).
//   - The server answers with one PutResult whose AppMetadata is the
//     published catalog.File as JSON (null when no rows came).
//
// # Invariants
//
//   - Nothing is published before the whole stream arrived and was checked:
//     a refused hand-off (InvalidArgument, Unimplemented, NotFound) leaves
//     no file in the catalog. An object may have been uploaded when a later
//     step failed; the garbage collector deletes unpublished objects after
//     the grace period.
//   - A hand-off is idempotent: the file id is derived from the descriptor
//     (storage.Publisher), and catalog.PublishFile of identical content is
//     a no-op. A client that lost the answer retries, on the same node or
//     on the next one, without publishing the rows twice; the server also
//     serializes concurrent hand-offs of one file.
//   - The descriptor names the table by id and name: a table dropped (or
//     dropped and created again under the same name) is NotFound, which
//     the client returns as catalog.ErrNotFound so the ingester drops the
//     buffer as it does for a local publish. A SchemaID differing from the
//     catalog's is InvalidArgument.
//   - The client returns only after the storage node committed the file to
//     the catalog: the ingester truncates its WAL after that, never before.
//
// # Errors and retries
//
// Unavailable, DeadlineExceeded, ResourceExhausted, Aborted, Internal and
// Unknown are retried on the same node (internal/retry), then the next node
// in rendezvous order (Rank over (table, shard)) is tried. InvalidArgument
// and NotFound end the hand-off at once. With ClientConfig.Owner (a shared
// control plane), the shard's owner is tried first and rendezvous order is
// the fallback (docs/design/026-shard-ownership.md); a storage node takes a
// hand-off it does not own all the same and counts it (OwnedElsewhere).
package handoff
