// Package objstore is OpenWit's object store: a flat namespace of immutable
// byte objects addressed by string keys, the place where Parquet files,
// manifests and other durable table state live.
//
// # Contract
//
// Every backend implements [Bucket]. The rules below hold for all of them and
// are checked by the acceptance suite in package objstoretest, which every
// backend's tests run.
//
//   - Keys are slash-separated relative paths such as
//     "tables/7/shard=3/00000042.parquet". A key is valid when it is non-empty,
//     at most [MaxKeyLen] bytes, does not start or end with "/", has no empty,
//     "." or ".." elements, and contains no backslash or NUL byte. No element
//     may start with the reserved prefix ".openwit-tmp-". Invalid keys fail
//     with [ErrInvalidKey] on every method, before any I/O; a valid key can
//     never name anything outside the bucket.
//   - Put is atomic: a reader sees either the previous object (or none) or the
//     complete new one, never a partial write. Put of an existing key replaces
//     it. When the size passed to Put is not -1 and the reader yields a
//     different number of bytes, Put fails and the key is left unchanged.
//   - Get, GetRange and Size of a missing key fail with an error that matches
//     [ErrNotFound] under errors.Is. Delete of a missing key succeeds.
//   - GetRange(off, length) reads length bytes starting at off; length -1
//     means "to the end", and a range that runs past the end is cut at the
//     end. off equal to the object size yields an empty reader. A negative
//     off, a length below -1 or an off beyond the end fails with
//     [ErrInvalidRange].
//   - List calls fn for every object whose key starts with prefix, in
//     byte-wise lexical key order, and stops at the first error fn returns,
//     returning that error unchanged. Objects written or deleted while a List
//     runs may or may not be reported.
//   - Every method is safe for concurrent use.
//
// # Local directory layout
//
// [Local] stores the object with key k at the file <root>/k; the slashes in
// a key become directories. Put writes to a temporary file named
// ".openwit-tmp-<random>" in the object's directory, fsyncs it, renames it
// over the final name and fsyncs the directory, so a crash leaves either the
// old object or the new one, plus possibly an orphaned temporary file.
// Temporary files never appear in List. Delete removes directories that it
// leaves empty, up to but not including the root. All file access goes
// through an [os.Root], so neither keys nor symbolic links planted inside the
// root can reach files outside it.//
// # S3 backend
//
// [S3] stores the object with key k at "<prefix>/k" in one bucket of S3 or
// an S3-compatible server (versitygw, and gofakes3 in tests), through
// aws-sdk-go-v2. [Open] takes "s3://bucket/prefix?endpoint=URL&region=R"
// (also force_path_style=true); an endpoint switches to path-style
// addressing and defaults the region to us-east-1. Credentials come from
// the SDK's default chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN, the shared config and credentials files (AWS_PROFILE),
// web identity and instance roles. Opening checks the bucket with
// HeadBucket, so a wrong name or credentials fail at startup.
//
//   - Put buffers up to PartSize (16 MiB) bytes. An object that fits is one
//     PutObject; a larger one, or one of unknown size that turns out larger,
//     is a multipart upload of PartSize parts, read in order and sent up to
//     UploadConcurrency (4) at a time. Any
//     failure (the reader, a size mismatch, a request out of retries, the
//     context) aborts the upload, so S3 never makes a partial object
//     visible: an object appears only at CompleteMultipartUpload. When the
//     answer to CompleteMultipartUpload is lost and the retry finds the
//     upload gone, Put succeeds only if the object now carries this
//     upload's ETag. When CreateMultipartUpload needed retries, an earlier
//     attempt may have started an upload whose answer was lost; Put aborts
//     the uploads of the same key started within that call's duration
//     before its own (a bucket lifecycle rule aborting incomplete uploads
//     is the backstop for what a crash leaves).
//   - Integrity: every PutObject and UploadPart carries Content-MD5, which
//     S3 (and every S3-compatible server) checks before storing, answering
//     BadDigest (retried) on a mismatch. Whole-object GETs ask for the
//     stored checksum (ChecksumMode ENABLED) and the SDK verifies it when
//     the server has one; ranged GETs carry none (S3 has no range
//     checksums), so their protection is TLS and Parquet's own structure.
//     The SDK's own request checksums are set to "when required", so no
//     second hash is computed or sent in a trailer.
//   - Reads: Get and GetRange are GETs (with a Range header for a range);
//     416 from S3 maps to [ErrInvalidRange] unless the range starts exactly
//     at the end, which yields an empty reader. A body cut mid-transfer is
//     resumed with a ranged GET pinned by If-Match to the first response's
//     ETag (at most 10 times per read). Size is HeadObject; NoSuchKey and
//     404 map to [ErrNotFound]; Delete is DeleteObject; List pages through
//     ListObjectsV2, whose UTF-8 binary order is byte-wise lexical order.
//   - OpenFile ([FileOpener]) takes the size and ETag from one HeadObject;
//     each ReadAt is one ranged GET for exactly the bytes asked, pinned to
//     that ETag, so the Parquet reader fetches footers and column chunks by
//     range and a replaced object fails the read instead of mixing versions.
//   - Retries: the SDK's standard retryer, configured on purpose: at most
//     10 attempts per request (MaxAttempts), exponential backoff with full
//     jitter from 50 ms capped at 5 s (MaxBackoff; throttling errors start
//     at 1 s), on 5xx, throttling codes (SlowDown, 429, ...), BadDigest,
//     connection errors, responses cut short and timeouts. A connection
//     that delivers no byte for 30 s (ReadTimeout, also the wait for
//     response headers) fails and is retried. The client-wide retry quota
//     is off: the caller's context bounds the retries instead, and ends
//     them at once when it is canceled.
//
// # Read cache
//
// [Cache] wraps any Bucket with a size-limited LRU cache of object blocks
// on local disk, for search workers that read Parquet files from a remote
// store (`openwit serve --cache-dir DIR --cache-size 10GiB`). Only reads
// through OpenFile are cached; Get, GetRange, Size and List pass through,
// and Put and Delete pass through and drop the key's cached blocks (as
// Forget does, which the cache role calls when a client reports a write
// that went to the object store directly).
//
//   - Objects are cut into blocks of BlockSize (1 MiB) bytes. A block is the
//     file DIR/<id[:2]>/<id>-<size>-<index>-<crc32c>, where id is the first
//     128 bits of SHA-256 of the key in hex, size the object's size and
//     crc32c the Castagnoli checksum of the block's bytes.
//   - OpenFile of an object with cached blocks needs no request: the size
//     is known from the blocks. A ReadAt serves cached blocks from disk and
//     fetches runs of missing blocks (up to 16) with one read of the
//     underlying object, stores them and returns the bytes; concurrent
//     readers of a block wait for one fetch.
//   - A block is written to a temporary file and renamed into place. A
//     block found on disk at startup has its checksum verified on its first
//     hit (the whole block is read once), and one that fails (a torn write
//     after a crash, a disk fault) is dropped and fetched again; after that,
//     and for blocks this process wrote, a hit reads only the bytes asked
//     for, so small reads (page headers, page indexes, 64 KiB buffers of a
//     selective read) cost what they read rather than a 1 MiB block each;
//     an opened object keeps the block files it read open (up to 32) for
//     its later reads, so a hit is one pread, as on a local file.
//     A block damaged on disk after its first check is not caught by the
//     cache (Parquet's own structure and page checks still apply).
//     Startup indexes the blocks in DIR (oldest modification first to
//     evict), removes temporary files, and drops every block of a key seen
//     with two sizes.
//   - When the blocks exceed MaxBytes, the least recently used are deleted.
//   - Safety rests on immutability: OpenWit writes each data file once under
//     a new key and never rewrites it, so bytes cached under (key, size)
//     stay correct for as long as the key exists. Overwrites through the
//     same Cache are handled (a generation per key stops a fetch that raced
//     with the Put from storing); an object overwritten by another process
//     with the same size would be served stale, which OpenWit never does.
//   - Metrics: openwit_objstore_cache_{hits,misses,evictions,corrupt}_total
//     (blocks), openwit_objstore_cache_{hit,miss}_bytes_total and
//     openwit_objstore_cache_bytes.
package objstore
