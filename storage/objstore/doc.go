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
// root can reach files outside it.
package objstore
