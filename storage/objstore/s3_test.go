package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"openwit/internal/tests3"
	"openwit/storage/objstore"
	"openwit/storage/objstore/objstoretest"
)

// testS3 opens an S3 bucket with small parts and pages, so the acceptance
// suite exercises multipart uploads (its 8 MiB object is two parts) and
// listing pagination.
func testS3(t testing.TB, srv *tests3.Server, endpoint, bucket, prefix string, edit func(*objstore.S3Config)) *objstore.S3 {
	t.Helper()
	cfg := srv.Config(endpoint, bucket, prefix)
	cfg.PartSize = objstore.MinS3PartSize
	cfg.ListPageSize = 3
	if edit != nil {
		edit(&cfg)
	}
	b, err := objstore.NewS3(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewS3: %v\n%s", err, srv.Log())
	}
	return b
}

func TestS3GofakesAcceptance(t *testing.T) {
	t.Parallel()
	srv := tests3.Gofakes3(t)
	bucket := srv.CreateBucket(t, "gofakes")
	t.Run("prefix", func(t *testing.T) {
		objstoretest.AcceptanceTest(t, testS3(t, srv, "", bucket, "tenant/a", nil))
	})
	t.Run("root", func(t *testing.T) {
		objstoretest.AcceptanceTest(t, testS3(t, srv, "", bucket, "", nil))
	})
}

func TestS3VersitygwAcceptance(t *testing.T) {
	t.Parallel()
	srv := tests3.Versitygw(t)
	bucket := srv.CreateBucket(t, "versity")
	objstoretest.AcceptanceTest(t, testS3(t, srv, "", bucket, "pfx", nil))
}

func TestParseS3URL(t *testing.T) {
	tests := []struct {
		url     string
		want    objstore.S3Config
		wantErr string
	}{
		{url: "s3://b", want: objstore.S3Config{Bucket: "b"}},
		{url: "s3://b/some/prefix/?region=eu-west-1", want: objstore.S3Config{Bucket: "b", Prefix: "some/prefix", Region: "eu-west-1"}},
		{url: "s3://b/p?endpoint=http://127.0.0.1:7070", want: objstore.S3Config{Bucket: "b", Prefix: "p",
			Endpoint: "http://127.0.0.1:7070", Region: "us-east-1", ForcePathStyle: true}},
		{url: "s3://b?force_path_style=true&region=r", want: objstore.S3Config{Bucket: "b", Region: "r", ForcePathStyle: true}},
		{url: "s3:///p", wantErr: "bucket name is empty"},
		{url: "s3://b?color=blue", wantErr: `unknown parameter "color"`},
		{url: "s3://b?force_path_style=maybe", wantErr: "force_path_style"},
		{url: "s3://b?endpoint=127.0.0.1:7070", wantErr: "not an http(s) URL"},
		{url: "s3://b/a/../c", wantErr: "invalid prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			got, err := objstore.ParseS3URL(tt.url)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Bucket != tt.want.Bucket || got.Prefix != tt.want.Prefix || got.Endpoint != tt.want.Endpoint ||
				got.Region != tt.want.Region || got.ForcePathStyle != tt.want.ForcePathStyle {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.PartSize != objstore.DefaultS3PartSize || got.MaxAttempts != objstore.DefaultS3MaxAttempts {
				t.Errorf("defaults not filled in: %+v", got)
			}
		})
	}
}

// TestOpenS3URL opens a bucket the way `openwit serve --object-store` does:
// URL plus credentials from the standard AWS environment variables.
func TestOpenS3URL(t *testing.T) {
	srv := tests3.Gofakes3(t)
	bucket := srv.CreateBucket(t, "byurl")
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	b, err := objstore.Open(t.Context(), srv.URL(bucket, "p"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(t.Context(), "k", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}
	// The prefix is a real key prefix in the bucket.
	out, err := srv.Client().HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("p/k")})
	if err != nil || aws.ToInt64(out.ContentLength) != 1 {
		t.Fatalf("HeadObject p/k: %v", err)
	}
	if _, err := objstore.Open(t.Context(), srv.URL("missing-bucket", "")); err == nil {
		t.Error("Open of a missing bucket succeeded")
	}
}

// TestS3OpenFile reads through the FileOpener capability and checks that a
// replaced object fails the reads of a file opened before (ETag pinning).
func TestS3OpenFile(t *testing.T) {
	t.Parallel()
	srv := tests3.Gofakes3(t)
	b := testS3(t, srv, "", srv.CreateBucket(t, "openfile"), "", nil)
	ctx := t.Context()
	data := bytes.Repeat([]byte("0123456789"), 10_000)
	if err := b.Put(ctx, "f", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	f, err := b.OpenFile(ctx, "f")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Size() != int64(len(data)) {
		t.Fatalf("Size = %d", f.Size())
	}
	p := make([]byte, 1000)
	if n, err := f.ReadAt(p, 55_555); err != nil || n != 1000 || !bytes.Equal(p, data[55_555:56_555]) {
		t.Fatalf("ReadAt = %d, %v", n, err)
	}
	if n, err := f.ReadAt(p, int64(len(data))-10); n != 10 || err != io.EOF {
		t.Fatalf("ReadAt at the tail = %d, %v; want 10, EOF", n, err)
	}
	other := bytes.Repeat([]byte("x"), len(data))
	if err := b.Put(ctx, "f", bytes.NewReader(other), int64(len(other))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadAt(p, 0); err == nil {
		t.Error("ReadAt of a replaced object succeeded; want a precondition failure")
	}
	if _, err := b.OpenFile(ctx, "missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("OpenFile(missing) error = %v, want ErrNotFound", err)
	}
}

// faultConfig keeps retries fast: stalls trip a short read timeout (still
// long enough for a 5 MiB part under the race detector).
func faultConfig(c *objstore.S3Config) {
	c.ReadTimeout = 5 * time.Second
	c.MaxBackoff = 200 * time.Millisecond
	c.MaxAttempts = 12
	c.ListPageSize = 7
}

var testFaults = tests3.Faults{Unavailable: 0.04, DropAfter: 0.025, DropBody: 0.025, Stall: 0.01, StallFor: 10 * time.Second, Seed: 7}

func TestS3FaultsGofakes(t *testing.T) {
	t.Parallel()
	srv := tests3.Gofakes3(t)
	testS3Faults(t, srv, srv.CreateBucket(t, "faults"))
}

func TestS3FaultsVersitygw(t *testing.T) {
	t.Parallel()
	srv := tests3.Versitygw(t)
	testS3Faults(t, srv, srv.CreateBucket(t, "faults"))
}

// testS3Faults runs a workload through a proxy that fails about 10% of the
// requests (503s, dropped connections, cut bodies, stalls): every Put, Get
// and List succeeds through retries, and the contents are byte-identical.
func testS3Faults(t *testing.T, srv *tests3.Server, bucket string) {
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, testFaults)
	b := testS3(t, srv, proxy.URL, bucket, "faults", faultConfig)
	ctx := t.Context()

	const n = 120
	datas := make(map[string][]byte, n)
	var keys []string
	for i := range n {
		k := fmt.Sprintf("obj/%03d", i)
		keys = append(keys, k)
		datas[k] = randomData(uint64(i), 1_000+i*1_700)
	}
	parallel(t, keys, func(k string) error {
		return b.Put(ctx, k, bytes.NewReader(datas[k]), int64(len(datas[k])))
	})
	parallel(t, keys, func(k string) error {
		rc, err := b.Get(ctx, k)
		if err != nil {
			return err
		}
		got, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", k, err)
		}
		if !bytes.Equal(got, datas[k]) {
			return fmt.Errorf("get %s: %d bytes differ from the %d written", k, len(got), len(datas[k]))
		}
		off := int64(len(got) / 3)
		rc, err = b.GetRange(ctx, k, off, 500)
		if err != nil {
			return err
		}
		got, err = io.ReadAll(rc)
		_ = rc.Close()
		if err != nil || !bytes.Equal(got, datas[k][off:off+500]) {
			return fmt.Errorf("get range of %s: %d bytes, %v", k, len(got), err)
		}
		return nil
	})
	for range 3 {
		var listed []string
		err := b.List(ctx, "obj/", func(k string, size int64) error {
			if size != int64(len(datas[k])) {
				return fmt.Errorf("list: %s has size %d, want %d", k, size, len(datas[k]))
			}
			listed = append(listed, k)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(listed, keys) {
			t.Fatalf("List returned %d keys, want %d in order", len(listed), len(keys))
		}
	}

	t.Run("multipart", func(t *testing.T) {
		// 3 parts of 5 MiB and a tail; readers poll the key meanwhile and
		// must never see a partial object.
		data := randomData(99, 3*objstore.MinS3PartSize+12345)
		key := "big/obj"
		done := make(chan struct{})
		var wg sync.WaitGroup
		var seenErr error
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				size, err := b.Size(ctx, key)
				if err == nil && size != int64(len(data)) {
					seenErr = fmt.Errorf("visible object of %d bytes during the upload", size)
					return
				}
				_ = b.List(ctx, "big/", func(k string, size int64) error {
					if size != int64(len(data)) {
						seenErr = fmt.Errorf("listed %s with %d bytes during the upload", k, size)
					}
					return nil
				})
			}
		})
		err := b.Put(ctx, key, bytes.NewReader(data), -1)
		close(done)
		wg.Wait()
		if err != nil {
			t.Fatalf("multipart Put through faults: %v", err)
		}
		if seenErr != nil {
			t.Fatal(seenErr)
		}
		rc, err := b.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("Get of the multipart object: %d bytes, %v", len(got), err)
		}

		// A multipart upload whose input fails after two parts leaves
		// nothing: no object and no open upload.
		errBoom := errors.New("source broke")
		src := io.MultiReader(bytes.NewReader(data[:2*objstore.MinS3PartSize+1]), errReader{errBoom})
		if err := b.Put(ctx, "big/failed", src, int64(len(data))); !errors.Is(err, errBoom) {
			t.Fatalf("Put with a failing reader: %v, want %v", err, errBoom)
		}
		if _, err := b.Size(ctx, "big/failed"); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Size after a failed multipart Put: %v, want ErrNotFound", err)
		}
		ups, err := srv.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range ups.Uploads {
			t.Errorf("multipart upload left open: %s", aws.ToString(u.Key))
		}
	})
	for _, k := range keys {
		if err := b.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("proxy: %d requests, %d 503s, %d dropped after forwarding, %d bodies cut, %d stalls",
		proxy.Requests.Load(), proxy.Unavailable.Load(), proxy.DropAfter.Load(), proxy.DropBody.Load(), proxy.Stalls.Load())
	for name, c := range map[string]int64{"503": proxy.Unavailable.Load(), "drop": proxy.DropAfter.Load(),
		"cut body": proxy.DropBody.Load(), "stall": proxy.Stalls.Load()} {
		if c == 0 {
			t.Errorf("no %s fault was injected: the test proves nothing about it", name)
		}
	}
}

// TestS3CompleteAnswerLost drops the answers to CreateMultipartUpload and
// CompleteMultipartUpload after the server acted on them: the orphan upload
// of the first creation is aborted, the retried completion finds no upload
// and Put sees from the object's ETag that its own upload completed.
func TestS3CompleteAnswerLost(t *testing.T) {
	t.Parallel()
	// gofakes3 answers the retried completion with NoSuchUpload (as S3
	// may); versitygw completes the same upload again.
	t.Run("gofakes3", func(t *testing.T) { testCompleteAnswerLost(t, tests3.Gofakes3(t)) })
	t.Run("versitygw", func(t *testing.T) { testCompleteAnswerLost(t, tests3.Versitygw(t)) })
}

func testCompleteAnswerLost(t *testing.T, srv *tests3.Server) {
	bucket := srv.CreateBucket(t, "lost")
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{})
	// Drop the first answers to CreateMultipartUpload (POST ?uploads: the
	// retry creates a second upload; the first must not linger) and to
	// CompleteMultipartUpload (POST ?uploadId=).
	var dropped, droppedCreate atomic.Bool
	proxy.DropAfterIf = func(r *http.Request) bool {
		if r.Method == http.MethodPost && r.URL.Query().Has("uploads") {
			return droppedCreate.CompareAndSwap(false, true)
		}
		return r.Method == http.MethodPost && r.URL.Query().Has("uploadId") && dropped.CompareAndSwap(false, true)
	}
	b := testS3(t, srv, proxy.URL, bucket, "", faultConfig)
	data := randomData(5, 2*objstore.MinS3PartSize+1)
	if err := b.Put(t.Context(), "obj", bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if !dropped.Load() || !droppedCreate.Load() || proxy.DropAfter.Load() != 2 {
		t.Fatal("the answers to the upload's creation and completion were not dropped")
	}
	ups, err := srv.Client().ListMultipartUploads(t.Context(), &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket)})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		t.Errorf("multipart upload left open: %s %s", aws.ToString(u.Key), aws.ToString(u.UploadId))
	}
	rc, err := b.Get(t.Context(), "obj")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %d bytes, %v", len(got), err)
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func randomData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

// parallel runs fn for every key on 8 goroutines and fails on the first
// error.
func parallel(t *testing.T, keys []string, fn func(string) error) {
	t.Helper()
	ch := make(chan string)
	errs := make(chan error, len(keys))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for k := range ch {
				if err := fn(k); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, k := range keys {
		ch <- k
	}
	close(ch)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestS3RetryLimits checks what ends the retries: the caller's context
// while the server keeps failing, and nothing at all for an error that is
// not transient (a wrong secret key is not retried).
func TestS3RetryLimits(t *testing.T) {
	t.Parallel()
	srv := tests3.Versitygw(t)
	bucket := srv.CreateBucket(t, "limits")
	proxy := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{})
	b := testS3(t, srv, proxy.URL, bucket, "", func(c *objstore.S3Config) { c.MaxAttempts = 1000 })

	t.Run("context ends retries", func(t *testing.T) {
		always := tests3.NewFaultProxy(t, srv.Endpoint, tests3.Faults{Unavailable: 1})
		cfg := srv.Config(always.URL, bucket, "")
		cfg.MaxAttempts = 1000
		always.Enabled.Store(false) // let NewS3's HeadBucket through
		failing, err := objstore.NewS3(t.Context(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		always.Enabled.Store(true)
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		err = failing.Put(ctx, "k", strings.NewReader("v"), 1)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Put against a server that always fails: %v, want the context's deadline", err)
		}
		if n := always.Unavailable.Load(); n < 2 {
			t.Errorf("%d attempts before the deadline, want retries", n)
		}
	})
	t.Run("access denied is not retried", func(t *testing.T) {
		before := proxy.Requests.Load()
		cfg := srv.Config(proxy.URL, bucket, "")
		cfg.Credentials = (&tests3.Server{AccessKey: srv.AccessKey, SecretKey: "wrong"}).Credentials()
		cfg.MaxAttempts = 1000
		if _, err := objstore.NewS3(t.Context(), cfg); err == nil {
			t.Fatal("NewS3 with a wrong secret key succeeded")
		}
		if n := proxy.Requests.Load() - before; n != 1 {
			t.Errorf("a request with a wrong secret key was sent %d times, want 1", n)
		}
	})
	if err := b.Put(t.Context(), "ok", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}
}
