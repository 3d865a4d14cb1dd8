// Package control is OpenWit's control plane on etcd: everything that needs
// one answer in the cluster (docs/design/011-etcd-control-plane.md).
//
// A node holds one etcd session: a lease of LeaseTTL (10 s by default) kept
// alive by the client. Every key below is attached to that lease, so it
// disappears LeaseTTL after the node stops renewing it (crash, partition,
// lost quorum), and at once on a clean stop (the lease is revoked).
//
// Keys (Prefix defaults to "/openwit/"):
//
//	PREFIX/nodes/NODE_ID               node registry: JSON NodeInfo (id, roles, addresses)
//	PREFIX/election/control/LEASE      control leader election (concurrency.Election);
//	                                   the value is the node id, the oldest key leads
//	PREFIX/jobs/NAME/lock/LEASE        job lease (concurrency.Mutex); the holder's key
//	                                   creation revision is the run's fencing token
//	PREFIX/jobs/NAME/state             JSON JobState: runs, last token, holder, last run
//	                                   (no lease: it outlives nodes)
//	PREFIX/locks/schema/LEASE          schema change lock (CREATE/DROP TABLE)
//	PREFIX/shards/KEY                  owner of a (table, time shard), KEY = t<table_id>-s<shard>:
//	                                   JSON {node_id, addr}, on the OWNER's registry lease;
//	                                   its creation revision is the assignment's epoch
//
// Invariants:
//
//   - At most one leader acts at a time: a leader acts only while its
//     session is alive, and its client ends the session when it could not
//     renew the lease for a whole TTL, which is before etcd can expire the
//     key and elect another. Without quorum nobody is elected: decisions
//     pause (Status.Decisions = "paused"), they never split.
//   - Fencing tokens grow: a later job lease key is created at a later etcd
//     revision. A run commits its effects (Jobs.Commit) in one etcd
//     transaction that compares its lease key's creation revision with its
//     token and the job state's revision with the one it read, so a run is
//     recorded at most once, and a holder that lost its lease commits
//     nothing (ErrStaleToken). Stores outside etcd reject stale tokens by
//     remembering the highest token they saw (storage/catalog Fence).
//   - A job whose holder dies is taken over after the lease TTL: the next
//     waiter's mutex acquisition waits for the dead key's deletion. Since
//     the dead run did not commit, the job is still due and runs once more.
//   - A shard has at most one owner record: Owners assigns it with a
//     transaction that creates the key only if absent, so concurrent
//     assigners agree; the record goes with its owner's lease, and the
//     next lookup assigns the shard again (docs/design/026-shard-ownership.md).
//     An owner deletes its own records idle for ShardIdle (compare on the
//     epoch).
//   - Nothing on the query or ingest path waits for etcd: queries and
//     acknowledged writes keep working without quorum. A hand-off asks
//     Owners.Lookup, which answers from a watched cache or within
//     LookupBound, falling back to the caller's rendezvous order. CREATE/DROP TABLE
//     take the schema lock and fail (Plane.LockSchema: ErrUnavailable)
//     when it cannot be had within LockTimeout.
//
// StartEmbedded runs a single-member etcd in process for `openwit serve`
// without --etcd-endpoints; its log goes to the process's slog at warn level.
package control
