package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Bucket is a store of immutable objects addressed by keys. The rules every
// implementation follows are in the package documentation; all methods are
// safe for concurrent use.
type Bucket interface {
	// Put stores size bytes read from r under key, replacing any previous
	// object atomically. size -1 means the length is not known in advance.
	Put(ctx context.Context, key string, r io.Reader, size int64) error
	// Get returns a reader of the whole object. The caller closes it.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// GetRange returns a reader of length bytes starting at off (length -1:
	// to the end of the object). The caller closes it.
	GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)
	// Size returns the size of the object in bytes.
	Size(ctx context.Context, key string) (int64, error)
	// Delete removes the object. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn with the key and size of every object whose key starts
	// with prefix, in lexical key order. An error from fn stops the listing
	// and is returned unchanged.
	List(ctx context.Context, prefix string, fn func(key string, size int64) error) error
}

var (
	// ErrNotFound reports that no object exists under the key.
	ErrNotFound = errors.New("object not found")
	// ErrInvalidKey reports a key that breaks the key rules of the package
	// documentation.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrInvalidRange reports a GetRange offset or length that is out of
	// bounds.
	ErrInvalidRange = errors.New("invalid object range")
)

// MaxKeyLen is the longest valid key in bytes (the S3 limit).
const MaxKeyLen = 1024

// tempPrefix starts the names of files a backend writes before they become
// objects; no key element may start with it.
const tempPrefix = ".openwit-tmp-"

// CheckKey returns nil when key is a valid object key and an error wrapping
// ErrInvalidKey otherwise.
func CheckKey(key string) error {
	if reason := keyProblem(key); reason != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, reason)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyLen:
		return fmt.Sprintf("longer than %d bytes", MaxKeyLen)
	case strings.HasPrefix(key, "/"):
		return "absolute"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	case strings.ContainsRune(key, 0):
		return "contains a NUL byte"
	}
	for elem := range strings.SplitSeq(key, "/") {
		switch {
		case elem == "":
			return "empty path element"
		case elem == "." || elem == "..":
			return fmt.Sprintf("path element %q", elem)
		case strings.HasPrefix(elem, tempPrefix):
			return fmt.Sprintf("reserved prefix %q", tempPrefix)
		}
	}
	return ""
}

// Open returns the bucket that location names. A "file:///abs/dir" URL or a
// plain directory path opens a [Local] bucket in that directory, creating it
// when missing; an "s3://bucket/prefix?endpoint=URL&region=R" URL opens an
// [S3] bucket (see [ParseS3URL]). Other URL schemes fail.
func Open(ctx context.Context, location string) (Bucket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if location == "" {
		return nil, errors.New("open object store: empty location")
	}
	u, err := url.Parse(location)
	if err != nil || len(u.Scheme) < 2 {
		// Not a URL (a one-letter scheme is a Windows drive): a path.
		return NewLocal(location)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("open object store %q: file URL with host %q", location, u.Host)
		}
		if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
			return nil, fmt.Errorf("open object store %q: file URL needs an absolute path", location)
		}
		return NewLocal(u.Path)
	case "s3":
		cfg, err := ParseS3URL(location)
		if err != nil {
			return nil, err
		}
		return NewS3(ctx, cfg)
	default:
		return nil, fmt.Errorf("unsupported object store scheme %q", u.Scheme)
	}
}
