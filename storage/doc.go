// Package storage turns buffered rows into durable, published data files.
//
// Layout of the object store:
//
//	tables/<table id>/shard=<shard start, Unix µs>/<file id>.parquet
//
// A file id is t<table>-s<shard>-l<max LSN>: derived from the rows it holds,
// so a retried publish names the same object and the same catalog row.
// Files from Kafka (ingest/kafka) are named by the records they hold
// instead: t<table>-s<shard>-k<hash of group and topic>-p<partition>-o<first
// offset>-<next offset>, published with catalog.PublishFilesAt.
// Publisher uploads first (an atomic put) and then publishes in the catalog;
// an object that was uploaded but never published is an orphan no query can
// see; storage/compact deletes it once it is older than the garbage grace
// period (run by the control leader as the "storage-maintenance" job when
// the node is in an etcd control plane). Compacted files are named t<table>-s<shard>-c<max LSN>-<random>.
//
// Where Publisher runs: on a node with the storage role. A front node
// (gateway,coordinator) runs it in process unless given --storage-nodes;
// then its ingester hands each sealed (table, shard) buffer over Arrow
// Flight DoPut to the storage node owning it by rendezvous hashing
// (storage/handoff), which runs Publisher and answers with the published
// file; the ingest node truncates its WAL only after that answer. A Kafka
// consumer with the storage role publishes its own files with its
// offsets; without it (a --roles ingest node given --storage-nodes) it
// stages them on the storage nodes (Publisher.Stage: written and uploaded,
// not published) and a storage node publishes them with the offsets
// (Publisher.PublishAt, one catalog transaction). See
// docs/design/017-storage-role.md and 027-kafka-through-storage.md.
//
// Column types are PostgreSQL's canonical names (types.go) mapped to Arrow
// types: timestamptz → timestamp[µs, UTC], timestamp → timestamp[µs],
// numeric(p,s) → decimal128(p,s) (unconstrained numeric is numeric(38,10)),
// jsonb → utf8, bytea → binary, uuid/inet/cidr → utf8 in their canonical
// text output (FitValue).
//
// Sub-packages: catalog (metadata), objstore (object stores), pqfile
// (Parquet encoding), compact (compaction, retention, garbage collection),
// cache (the cache role: hot object bytes shared by the search workers),
// handoff (the storage service and its client).
package storage
