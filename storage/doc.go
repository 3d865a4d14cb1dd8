// Package storage turns buffered rows into durable, published data files.
//
// Layout of the object store:
//
//	tables/<table id>/shard=<shard start, Unix µs>/<file id>.parquet
//
// A file id is t<table>-s<shard>-l<max LSN>: derived from the rows it holds,
// so a retried publish names the same object and the same catalog row.
// Publisher uploads first (an atomic put) and then publishes in the catalog;
// an object that was uploaded but never published is an orphan no query can
// see. OrphanCollector deletes such objects, and those of dropped tables,
// once they stayed unreferenced for a grace period; the control leader runs
// it as the "orphan-gc" job (coordinator/control, --gc-interval,
// --gc-grace).
//
// Column types are PostgreSQL's canonical names (types.go) mapped to Arrow
// types: timestamptz → timestamp[µs, UTC], timestamp → timestamp[µs],
// numeric(p,s) → decimal128(p,s) (unconstrained numeric is numeric(38,10)),
// jsonb → utf8, bytea → binary.
//
// Sub-packages: catalog (metadata), objstore (object stores), pqfile
// (Parquet encoding).
package storage
