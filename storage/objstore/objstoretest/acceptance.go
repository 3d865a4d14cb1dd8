// Package objstoretest holds the acceptance suite that every
// [objstore.Bucket] implementation runs in its tests, so that all backends
// keep the contract written in package objstore's documentation.
package objstoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"openwit/storage/objstore"
)

// AcceptanceTest checks b against the Bucket contract. b must be empty when
// the suite starts; every subtest deletes the objects it wrote.
func AcceptanceTest(t *testing.T, b objstore.Bucket) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, objstore.Bucket)
	}{
		{"PutGet", testPutGet},
		{"EmptyObject", testEmptyObject},
		{"Overwrite", testOverwrite},
		{"GetRange", testGetRange},
		{"NotFound", testNotFound},
		{"DeleteIdempotent", testDeleteIdempotent},
		{"List", testList},
		{"ListStopsOnError", testListStopsOnError},
		{"InvalidKeys", testInvalidKeys},
		{"PutSizeMismatch", testPutSizeMismatch},
		{"PutReaderError", testPutReaderError},
		{"PutCanceled", testPutCanceled},
		{"ConcurrentPuts", testConcurrentPuts},
		{"AtomicOverwrite", testAtomicOverwrite},
		{"LargeObject", testLargeObject},
		{"ReaderAt", testReaderAt},
		{"FileOpener", testFileOpener},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, b) })
	}
}

// put stores data under key and deletes it when the test ends.
func put(t *testing.T, b objstore.Bucket, key string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), key, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	cleanup(t, b, key)
}

func cleanup(t *testing.T, b objstore.Bucket, key string) {
	t.Cleanup(func() {
		if err := b.Delete(context.Background(), key); err != nil {
			t.Errorf("cleanup Delete(%q): %v", key, err)
		}
	})
}

func get(t *testing.T, b objstore.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return readClose(t, rc)
}

func readClose(t *testing.T, rc io.ReadCloser) []byte {
	t.Helper()
	data, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("read object: %v", err)
	}
	return data
}

type listed struct {
	key  string
	size int64
}

func list(t *testing.T, b objstore.Bucket, prefix string) []listed {
	t.Helper()
	var out []listed
	err := b.List(t.Context(), prefix, func(key string, size int64) error {
		out = append(out, listed{key, size})
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return out
}

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	data := make([]byte, n)
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	return data
}

func assertNotFound(t *testing.T, b objstore.Bucket, key string) {
	t.Helper()
	ctx := t.Context()
	if rc, err := b.Get(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
		if err == nil {
			_ = rc.Close()
		}
		t.Errorf("Get(%q) error = %v, want ErrNotFound", key, err)
	}
	if rc, err := b.GetRange(ctx, key, 0, 1); !errors.Is(err, objstore.ErrNotFound) {
		if err == nil {
			_ = rc.Close()
		}
		t.Errorf("GetRange(%q) error = %v, want ErrNotFound", key, err)
	}
	if _, err := b.Size(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Size(%q) error = %v, want ErrNotFound", key, err)
	}
}

func testPutGet(t *testing.T, b objstore.Bucket) {
	key := "putget/tables/7/shard=3/00000001.parquet"
	data := []byte("hello, object store")
	put(t, b, key, data)
	if got := get(t, b, key); !bytes.Equal(got, data) {
		t.Errorf("Get = %q, want %q", got, data)
	}
	size, err := b.Size(t.Context(), key)
	if err != nil || size != int64(len(data)) {
		t.Errorf("Size = %d, %v; want %d", size, err, len(data))
	}
}

func testEmptyObject(t *testing.T, b objstore.Bucket) {
	key := "empty/zero"
	put(t, b, key, nil)
	if got := get(t, b, key); len(got) != 0 {
		t.Errorf("Get = %q, want empty", got)
	}
	if size, err := b.Size(t.Context(), key); err != nil || size != 0 {
		t.Errorf("Size = %d, %v; want 0", size, err)
	}
	rc, err := b.GetRange(t.Context(), key, 0, -1)
	if err != nil {
		t.Fatalf("GetRange(0, -1): %v", err)
	}
	if got := readClose(t, rc); len(got) != 0 {
		t.Errorf("GetRange(0, -1) = %q, want empty", got)
	}
	if got := list(t, b, "empty/"); !slices.Equal(got, []listed{{key, 0}}) {
		t.Errorf("List = %v, want [%s 0]", got, key)
	}
}

func testOverwrite(t *testing.T, b objstore.Bucket) {
	key := "overwrite/obj"
	put(t, b, key, []byte("the first, longer version"))
	put(t, b, key, []byte("second"))
	if got := get(t, b, key); string(got) != "second" {
		t.Errorf("Get = %q, want %q", got, "second")
	}
	if size, err := b.Size(t.Context(), key); err != nil || size != 6 {
		t.Errorf("Size = %d, %v; want 6", size, err)
	}
	if got := list(t, b, "overwrite/"); !slices.Equal(got, []listed{{key, 6}}) {
		t.Errorf("List = %v, want one object of 6 bytes", got)
	}
}

func testGetRange(t *testing.T, b objstore.Bucket) {
	key := "range/digits"
	put(t, b, key, []byte("0123456789"))
	tests := []struct {
		name        string
		off, length int64
		want        string
		wantErr     error
	}{
		{name: "whole to end", off: 0, length: -1, want: "0123456789"},
		{name: "whole exact", off: 0, length: 10, want: "0123456789"},
		{name: "middle", off: 3, length: 4, want: "3456"},
		{name: "last byte", off: 9, length: 1, want: "9"},
		{name: "tail to end", off: 6, length: -1, want: "6789"},
		{name: "length past end", off: 7, length: 100, want: "789"},
		{name: "zero length", off: 4, length: 0, want: ""},
		{name: "off at end", off: 10, length: -1, want: ""},
		{name: "off at end with length", off: 10, length: 5, want: ""},
		{name: "negative off", off: -1, length: 2, wantErr: objstore.ErrInvalidRange},
		{name: "negative length", off: 0, length: -2, wantErr: objstore.ErrInvalidRange},
		{name: "off beyond end", off: 11, length: 1, wantErr: objstore.ErrInvalidRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := b.GetRange(t.Context(), key, tt.off, tt.length)
			if tt.wantErr != nil {
				if err == nil {
					_ = rc.Close()
				}
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("GetRange(%d, %d) error = %v, want %v", tt.off, tt.length, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetRange(%d, %d): %v", tt.off, tt.length, err)
			}
			if got := string(readClose(t, rc)); got != tt.want {
				t.Errorf("GetRange(%d, %d) = %q, want %q", tt.off, tt.length, got, tt.want)
			}
		})
	}
}

func testNotFound(t *testing.T, b objstore.Bucket) {
	put(t, b, "notfound/dir/present", []byte("x"))
	for _, key := range []string{
		"notfound/never",
		"notfound/dir/absent",
		"notfound/dir",              // a prefix of an object is not an object
		"notfound/dir/present/more", // nothing lives below an object
	} {
		assertNotFound(t, b, key)
	}
}

func testDeleteIdempotent(t *testing.T, b objstore.Bucket) {
	ctx := t.Context()
	key := "delete/a/b/obj"
	put(t, b, key, []byte("data"))
	for i := range 2 {
		if err := b.Delete(ctx, key); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	assertNotFound(t, b, key)
	if got := list(t, b, "delete/"); len(got) != 0 {
		t.Errorf("List after Delete = %v, want nothing", got)
	}
	if err := b.Delete(ctx, "delete/never/existed"); err != nil {
		t.Errorf("Delete of a missing key: %v", err)
	}
	// The key can be written again after its directory-like prefix emptied.
	put(t, b, key, []byte("again"))
	if got := get(t, b, key); string(got) != "again" {
		t.Errorf("Get after re-Put = %q", got)
	}
}

func testList(t *testing.T, b objstore.Bucket) {
	// Keys whose order differs between a per-directory walk and plain byte
	// order: '.' (0x2e) and '-' (0x2d) sort before '/' (0x2f), '0' after it.
	keys := []string{
		"list/a/b", "list/a/c", "list/a.b", "list/a0", "list/ab",
		"list/b-", "list/b/x/y", "list/b/x/z", "list/c",
		"lisu", "list-other",
	}
	sizes := map[string]int64{}
	for i, k := range slices.Backward(keys) {
		data := bytes.Repeat([]byte{'x'}, i+1)
		put(t, b, k, data)
		sizes[k] = int64(len(data))
	}
	want := func(prefix string) []listed {
		var out []listed
		for _, k := range slices.Sorted(slices.Values(keys)) {
			if strings.HasPrefix(k, prefix) {
				out = append(out, listed{k, sizes[k]})
			}
		}
		return out
	}
	for _, prefix := range []string{
		"list/", "list", "list/a", "list/a/", "list/a/b", "list/b", "list/b/x/",
		"list/zzz", "list/b/x/y/", "list//", "/list", "../list", "lis",
	} {
		t.Run(fmt.Sprintf("prefix=%q", prefix), func(t *testing.T) {
			got := list(t, b, prefix)
			if w := want(prefix); !slices.Equal(got, w) {
				t.Errorf("List(%q) =\n%v\nwant\n%v", prefix, got, w)
			}
		})
	}
	t.Run("all", func(t *testing.T) {
		got := list(t, b, "")
		if !slices.IsSortedFunc(got, func(x, y listed) int { return strings.Compare(x.key, y.key) }) {
			t.Errorf("List(\"\") not in lexical order: %v", got)
		}
		var ours []listed
		for _, l := range got {
			if _, ok := sizes[l.key]; ok {
				ours = append(ours, l)
			}
		}
		if w := want(""); !slices.Equal(ours, w) {
			t.Errorf("List(\"\") has %v, want %v", ours, w)
		}
	})
	t.Run("after delete", func(t *testing.T) {
		if err := b.Delete(t.Context(), "list/a/b"); err != nil {
			t.Fatal(err)
		}
		got := list(t, b, "list/a/")
		if w := []listed{{"list/a/c", sizes["list/a/c"]}}; !slices.Equal(got, w) {
			t.Errorf("List after Delete = %v, want %v", got, w)
		}
	})
}

func testListStopsOnError(t *testing.T, b objstore.Bucket) {
	for _, k := range []string{"stop/1", "stop/2", "stop/3"} {
		put(t, b, k, []byte(k))
	}
	errStop := errors.New("stop here")
	var seen []string
	err := b.List(t.Context(), "stop/", func(key string, _ int64) error {
		seen = append(seen, key)
		if key == "stop/2" {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		t.Errorf("List error = %v, want the callback's error", err)
	}
	if !slices.Equal(seen, []string{"stop/1", "stop/2"}) {
		t.Errorf("List visited %v, want [stop/1 stop/2]", seen)
	}
}

func testInvalidKeys(t *testing.T, b objstore.Bucket) {
	ctx := t.Context()
	keys := []string{
		"", "/abs", "/", "a/../b", "..", "../escape", "a/..", ".", "./a", "a/./b",
		`a\b`, `..\..\x`, "a\x00b", "a//b", "a/", ".openwit-tmp-x", "a/.openwit-tmp-y",
		strings.Repeat("k", objstore.MaxKeyLen+1),
	}
	for _, key := range keys {
		t.Run(fmt.Sprintf("%q", key), func(t *testing.T) {
			errs := map[string]error{}
			errs["Put"] = b.Put(ctx, key, strings.NewReader("x"), 1)
			rc, err := b.Get(ctx, key)
			if err == nil {
				_ = rc.Close()
			}
			errs["Get"] = err
			rc, err = b.GetRange(ctx, key, 0, 1)
			if err == nil {
				_ = rc.Close()
			}
			errs["GetRange"] = err
			_, errs["Size"] = b.Size(ctx, key)
			errs["Delete"] = b.Delete(ctx, key)
			for op, err := range errs {
				if !errors.Is(err, objstore.ErrInvalidKey) {
					t.Errorf("%s error = %v, want ErrInvalidKey", op, err)
				}
			}
			if err := objstore.CheckKey(key); !errors.Is(err, objstore.ErrInvalidKey) {
				t.Errorf("CheckKey error = %v, want ErrInvalidKey", err)
			}
		})
	}
	if got := list(t, b, ""); len(got) != 0 {
		// The suite starts on an empty bucket and every other subtest
		// cleans up, so anything here came from an invalid Put.
		t.Errorf("objects after invalid Puts: %v", got)
	}
	for _, key := range []string{"a", "a..b/c", "x/.hidden", "tables/7/shard=3/f.parquet", "sp ace/é"} {
		if err := objstore.CheckKey(key); err != nil {
			t.Errorf("CheckKey(%q) = %v, want nil", key, err)
		}
	}
}

func testPutSizeMismatch(t *testing.T, b objstore.Bucket) {
	ctx := t.Context()
	key := "mismatch/obj"
	for _, tt := range []struct {
		name string
		data string
		size int64
	}{
		{"short input", "abc", 5},
		{"long input", "abcdef", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := b.Put(ctx, key, strings.NewReader(tt.data), tt.size); err == nil {
				cleanup(t, b, key)
				t.Fatalf("Put of %d bytes with size %d succeeded", len(tt.data), tt.size)
			}
			assertNotFound(t, b, key)
		})
	}
	t.Run("keeps previous", func(t *testing.T) {
		put(t, b, key, []byte("old"))
		if err := b.Put(ctx, key, strings.NewReader("new!"), 10); err == nil {
			t.Fatal("Put with wrong size succeeded")
		}
		if got := get(t, b, key); string(got) != "old" {
			t.Errorf("Get = %q, want the previous object", got)
		}
	})
	t.Run("unknown size", func(t *testing.T) {
		data := randomBytes(7, 100_000)
		if err := b.Put(ctx, "mismatch/unknown", io.MultiReader(bytes.NewReader(data)), -1); err != nil {
			t.Fatalf("Put with size -1: %v", err)
		}
		cleanup(t, b, "mismatch/unknown")
		if got := get(t, b, "mismatch/unknown"); !bytes.Equal(got, data) {
			t.Error("object written with size -1 differs")
		}
	})
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func testPutReaderError(t *testing.T, b objstore.Bucket) {
	key := "readerr/obj"
	put(t, b, key, []byte("original"))
	errRead := errors.New("disk on fire")
	data := randomBytes(3, 256<<10)
	err := b.Put(t.Context(), key, &failingReader{r: bytes.NewReader(data), err: errRead}, int64(len(data))+1)
	if err == nil {
		t.Fatal("Put succeeded although its reader failed")
	}
	if got := get(t, b, key); string(got) != "original" {
		t.Errorf("Get after failed Put = %d bytes, want the original object", len(got))
	}
	if got := list(t, b, "readerr/"); !slices.Equal(got, []listed{{key, 8}}) {
		t.Errorf("List after failed Put = %v", got)
	}
}

func testPutCanceled(t *testing.T, b objstore.Bucket) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	key := "canceled/obj"
	err := b.Put(ctx, key, strings.NewReader("data"), 4)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled context error = %v, want context.Canceled", err)
	}
	if err == nil {
		cleanup(t, b, key)
	}
	assertNotFound(t, b, key)
}

func testConcurrentPuts(t *testing.T, b objstore.Bucket) {
	const n = 16
	ctx := t.Context()
	keys := make([]string, n)
	datas := make([][]byte, n)
	for i := range n {
		// Half the keys share a directory-like prefix, half do not.
		keys[i] = fmt.Sprintf("concurrent/%d/obj-%02d", i%2, i)
		datas[i] = randomBytes(uint64(i), 10_000+i*997)
		cleanup(t, b, keys[i])
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = b.Put(ctx, keys[i], bytes.NewReader(datas[i]), int64(len(datas[i])))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put(%q): %v", keys[i], err)
		}
	}
	for i := range n {
		if got := get(t, b, keys[i]); !bytes.Equal(got, datas[i]) {
			t.Errorf("Get(%q) returned %d bytes that differ from the %d written", keys[i], len(got), len(datas[i]))
		}
	}
	if got := list(t, b, "concurrent/"); len(got) != n {
		t.Errorf("List found %d objects, want %d", len(got), n)
	}
}

// testAtomicOverwrite overwrites one key while readers read it: every read
// must return one whole version.
func testAtomicOverwrite(t *testing.T, b objstore.Bucket) {
	ctx := t.Context()
	key := "atomic/obj"
	versions := [][]byte{
		bytes.Repeat([]byte{'a'}, 64<<10),
		bytes.Repeat([]byte{'b'}, 96<<10),
	}
	put(t, b, key, versions[0])
	const writes, readers = 30, 4
	done := make(chan struct{})
	var wg sync.WaitGroup
	readErrs := make(chan error, readers)
	for range readers {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				rc, err := b.Get(ctx, key)
				if err != nil {
					readErrs <- fmt.Errorf("Get during overwrite: %w", err)
					return
				}
				data, err := io.ReadAll(rc)
				_ = rc.Close()
				if err != nil {
					readErrs <- fmt.Errorf("read during overwrite: %w", err)
					return
				}
				if !bytes.Equal(data, versions[0]) && !bytes.Equal(data, versions[1]) {
					readErrs <- fmt.Errorf("read a partial or mixed object of %d bytes", len(data))
					return
				}
			}
		})
	}
	for i := range writes {
		v := versions[(i+1)%2]
		if err := b.Put(ctx, key, bytes.NewReader(v), int64(len(v))); err != nil {
			t.Errorf("Put #%d: %v", i, err)
			break
		}
	}
	close(done)
	wg.Wait()
	close(readErrs)
	for err := range readErrs {
		t.Error(err)
	}
}

func testLargeObject(t *testing.T, b objstore.Bucket) {
	const size = 8 << 20
	key := "large/obj"
	data := randomBytes(42, size)
	put(t, b, key, data)
	if got := get(t, b, key); !bytes.Equal(got, data) {
		t.Fatalf("Get returned %d bytes that differ from the %d written", len(got), len(data))
	}
	if s, err := b.Size(t.Context(), key); err != nil || s != size {
		t.Errorf("Size = %d, %v; want %d", s, err, size)
	}
	for _, r := range []struct{ off, length int64 }{
		{0, 1}, {size/2 - 3, 1 << 20}, {size - 100, -1}, {size - 100, 1000}, {3 << 20, 4<<20 + 17},
	} {
		rc, err := b.GetRange(t.Context(), key, r.off, r.length)
		if err != nil {
			t.Fatalf("GetRange(%d, %d): %v", r.off, r.length, err)
		}
		end := int64(size)
		if r.length >= 0 {
			end = min(end, r.off+r.length)
		}
		if got := readClose(t, rc); !bytes.Equal(got, data[r.off:end]) {
			t.Errorf("GetRange(%d, %d) returned %d bytes that differ from the object", r.off, r.length, len(got))
		}
	}
}

func testReaderAt(t *testing.T, b objstore.Bucket) {
	key := "readerat/obj"
	data := randomBytes(5, 1<<20+123)
	put(t, b, key, data)
	ra, err := objstore.NewReaderAt(t.Context(), b, key)
	if err != nil {
		t.Fatal(err)
	}
	if ra.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", ra.Size(), len(data))
	}
	if _, err := objstore.NewReaderAt(t.Context(), b, "readerat/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("NewReaderAt of a missing key error = %v, want ErrNotFound", err)
	}
	size := int64(len(data))
	tests := []struct {
		name    string
		off     int64
		n       int
		wantN   int
		wantEOF bool
	}{
		{name: "start", off: 0, n: 100, wantN: 100},
		{name: "middle", off: 500_000, n: 70_000, wantN: 70_000},
		{name: "exactly to end", off: size - 10, n: 10, wantN: 10},
		{name: "past end", off: size - 10, n: 20, wantN: 10, wantEOF: true},
		{name: "at end", off: size, n: 5, wantN: 0, wantEOF: true},
		{name: "beyond end", off: size + 5, n: 5, wantN: 0, wantEOF: true},
		{name: "empty buffer", off: 3, n: 0, wantN: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := make([]byte, tt.n)
			n, err := ra.ReadAt(p, tt.off)
			if n != tt.wantN {
				t.Errorf("ReadAt n = %d, want %d", n, tt.wantN)
			}
			if tt.wantEOF != (err == io.EOF) || (!tt.wantEOF && err != nil) {
				t.Errorf("ReadAt error = %v, want EOF=%v", err, tt.wantEOF)
			}
			if n > 0 && !bytes.Equal(p[:n], data[tt.off:tt.off+int64(n)]) {
				t.Error("ReadAt returned wrong bytes")
			}
		})
	}
	if _, err := ra.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for g := range 8 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 1))
				p := make([]byte, 4096)
				for range 50 {
					off := r.Int64N(size - int64(len(p)))
					if _, err := ra.ReadAt(p, off); err != nil {
						errs <- err
						return
					}
					if !bytes.Equal(p, data[off:off+int64(len(p))]) {
						errs <- fmt.Errorf("wrong bytes at %d", off)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
	t.Run("section reader", func(t *testing.T) {
		got, err := io.ReadAll(io.NewSectionReader(ra, 0, ra.Size()))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("reading through io.SectionReader: %d bytes, %v", len(got), err)
		}
	})
}

// testFileOpener checks the FileOpener capability: random reads of an
// opened object, a missing key, and a reopen after an overwrite. Every
// backend the executor reads through implements it (Local, S3, Cache).
func testFileOpener(t *testing.T, b objstore.Bucket) {
	fo, ok := b.(objstore.FileOpener)
	if !ok {
		t.Fatalf("%T does not implement FileOpener, which the executor's scans use", b)
	}
	ctx := t.Context()
	key := "fileopener/obj"
	data := randomBytes(11, 3<<20+4321)
	put(t, b, key, data)
	if _, err := fo.OpenFile(ctx, "fileopener/missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("OpenFile of a missing key error = %v, want ErrNotFound", err)
	}
	check := func(want []byte) {
		t.Helper()
		f, err := fo.OpenFile(ctx, key)
		if err != nil {
			t.Fatalf("OpenFile: %v", err)
		}
		defer f.Close()
		if f.Size() != int64(len(want)) {
			t.Fatalf("Size = %d, want %d", f.Size(), len(want))
		}
		size := int64(len(want))
		r := rand.New(rand.NewPCG(uint64(len(want)), 2))
		for i := range 40 {
			off := r.Int64N(size)
			p := make([]byte, r.IntN(300_000)+1)
			if i == 0 {
				off, p = size-8, make([]byte, 8) // a Parquet footer read
			}
			n, err := f.ReadAt(p, off)
			wantN := min(int64(len(p)), size-off)
			if int64(n) != wantN || (err != nil && !(err == io.EOF && wantN < int64(len(p)))) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", len(p), off, n, err, wantN)
			}
			if !bytes.Equal(p[:n], want[off:off+int64(n)]) {
				t.Fatalf("ReadAt(%d bytes at %d) returned wrong bytes", len(p), off)
			}
		}
		got, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("reading the whole file: %d bytes, %v", len(got), err)
		}
	}
	check(data)
	check(data) // a second open, e.g. from a cache
	other := randomBytes(12, 2<<20+99)
	put(t, b, key, other)
	check(other)
}
