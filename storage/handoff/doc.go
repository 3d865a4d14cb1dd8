// Package handoff is the storage service and its client: ingest nodes hand
// their sealed buffers to storage nodes over Arrow Flight DoPut, and the
// storage node writes, uploads and publishes them as one Parquet file
// (storage.Publisher). Kafka consumers stage their files there and publish
// them with their partition offsets (see "Kafka: stage and publish-at").
// See docs/design/017-storage-role.md and 027-kafka-through-storage.md.
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
// # Kafka: stage and publish-at
//
// A Kafka consumer without the storage role publishes a partition's buffer
// in two steps:
//
//   - Stage: a DoPut as above whose descriptor is version 2 with
//     "kind":"stage" and "file":ID, no writer and no max_lsn:
//     {"v":2,"kind":"stage","table_id":N,"table":NAME,"schema":SCHEMA_ID,
//     "shard":START_US,"file":ID}. ID is the consumer's file id
//     t<table>-s<shard>-k<8 hex>-p<partition>-o<first>-<next> of that very
//     table and shard (ValidStageID; anything else is InvalidArgument). The
//     storage node writes and uploads the file and its index artifact and
//     answers the catalog.File as JSON, NOT published. Staging an id again
//     writes the same object. The stream's columns may be a prefix of the
//     table's when the missing ones are nullable (a consumer that has not
//     seen columns another node added); SCHEMA_ID is then that prefix's.
//   - Publish-at: a DoAction of type ActionPublishAt ("publish-at") whose
//     body is a PublishAtRequest as JSON, {"v":1,"offset":{"Source":GROUP,
//     "Topic":T,"Partition":P,"From":F,"To":TO},"files":[FILE...]}, at most
//     MaxPublishAtSize bytes; each file a staged one of partition P ending at
//     TO, at its own key. The node checks every object is there and younger
//     than half the garbage grace (else FailedPrecondition: stage again) and
//     runs catalog.PublishFilesAt: a stored offset other than From is
//     Aborted (nothing written; the client returns catalog.ErrConflict), the
//     same publish repeated is OK. The answer is one empty Result.
//
// A version-1 descriptor with kind or file is InvalidArgument; hand-offs
// are still sent as version 1, so older storage nodes take them; an older
// node answers a stage Unimplemented. A staged object never published is an
// orphan that the garbage job deletes after the grace.
//
// # Errors and retries
//
// Unavailable, DeadlineExceeded, ResourceExhausted, Internal and Unknown are
// retried on the same node (internal/retry), then the next node in
// rendezvous order (Rank over (table, shard); over the partition for
// publish-at) is tried. InvalidArgument, NotFound, Aborted and
// FailedPrecondition end the call at once. With ClientConfig.Owner (a shared
// control plane), a hand-off tries the shard's owner first and rendezvous
// order is the fallback (docs/design/026-shard-ownership.md); a storage node
// takes a hand-off it does not own all the same and counts it
// (OwnedElsewhere).
package handoff
