package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// ReaderAt reads one object through io.ReaderAt, the access Parquet readers
// need; wrap it with io.NewSectionReader(ra, 0, ra.Size()) where a Seeker is
// also wanted. Each ReadAt is one GetRange call. The object's size is taken
// once, when the ReaderAt is made, so the object must not be replaced while
// it is read (OpenWit's data files are immutable). ReadAt is safe for
// concurrent use.
//
// A ReaderAt keeps the context it was made with and uses it for every read,
// because io.ReaderAt has no context parameter: it is meant to live no
// longer than one query or task.
type ReaderAt struct {
	ctx    context.Context
	bucket Bucket
	key    string
	size   int64
}

var _ io.ReaderAt = (*ReaderAt)(nil)

// NewReaderAt returns a ReaderAt over the object key in b. It fails with
// ErrNotFound when the object does not exist.
func NewReaderAt(ctx context.Context, b Bucket, key string) (*ReaderAt, error) {
	size, err := b.Size(ctx, key)
	if err != nil {
		return nil, err
	}
	return &ReaderAt{ctx: ctx, bucket: b, key: key, size: size}, nil
}

// Size returns the size of the object in bytes.
func (r *ReaderAt) Size() int64 { return r.size }

// Key returns the key of the object being read.
func (r *ReaderAt) Key() string { return r.key }

// ReadAt implements io.ReaderAt. It returns io.EOF only when fewer than
// len(p) bytes remain at off.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	want, done, err := readSpan(r.key, r.size, len(p), off)
	if done {
		return 0, err
	}
	if want == 0 {
		return 0, nil
	}
	rc, err := r.bucket.GetRange(r.ctx, r.key, off, want)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(rc, p[:want])
	cerr := rc.Close()
	if err != nil {
		if errors.Is(err, io.EOF) {
			// The object is shorter than when the reader was made.
			err = io.ErrUnexpectedEOF
		}
		return n, fmt.Errorf("read %q at %d: %w", r.key, off, err)
	}
	if cerr != nil {
		return n, fmt.Errorf("read %q at %d: close: %w", r.key, off, cerr)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

// readSpan checks an io.ReaderAt request of n bytes at off against an
// object of size bytes. It returns how many bytes to read, or done with
// the error ReadAt returns at once (a negative offset; io.EOF at or past
// the end, except for an empty read exactly at the end).
func readSpan(key string, size int64, n int, off int64) (want int64, done bool, err error) {
	switch {
	case off < 0:
		return 0, true, fmt.Errorf("read %q at %d: %w", key, off, ErrInvalidRange)
	case off > size || off == size && n > 0:
		return 0, true, io.EOF
	}
	return min(int64(n), size-off), false, nil
}

// OpenObject opens key in b for reads: through b's [FileOpener] capability when
// it has one (a local file; the read cache, which then serves the reads
// from its blocks), else as a [ReaderAt]. Every reader of data files on
// the search path opens them with OpenObject, so that none bypasses the cache.
// The caller closes the file.
func OpenObject(ctx context.Context, b Bucket, key string) (File, error) {
	if fo, ok := b.(FileOpener); ok {
		return fo.OpenFile(ctx, key)
	}
	r, err := NewReaderAt(ctx, b, key)
	if err != nil {
		return nil, err
	}
	return readerAtFile{r}, nil
}
