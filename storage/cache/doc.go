// Package cache is OpenWit's cache tier (`openwit serve --roles cache`): a
// service that keeps hot bytes of objects (Parquet files, index
// artifacts) in memory, in front of a local-disk cache and the object
// store, and the [Client] through which search workers and coordinators
// read objects from it. The design record is
// docs/design/018-cache-role.md.
//
// # Protocol (version 1)
//
// HTTP/1.1 (HTTPS with mutual TLS when the nodes have --tls-ca), one
// resource per object:
//
//	GET    /v1/objects/KEY   Range: bytes=FIRST-[LAST]   read a range
//	GET    /v1/objects/KEY                                read the whole object
//	HEAD   /v1/objects/KEY                                the object's size
//	DELETE /v1/objects/KEY                                forget the key
//
// KEY is an objstore key, path-escaped. A successful answer carries the
// object's size in the Openwit-Object-Size header; a ranged GET answers
// 206 with Content-Range "bytes FIRST-END/SIZE", where a LAST past the end
// is cut at the end. Errors: 400 for an invalid key, a range that is not
// one "bytes=FIRST-[LAST]" (suffix ranges and lists are refused) or a
// request for more than Config.MaxRange bytes (64 MiB; clients ask for at
// most ClientConfig.ChunkSize, 8 MiB, per request); 404 for a missing
// object; 416 (with "bytes */SIZE") for a FIRST at or past the end; 405
// for other methods; 502 when the object store fails. An error after the
// header (the object store failing mid-range) cuts the body short, which
// the client sees as a short read. DELETE answers 204: the client sends
// it after its Put or Delete of the key. A later version takes a new path
// prefix (/v2/).
//
// # Server
//
// Objects are cut into blocks of Config.BlockSize (1 MiB). The memory
// cache holds blocks, keyed by (key, object size, block index), and object
// sizes, and is bounded by Config.MemoryBytes (each entry is charged its
// bytes, its key and a fixed overhead). Eviction is segmented LRU, which
// resists scans: a loaded entry enters the probation segment and moves to
// the protected one (at most 80% of the memory) when it is read again;
// eviction takes probation's least recent entry first. One pass over a
// large file therefore cycles through probation and leaves the hot set
// (footers, index artifacts, the blocks queries keep reading) in place.
// A miss loads from Config.Bucket, which for the cache role is the object
// store behind objstore.Cache (--cache-dir), so blocks evicted from memory
// are usually still on local disk. Concurrent misses of one block or size
// run one load (single flight); the load runs under a context detached
// from the request that started it (up to 2 minutes), so a canceled
// request does not fail the others waiting. Errors are not cached: a
// missing object is looked up again on the next read. A request for
// several blocks claims the missing ones after the first before it sends
// anything and loads each run of them (up to 8 blocks) with one
// object-store read, up to 4 runs at a time (prefetch): a cold 8 MiB
// chunk costs two reads (its first block, then the rest), not eight.
//
// # Consistency
//
// OpenWit writes every data file once under a new key and never rewrites
// it, so cached bytes never go stale and nothing is invalidated: a
// deleted object ages out of the LRU (and forget drops it at once when
// the deleting client reaches the key's node). The size is part of a
// block's identity and every load checks it, so a replaced object of
// another size is never mixed with the old one; a read longer than one
// chunk of an object replaced meanwhile fails instead of mixing. An
// object replaced by another process with one of the same size could be
// served stale, which OpenWit never does.
//
// # Client
//
// [Client] is an objstore.Bucket. Puts, Deletes and Lists go to the
// object store. Reads of a key go to the node that rendezvous (highest
// random weight) hashing of the key picks among ClientConfig.Nodes (the
// --cache-nodes list and the cache nodes seen through gossip), so each
// object is cached on one node of the tier and a node joining or leaving
// moves only its share of keys. Attempts follow internal/retry
// (3 attempts, 20 ms backoff): a node failing at the transport level or
// with 5xx is skipped for DownFor (5 s) and the next node in rendezvous
// order is tried. When no node answers, or a node answers a 4xx (a
// missing object included), the object store answers the read: the
// cache is never needed for correctness. After a Put or Delete the client
// sends DELETE to the key's node, waiting at most 500 ms (a node that does
// not answer is skipped for DownFor).
//
// # Metrics
//
// Server: openwit_cache_{hits,misses}_total (blocks served: a miss is a
// block the request loaded itself; one found in memory, or loaded by a
// concurrent request it waited for, is a hit), openwit_cache_served_bytes_total,
// openwit_cache_evictions_total, openwit_cache_not_found_total,
// openwit_cache_bad_requests_total, openwit_cache_hit_ratio (over the last five minutes)
// and openwit_cache_memory_bytes. Client:
// openwit_cache_client_requests_total and
// openwit_cache_client_fallbacks_total.
package cache
