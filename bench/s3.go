package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The openwit-s3 engine is a second in-process OpenWit node whose object
// store is an S3-compatible server (a scratch versitygw, or --s3) with the
// local-disk read cache of a remote store (--cache-dir): its warm times
// next to the local-disk node's say what object storage costs once the
// cache holds the hot files (issue 8: within 1.3x).

// s3Region is the signing region of the scratch server.
const s3Region = "us-east-1"

// s3Server is a scratch versitygw (posix backend) on a loopback port.
type s3Server struct {
	endpoint string
	cmd      *exec.Cmd
	exited   chan error
	logPath  string
}

// Scratch credentials: the bench process passes them to the node through
// the AWS environment variables, as an operator would.
const (
	scratchAccessKey = "openwit-bench"
	scratchSecretKey = "openwit-bench-secret"
)

// startVersitygw starts bin with a posix backend in dir and creates bucket.
func startVersitygw(ctx context.Context, bin, dir, bucket string) (*s3Server, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("versitygw program: %w (build it: GOBIN=$PWD/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0)", err)
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	var lastErr error
	for range 3 { // a free port can be taken before versitygw binds it
		ports, err := freePorts(1)
		if err != nil {
			return nil, err
		}
		s := &s3Server{endpoint: fmt.Sprintf("http://127.0.0.1:%d", ports[0]), exited: make(chan error, 1),
			logPath: filepath.Join(dir, "versitygw.log")}
		logf, err := os.Create(s.logPath)
		if err != nil {
			return nil, err
		}
		s.cmd = exec.Command(bin, "--port", fmt.Sprintf("127.0.0.1:%d", ports[0]), "--quiet", "posix", data)
		s.cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+scratchAccessKey, "ROOT_SECRET_KEY="+scratchSecretKey)
		s.cmd.Stdout, s.cmd.Stderr = logf, logf
		if err := s.cmd.Start(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("start versitygw: %w", err)
		}
		go func() { s.exited <- s.cmd.Wait(); logf.Close() }()
		if lastErr = s.createBucket(ctx, bucket); lastErr == nil {
			return s, nil
		}
		s.stop()
	}
	return nil, fmt.Errorf("versitygw did not start: %w", lastErr)
}

func (s *s3Server) client() *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(s.endpoint), Region: s3Region, UsePathStyle: true,
		Credentials:      credentials.NewStaticCredentialsProvider(scratchAccessKey, scratchSecretKey, ""),
		RetryMaxAttempts: 1, HTTPClient: &http.Client{Timeout: 10 * time.Second},
	})
}

// createBucket waits until the server answers (30 s at most), then creates
// bucket.
func (s *s3Server) createBucket(ctx context.Context, bucket string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cl := s.client()
	for {
		_, err := cl.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		if err == nil {
			return nil
		}
		var op *net.OpError
		if !errors.As(err, &op) {
			b, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("create bucket: %w\n%s", err, b)
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			b, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("versitygw exited: %v\n%s", err, b)
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// s3StoreURL is the node's --object-store URL of bucket/prefix on the
// server at endpoint.
func s3StoreURL(endpoint, bucket, prefix string) string {
	q := url.Values{"endpoint": {endpoint}, "region": {s3Region}}
	return fmt.Sprintf("s3://%s/%s?%s", bucket, prefix, q.Encode())
}

func (s *s3Server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		s.exited <- err
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
	}
}

// setScratchCredentials points the AWS default credential chain of this
// process (which the in-process node uses) at the scratch server's root
// user.
func setScratchCredentials() {
	os.Setenv("AWS_ACCESS_KEY_ID", scratchAccessKey)
	os.Setenv("AWS_SECRET_ACCESS_KEY", scratchSecretKey)
	os.Unsetenv("AWS_SESSION_TOKEN")
	os.Setenv("AWS_REGION", s3Region)
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
