// Package search is OpenWit's search role: a service that runs plan
// fragments (exec.Fragment) over Parquet files in the object store and
// streams the resulting Arrow batches back over Arrow Flight, and the
// coordinator's side of it (Client, Pick, Distribute). The design record is
// docs/design/003-distributed-fragments.md.
//
// # Service
//
// Server implements one Flight method, DoGet. The ticket carries the whole
// fragment; there is no GetFlightInfo step and no state between calls. The
// reply is a Flight data stream: the schema (the fragment's output schema,
// exec.Fragment.OutputSchema) then zero or more record batches. Cancelling
// the call cancels the run. Errors are gRPC statuses:
//
//	InvalidArgument    the ticket is malformed, or its fragment does not
//	                   compile against its schema
//	Unimplemented      the envelope or fragment version is unknown, or the
//	                   fragment uses something the executor does not support
//	ResourceExhausted  the fragment exceeded the worker's memory limit
//	NotFound           a file is missing from the object store
//	Canceled, DeadlineExceeded  the call's context ended
//	Unavailable        the worker is shutting down or unreachable
//	Internal           anything else (read errors, bugs)
//
// With Config.TLS the service speaks gRPC over TLS only; `openwit serve
// --tls-ca` makes it mutual TLS (a client certificate from the CA is
// required), and ClientConfig.TLS makes the coordinator present its
// certificate and verify the worker's. Without mutual TLS the service has
// no authentication, so a node refuses to listen on a non-loopback
// --search-addr (see docs/design/006-tls-and-auth.md).
//
// # Ticket format (envelope version 1)
//
// All integers are big-endian. A ticket is, with nothing after it:
//
//	offset  size  field
//	0       4     magic "OWSF" (OpenWit Search Fragment)
//	4       1     envelope version, 1
//	5       4     F, the length of the fragment part (at most 16 MiB)
//	9       F     the fragment: exec.Fragment.Encode's JSON, whose "version"
//	              field is exec.FragmentVersion, or
//	              exec.FragmentVersionOrder when a top-k sort key has an
//	              order of its own (inet, design 092)
//	              (a file source's optional "candidates", the candidate rows
//	              of some row groups, design 033, is an addition a worker
//	              that predates it ignores: it reads every row, with the
//	              same result)
//	9+F     4     S, the length of the schema part (at most 16 MiB)
//	13+F    S     the table schema the fragment's Columns name, as Arrow IPC
//	              (flight.SerializeSchema: a stream with the schema message
//	              and no batches)
//
// # Fragment stats
//
// At the end of a successful stream the worker sets the gRPC trailer
// "openwit-fragment-stats-bin" (StatsTrailer) to FragmentStats as JSON:
//
//	{"v":1, "sources":S, "row_groups":G, "row_groups_pruned":P, "rows":R,
//	 "rows_out":O, "bytes_read":B, "cache_bytes":C, "elapsed_us":T}
//
// the executor's counters (exec.Stats: rows scanned and returned, row
// groups read and pruned by the scan, bytes read from data files and the
// part a cache served) and the worker's time on the fragment. The
// coordinator reads it after the stream ended (Client, Distribute) and
// records it with the worker's address and its own time in the Trace of
// the run's context, which EXPLAIN ANALYZE prints. A trailer that is
// missing (a worker of an older release) or of another "v" is ignored:
// the fragment shows as not reported. Older coordinators ignore the
// trailer, so neither side needs a new ticket version.
//
// Versioning: the envelope version changes when this layout changes; the
// fragment version (inside the JSON) changes when the meaning of a fragment
// changes (a new operator or aggregate state layout that an older worker
// would misread). JSON field additions that older readers may ignore need
// no new version: a top-k's seed (exec.TopKSpec.Seed) is one, an older
// worker ignores it and only skips fewer row groups. A worker reads exactly the versions it writes and answers
// any other with Unimplemented, so a coordinator never gets a silently
// different answer from a worker of another release; the coordinator then
// runs the fragment elsewhere (see Distribute).
//
// Invariants DecodeTicket checks before anything runs: every source is a
// file (in-memory sources never travel) whose path is a valid object key
// (objstore.CheckKey: a ticket cannot name anything outside the bucket);
// every expression has its operator's arity, known literal kinds and
// non-negative column numbers, nested at most 64 deep; every aggregate but
// count_star has an argument; a top-k has sort keys; the limit is not
// negative; the schema message's vectors lie within it and its fields nest
// at most 64 deep and number at most 100,000 (the Arrow IPC reader trusts
// its flatbuffers and would otherwise allocate or recurse without bound).
//
// # Worker choice
//
// Pick assigns each file to a worker by rendezvous (highest random weight)
// hashing of the file id over the worker addresses: stable across
// coordinators and queries (cache affinity), and removing a worker moves
// only the files it owned. Distribute uses its weighted form (RankWeighted:
// score -weight/ln(u)), which with equal weights is Pick, and gives each
// worker a share of the files proportional to its weight (the --weight it
// gossips; docs/design/010-gossip-membership.md).
//
// # Failures
//
// A fragment's output is used only once its stream ended cleanly. When its
// worker stays unavailable after the client's retries (internal/retry),
// dies mid-stream, or answers Unimplemented, its batches are released and
// the fragment runs again whole on the next worker in its first file's
// rendezvous order, and at last on the coordinator; Client.Reruns counts
// these.
package search
