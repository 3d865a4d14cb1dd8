// Package tests3 starts real S3-compatible servers for tests: gofakes3 with
// its in-memory backend inside the test process, and versitygw as a child
// process with a posix backend directory. Both listen on free loopback
// ports and stop when the test ends.
//
// versitygw is built with `go install github.com/versity/versitygw/cmd/
// versitygw@v1.8.0` into <user cache dir>/openwit/versitygw-v1.8.0 the first
// time it is needed (about a minute on two cores) and reused afterwards;
// $OPENWIT_VERSITYGW names a prebuilt binary instead. A failed build fails
// the test: it is never skipped.
package tests3

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"openwit/storage/objstore"
)

// VersitygwVersion is the versitygw release the tests run.
const VersitygwVersion = "v1.8.0"

// Region is the signing region of the test servers.
const Region = "us-east-1"

// Server is a running S3-compatible test server.
type Server struct {
	// Endpoint is the base URL, "http://127.0.0.1:PORT".
	Endpoint  string
	AccessKey string
	SecretKey string
	// Log returns what the server printed (empty for gofakes3).
	Log func() string
}

// Gofakes3 starts gofakes3 (in-memory, Content-MD5 checked) on a loopback
// port.
func Gofakes3(tb testing.TB) *Server {
	tb.Helper()
	faker := gofakes3.New(s3mem.New(), gofakes3.WithIntegrityCheck(true), gofakes3.WithLogger(gofakes3.DiscardLog()))
	ts := httptest.NewServer(faker.Server())
	tb.Cleanup(ts.Close)
	return &Server{Endpoint: ts.URL, AccessKey: "test-access", SecretKey: "test-secret", Log: func() string { return "" }}
}

var (
	buildMu  sync.Mutex
	builtBin string
)

// VersitygwBinary returns the path of a versitygw binary, building it when
// needed.
func VersitygwBinary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("OPENWIT_VERSITYGW"); p != "" {
		return p
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtBin != "" {
		return builtBin
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "openwit", "versitygw-"+VersitygwVersion)
	bin := filepath.Join(dir, "versitygw")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatalf("versitygw cache dir: %v", err)
	}
	// Test binaries of several packages may build at once: one at a time.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		tb.Fatalf("versitygw build lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		tb.Fatalf("versitygw build lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) //nolint:errcheck
	if _, err := os.Stat(bin); err != nil {
		start := time.Now()
		cmd := exec.Command("go", "install", "github.com/versity/versitygw/cmd/versitygw@"+VersitygwVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=-mod=mod", "CGO_ENABLED=0")
		cmd.Dir = dir // outside any module
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("build versitygw %s: %v\n%s", VersitygwVersion, err, out)
		}
		tb.Logf("built versitygw %s in %v", VersitygwVersion, time.Since(start).Round(time.Second))
	}
	builtBin = bin
	return bin
}

// Versitygw starts a versitygw server with a posix backend in a temporary
// directory. The root credentials reach it through its environment
// variables, not its command line.
func Versitygw(tb testing.TB) *Server {
	tb.Helper()
	bin := VersitygwBinary(tb)
	data := tb.TempDir()
	logPath := filepath.Join(tb.TempDir(), "versitygw.log")
	s := &Server{AccessKey: "openwit-root", SecretKey: "openwit-root-secret",
		Log: func() string { b, _ := os.ReadFile(logPath); return string(b) }}
	for attempt := 0; ; attempt++ {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(tb))
		logf, err := os.Create(logPath)
		if err != nil {
			tb.Fatal(err)
		}
		cmd := exec.Command(bin, "--port", addr, "--quiet", "posix", data)
		cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			tb.Fatalf("start versitygw: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait(); logf.Close() }()
		s.Endpoint = "http://" + addr
		if err := waitReady(s, exited); err != nil {
			_ = cmd.Process.Kill()
			<-exited
			if attempt < 3 {
				continue // most likely the port was taken meanwhile
			}
			tb.Fatalf("versitygw did not start: %v\n%s", err, s.Log())
		}
		tb.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		return s
	}
}

func waitReady(s *Server, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := s.Client()
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		default:
		}
		_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Credentials returns static credentials for the server's root user.
func (s *Server) Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, "")
}

// Client returns a plain SDK client of the server (no retries), for test
// setup and for looking behind the back of objstore.S3.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint), Region: Region, UsePathStyle: true,
		Credentials: s.Credentials(), RetryMaxAttempts: 1,
		HTTPClient: &http.Client{Timeout: 30 * time.Second},
	})
}

// CreateBucket creates a bucket and returns its name.
func (s *Server) CreateBucket(tb testing.TB, name string) string {
	tb.Helper()
	if _, err := s.Client().CreateBucket(tb.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("create bucket %q: %v\n%s", name, err, s.Log())
	}
	return name
}

// Config returns an objstore configuration for bucket/prefix on the server
// through endpoint (the server's own when empty, or a proxy's).
func (s *Server) Config(endpoint, bucket, prefix string) objstore.S3Config {
	if endpoint == "" {
		endpoint = s.Endpoint
	}
	return objstore.S3Config{Bucket: bucket, Prefix: prefix, Endpoint: endpoint, Region: Region, Credentials: s.Credentials()}
}

// URL returns the --object-store URL of bucket/prefix on the server.
func (s *Server) URL(bucket, prefix string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}}
	return fmt.Sprintf("s3://%s/%s?%s", bucket, prefix, q.Encode())
}

// Env returns the AWS environment variables that make the default
// credential chain find the server's root credentials.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey, "AWS_REGION=" + Region,
		"AWS_EC2_METADATA_DISABLED=true"}
}
