package objstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Local is a [Bucket] kept in a directory of the local file system. The
// layout is described in the package documentation.
type Local struct {
	dir  string
	root *os.Root
}

var _ Bucket = (*Local)(nil)

// putAttempts bounds how often Put recreates an object's directory that a
// concurrent Delete removed as empty.
const putAttempts = 64

// NewLocal opens a bucket rooted at dir, creating the directory when it is
// missing. Close releases the directory handle.
func NewLocal(dir string) (*Local, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open local bucket %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("open local bucket %q: %w", dir, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open local bucket %q: %w", dir, err)
	}
	return &Local{dir: abs, root: root}, nil
}

// Dir returns the absolute path of the bucket's root directory.
func (l *Local) Dir() string { return l.dir }

// Close releases the handle on the root directory. The bucket must not be
// used afterwards.
func (l *Local) Close() error { return l.root.Close() }

// Put implements [Bucket.Put]: it writes a temporary file next to the object,
// fsyncs it, renames it into place and fsyncs the directory.
func (l *Local) Put(ctx context.Context, key string, r io.Reader, size int64) (err error) {
	if err := CheckKey(key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("put %q: invalid size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	dir := path.Dir(key)
	f, tmp, err := l.createTemp(dir)
	if err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	closed := false
	defer func() {
		if err == nil {
			return
		}
		if !closed {
			_ = f.Close()
		}
		_ = l.root.Remove(tmp)
	}()

	src := io.Reader(ctxReader{ctx: ctx, r: r})
	if size >= 0 {
		// Read one byte past size so that a longer input is noticed.
		src = io.LimitReader(src, size+1)
	}
	n, err := io.Copy(f, src)
	if err != nil {
		return fmt.Errorf("put %q: write: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("put %q: input has %s bytes, want %d", key, countString(n, size), size)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("put %q: sync: %w", key, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fmt.Errorf("put %q: close: %w", key, err)
	}
	if err := l.root.Rename(tmp, key); err != nil {
		return fmt.Errorf("put %q: rename: %w", key, err)
	}
	if err := l.syncDir(dir); err != nil {
		// The object is in place; only its durability is in doubt.
		return fmt.Errorf("put %q: sync directory: %w", key, err)
	}
	return nil
}

func countString(n, size int64) string {
	if n > size {
		return fmt.Sprintf("more than %d", size)
	}
	return fmt.Sprint(n)
}

// createTemp creates a new temporary file in dir, creating dir first. A
// concurrent Delete may remove dir between the two steps, so it retries.
func (l *Local) createTemp(dir string) (*os.File, string, error) {
	var last error
	for range putAttempts {
		if dir != "." {
			if err := l.root.MkdirAll(dir, 0o750); err != nil {
				// MkdirAll fails with "exists" or "not found" when another
				// goroutine creates or removes the same directories.
				if !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrNotExist) {
					return nil, "", fmt.Errorf("create directory: %w", err)
				}
				last = err
				continue
			}
		}
		name := path.Join(dir, tempPrefix+randomSuffix())
		f, err := l.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			return f, name, nil
		}
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("create temporary file: %w", err)
		}
		last = err
	}
	return nil, "", fmt.Errorf("create object directory or temporary file: %d attempts failed: %w", putAttempts, last)
}

func randomSuffix() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

func (l *Local) syncDir(dir string) error {
	d, err := l.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// openObject opens the regular file behind key and returns it with its size.
func (l *Local) openObject(op, key string) (*os.File, int64, error) {
	if err := CheckKey(key); err != nil {
		return nil, 0, err
	}
	f, err := l.root.Open(key)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %q: %w", op, key, mapNotFound(err))
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("%s %q: %w", op, key, err)
	}
	if !fi.Mode().IsRegular() {
		_ = f.Close()
		return nil, 0, fmt.Errorf("%s %q: %w", op, key, ErrNotFound)
	}
	return f, fi.Size(), nil
}

// Get implements [Bucket.Get].
func (l *Local) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	f, _, err := l.openObject("get", key)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// GetRange implements [Bucket.GetRange].
func (l *Local) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("get %q: %w", key, err)
	}
	if off < 0 || length < -1 {
		if err := CheckKey(key); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("get %q range off=%d length=%d: %w", key, off, length, ErrInvalidRange)
	}
	f, size, err := l.openObject("get", key)
	if err != nil {
		return nil, err
	}
	if off > size {
		_ = f.Close()
		return nil, fmt.Errorf("get %q range off=%d beyond size %d: %w", key, off, size, ErrInvalidRange)
	}
	n := size - off
	if length >= 0 && length < n {
		n = length
	}
	return sectionReadCloser{SectionReader: io.NewSectionReader(f, off, n), f: f}, nil
}

type sectionReadCloser struct {
	*io.SectionReader
	f *os.File
}

func (s sectionReadCloser) Close() error { return s.f.Close() }

// Size implements [Bucket.Size].
func (l *Local) Size(ctx context.Context, key string) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("size %q: %w", key, err)
	}
	fi, err := l.root.Stat(key)
	if err != nil {
		return 0, fmt.Errorf("size %q: %w", key, mapNotFound(err))
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("size %q: %w", key, ErrNotFound)
	}
	return fi.Size(), nil
}

// Delete implements [Bucket.Delete]. It also removes the directories the
// deletion leaves empty.
func (l *Local) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("delete %q: %w", key, err)
	}
	fi, err := l.root.Lstat(key)
	if err != nil {
		if errors.Is(mapNotFound(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	if fi.IsDir() {
		return nil // a directory is not an object
	}
	if err := l.root.Remove(key); err != nil {
		if errors.Is(mapNotFound(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("delete %q: %w", key, err)
	}
	// Best effort: remove parents that are now empty. Remove refuses
	// non-empty directories, which ends the climb.
	for dir := path.Dir(key); dir != "."; dir = path.Dir(dir) {
		if l.root.Remove(dir) != nil {
			break
		}
	}
	return nil
}

// List implements [Bucket.List].
func (l *Local) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i > 0 {
		start = prefix[:i]
		if keyProblem(start) != "" {
			return nil // no valid key can start with prefix
		}
	}
	return l.walk(ctx, start, prefix, fn)
}

type listEntry struct {
	name    string
	sortKey string // name, plus "/" for directories: the order of the keys below
	entry   fs.DirEntry
}

func (l *Local) walk(ctx context.Context, dir, prefix string, fn func(string, int64) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	d, err := l.root.Open(dir)
	if err != nil {
		if errors.Is(mapNotFound(err), ErrNotFound) {
			return nil // removed by a concurrent Delete, or never there
		}
		return fmt.Errorf("list %q: %w", prefix, err)
	}
	dirEntries, err := d.ReadDir(-1)
	_ = d.Close()
	if err != nil {
		if errors.Is(mapNotFound(err), ErrNotFound) {
			return nil
		}
		return fmt.Errorf("list %q: read directory %q: %w", prefix, dir, err)
	}
	entries := make([]listEntry, 0, len(dirEntries))
	for _, e := range dirEntries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tempPrefix):
			continue
		case e.IsDir():
			entries = append(entries, listEntry{name: name, sortKey: name + "/", entry: e})
		case e.Type().IsRegular():
			entries = append(entries, listEntry{name: name, sortKey: name, entry: e})
		}
	}
	slices.SortFunc(entries, func(a, b listEntry) int { return cmp.Compare(a.sortKey, b.sortKey) })

	for _, e := range entries {
		key := e.name
		if dir != "." {
			key = dir + "/" + e.name
		}
		if e.entry.IsDir() {
			sub := key + "/"
			if !strings.HasPrefix(sub, prefix) && !strings.HasPrefix(prefix, sub) {
				continue
			}
			if err := l.walk(ctx, key, prefix, fn); err != nil {
				return err
			}
			continue
		}
		if !strings.HasPrefix(key, prefix) {
			continue
		}
		info, err := e.entry.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted since ReadDir
			}
			return fmt.Errorf("list %q: stat %q: %w", prefix, key, err)
		}
		if err := fn(key, info.Size()); err != nil {
			return err
		}
	}
	return nil
}

// mapNotFound turns the file system's "no such file" errors, including a
// path element that is a regular file, into ErrNotFound.
func mapNotFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return ErrNotFound
	}
	return err
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// File is an open object for random reads: what FileOpener returns.
type File interface {
	io.ReaderAt
	io.Closer
	// Size is the object's size in bytes.
	Size() int64
}

// FileOpener is an optional Bucket capability: open an object once and
// read ranges of it without a request per read. Local implements it.
type FileOpener interface {
	OpenFile(ctx context.Context, key string) (File, error)
}

var _ FileOpener = (*Local)(nil)

type localFile struct {
	*os.File
	size int64
}

func (f localFile) Size() int64 { return f.size }

// OpenFile implements FileOpener. The object must not be replaced while it
// is open (data files are immutable).
func (l *Local) OpenFile(ctx context.Context, key string) (File, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open %q: %w", key, err)
	}
	f, size, err := l.openObject("open", key)
	if err != nil {
		return nil, err
	}
	return localFile{File: f, size: size}, nil
}
