// Package membership is OpenWit's gossip layer: every node runs one
// Membership (hashicorp/memberlist, SWIM failure detection) that tells the
// others who it is, where it listens, and how loaded it is, and keeps a
// view of every other node with its health. The design record is
// docs/design/010-gossip-membership.md.
//
// # Use: routing only
//
// The view is eventually consistent: two nodes may disagree for a few
// seconds on who is alive, and a slow node may be suspected while it is
// fine. It is therefore used only where a wrong answer costs a retry or a
// less even spread of work: which search workers a coordinator sends
// fragments to, and with what weights, and what `openwit status` shows.
// Nothing that needs one answer across the cluster (leadership, job and
// shard ownership, schema changes) is decided from it: that goes through
// etcd.
//
// # Node meta (wire format)
//
// What a node gossips is its Info, encoded as JSON in memberlist's node meta
// (at most memberlist.MetaMaxSize, 512 bytes; New rejects a larger one).
// Keys are short to leave room for addresses:
//
//	id   node id (also the memberlist node name, unique in the cluster)
//	v    release (version.Version)
//	r    roles, e.g. ["gateway","coordinator","ingest","storage"]
//	pg, fl, http, srch, stor, cache   PostgreSQL wire, Flight SQL, HTTP,
//	     search, storage and cache service addresses (host:port), absent when the role
//	     is off. When the meta would exceed 512 bytes, the addresses on
//	     the HTTP address's host are written ":PORT" (the host is implied)
//	w    configured weight (--weight), the worker's relative capacity
//	l    load: q running queries (coordinator) or fragments (search),
//	     c CPUs (GOMAXPROCS), cpu cores in use by the process, fm bytes of
//	     memory available on the host, bf ingest buffer fill (0–1),
//	     hr a cache node's block hit ratio over the last five minutes (0–1)
//
// Unknown keys are ignored, so a newer release may add fields. The load is
// refreshed every Config.Refresh (1s) and re-advertised (an alive message
// with a higher incarnation) only when it changed, or every
// maxQuietRefreshes intervals; a node's view of another node's load is
// thus a few gossip rounds old.
//
// # Health
//
// Each Member carries the local node's opinion: alive, dead (memberlist
// confirmed it unreachable) or left (it said bye: a node leaving first
// tells every member directly and advertises Leaving, because memberlist's
// leave event does not tell a graceful leave from a failure). memberlist
// does not expose its internal suspicion; Suspect is for the caller's own
// evidence (a coordinator marks a search worker it just failed to reach).
// Dead and left members stay in the view for Config.Retain so that
// `openwit status` shows them.
//
// # Scale-out hints
//
// NewStatus turns the alive members' load into one hint per role that
// has nodes: search and coordinator from running fragments or queries per
// core (over 1: scale out); gateway and ingest from CPU use per core (over
// 0.8); storage from the worst upload lag of the nodes that buffer
// acknowledged rows, in multiples of their flush age (over 2: publishing
// does not keep up or fails); indexer from the catalog's index queue depth
// per indexer (over 100); cache from the mean hit ratio (under 0.5).
// "scale in" is advised for the per-core signals under 0.1 with more than
// one node. The advice is a hint for an operator or an autoscaler, never
// acted on by OpenWit itself.
package membership
