package objstore_test

import (
	"bytes"
	"io"
	"testing"

	"openwit/internal/tests3"
	"openwit/storage/objstore"
)

// BenchmarkS3Versitygw measures Put (multipart at 16 MiB parts) and reads
// of a 64 MiB object on a local versitygw: whole Get, 1 MiB ReadAt through
// OpenFile, and the same through a warm Cache.
func BenchmarkS3Versitygw(b *testing.B) {
	srv := tests3.Versitygw(b)
	bucket := srv.CreateBucket(b, "bench")
	s3b, err := objstore.NewS3(b.Context(), srv.Config("", bucket, ""))
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	data := randomData(1, size)
	b.Run("Put", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			if err := s3b.Put(b.Context(), "obj", bytes.NewReader(data), size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Get", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			rc, err := s3b.Get(b.Context(), "obj")
			if err != nil {
				b.Fatal(err)
			}
			if n, err := io.Copy(io.Discard, rc); err != nil || n != size {
				b.Fatal(n, err)
			}
			rc.Close()
		}
	})
	readAt := func(b *testing.B, fo objstore.FileOpener) {
		b.SetBytes(size)
		p := make([]byte, 1<<20)
		for b.Loop() {
			f, err := fo.OpenFile(b.Context(), "obj")
			if err != nil {
				b.Fatal(err)
			}
			for off := int64(0); off < size; off += int64(len(p)) {
				if _, err := f.ReadAt(p, off); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	}
	b.Run("ReadAt1MiB", func(b *testing.B) { readAt(b, s3b) })
	c, err := objstore.Cached(s3b, b.TempDir(), 1<<30)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("CachedReadAt1MiB", func(b *testing.B) { readAt(b, c) })
}
