package objstore

import (
	"bytes"
	"context"
	"crypto/md5" //nolint:gosec // Content-MD5 is the S3 integrity header, not a security hash.
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// Defaults of [S3Config]; the package documentation explains each choice.
const (
	DefaultS3PartSize     = 16 << 20
	DefaultS3MaxAttempts  = 10
	DefaultS3MaxBackoff   = 5 * time.Second
	DefaultS3ReadTimeout  = 30 * time.Second
	DefaultS3ListPageSize = 1000
	// DefaultS3UploadConcurrency is the number of parts of one multipart
	// upload in flight at once.
	DefaultS3UploadConcurrency = 4
	// MinS3PartSize is the smallest part S3 accepts in a multipart upload
	// (all parts but the last).
	MinS3PartSize = 5 << 20
	// s3BodyResumes bounds how often one Get reopens a response body that
	// broke mid-transfer.
	s3BodyResumes = 10
)

// S3Config configures an [S3] bucket. Bucket is required; zero values of the
// other fields mean the defaults.
type S3Config struct {
	// Bucket is the S3 bucket name.
	Bucket string
	// Prefix is prepended, with a "/", to every key ("" for none).
	Prefix string
	// Endpoint is the base URL of an S3-compatible server
	// ("http://127.0.0.1:7070"); empty means AWS, with the endpoint chosen
	// by region.
	Endpoint string
	// Region is the signing region. Empty: the default AWS configuration
	// (AWS_REGION, shared config), or "us-east-1" when Endpoint is set.
	Region string
	// ForcePathStyle addresses the bucket as a path element instead of a
	// host name. It is always on when Endpoint is set.
	ForcePathStyle bool
	// Credentials overrides the default AWS credential chain (environment
	// variables, shared config and credentials files, instance roles).
	Credentials aws.CredentialsProvider
	// PartSize is the size of a multipart upload part and the largest
	// object written with a single PutObject (at least MinS3PartSize).
	PartSize int64
	// UploadConcurrency is the number of parts of one multipart upload
	// sent at once (each holds a PartSize buffer).
	UploadConcurrency int
	// MaxAttempts bounds the attempts of one request (first try included).
	MaxAttempts int
	// MaxBackoff caps the delay between two attempts.
	MaxBackoff time.Duration
	// ReadTimeout fails a connection that delivers no byte for this long,
	// so a stalled server is retried instead of waited on forever.
	ReadTimeout time.Duration
	// ListPageSize is the number of keys asked for per ListObjectsV2 page.
	ListPageSize int32
	// Logger receives the SDK's warnings (nil: slog.Default()).
	Logger *slog.Logger
}

// Validate checks the configuration and fills in defaults.
func (c *S3Config) Validate() error {
	if c.Bucket == "" {
		return errors.New("s3: bucket name is empty")
	}
	c.Prefix = strings.Trim(c.Prefix, "/")
	if c.Prefix != "" {
		if p := keyProblem(c.Prefix); p != "" {
			return fmt.Errorf("s3: invalid prefix %q: %s", c.Prefix, p)
		}
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("s3: endpoint %q is not an http(s) URL", c.Endpoint)
		}
		c.ForcePathStyle = true
		if c.Region == "" {
			c.Region = "us-east-1"
		}
	}
	switch {
	case c.PartSize == 0:
		c.PartSize = DefaultS3PartSize
	case c.PartSize < MinS3PartSize:
		return fmt.Errorf("s3: part size %d below the minimum %d", c.PartSize, MinS3PartSize)
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultS3MaxAttempts
	}
	if c.UploadConcurrency <= 0 {
		c.UploadConcurrency = DefaultS3UploadConcurrency
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultS3MaxBackoff
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultS3ReadTimeout
	}
	if c.ListPageSize <= 0 {
		c.ListPageSize = DefaultS3ListPageSize
	}
	return nil
}

// ParseS3URL turns "s3://bucket/prefix?endpoint=URL&region=R&
// force_path_style=true" into a configuration.
func ParseS3URL(location string) (S3Config, error) {
	u, err := url.Parse(location)
	if err != nil {
		return S3Config{}, fmt.Errorf("parse s3 url: %w", err)
	}
	if u.Scheme != "s3" {
		return S3Config{}, fmt.Errorf("parse s3 url %q: scheme is not s3", location)
	}
	cfg := S3Config{Bucket: u.Host, Prefix: u.Path}
	for name, vals := range u.Query() {
		v := vals[len(vals)-1]
		switch name {
		case "endpoint":
			cfg.Endpoint = v
		case "region":
			cfg.Region = v
		case "force_path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return S3Config{}, fmt.Errorf("parse s3 url: force_path_style=%q: %w", v, err)
			}
			cfg.ForcePathStyle = b
		default:
			return S3Config{}, fmt.Errorf("parse s3 url: unknown parameter %q", name)
		}
	}
	if err := cfg.Validate(); err != nil {
		return S3Config{}, err
	}
	return cfg, nil
}

// sdkLogger passes the SDK's log lines to slog.
type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	log := l.log
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "s3 client", "detail", fmt.Sprintf(format, v...))
}

// S3 is a [Bucket] in an S3 or S3-compatible object store. The package
// documentation describes its upload, retry and checksum behaviour.
type S3 struct {
	cfg    S3Config
	client *s3.Client
}

var (
	_ Bucket     = (*S3)(nil)
	_ FileOpener = (*S3)(nil)
)

// NewS3 connects to the bucket cfg names and checks that it exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().
			WithReadTimeout(cfg.ReadTimeout).
			WithTransportOptions(func(t *http.Transport) { t.ResponseHeaderTimeout = cfg.ReadTimeout })),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = cfg.MaxAttempts
				o.MaxBackoff = cfg.MaxBackoff
				// The caller's context bounds the retries; a client-wide
				// retry quota would fail healthy requests after a burst.
				o.RateLimiter = ratelimit.None
				o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
					"BadDigest": {}, "InternalError": {}, "ServiceUnavailable": {}, "SlowDown": {},
				}}, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
					// A response cut short (a dropped connection while
					// the SDK decodes an XML body) is as transient as a
					// refused one.
					if errors.Is(err, io.ErrUnexpectedEOF) {
						return aws.TrueTernary
					}
					return aws.UnknownTernary
				}))
			})
		}),
		// Content-MD5 protects uploads (see the package documentation);
		// the SDK adds no second request checksum.
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithLogger(sdkLogger{cfg.Logger}),
	}
	if cfg.Region != "" {
		opts = append(opts, config.WithRegion(cfg.Region))
	}
	if cfg.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(cfg.Credentials))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("open s3 bucket %q: load aws config: %w", cfg.Bucket, err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("open s3 bucket %q: no region: set region= in the URL or AWS_REGION", cfg.Bucket)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.ForcePathStyle
		// Ranged and multipart GETs carry no full-object checksum; that
		// is expected, not worth a log line per read.
		o.DisableLogOutputChecksumValidationSkipped = true
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	b := &S3{cfg: cfg, client: client}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.Bucket)}); err != nil {
		return nil, fmt.Errorf("open s3 bucket %q: %w", cfg.Bucket, err)
	}
	return b, nil
}

// Config returns the validated configuration of the bucket.
func (b *S3) Config() S3Config { return b.cfg }

func (b *S3) objectKey(key string) string {
	if b.cfg.Prefix == "" {
		return key
	}
	return b.cfg.Prefix + "/" + key
}

// mapS3Error wraps err with the operation and key, and adds ErrNotFound or
// ErrInvalidRange where the response says so.
func mapS3Error(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchBucket" {
		return fmt.Errorf("%s %q: %w", op, key, err)
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return fmt.Errorf("%s %q: %w: %w", op, key, ErrNotFound, err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch re.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("%s %q: %w: %w", op, key, ErrNotFound, err)
		case http.StatusRequestedRangeNotSatisfiable:
			return fmt.Errorf("%s %q: %w: %w", op, key, ErrInvalidRange, err)
		}
	}
	return fmt.Errorf("%s %q: %w", op, key, err)
}

// Put implements [Bucket.Put]. Objects up to PartSize bytes go up in one
// PutObject; larger ones, and ones of unknown size that turn out larger, in
// a multipart upload that is aborted on any failure.
func (b *S3) Put(ctx context.Context, key string, r io.Reader, size int64) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if size < -1 {
		return fmt.Errorf("put %q: invalid size %d", key, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	src := io.Reader(ctxReader{ctx: ctx, r: r})
	if size >= 0 {
		// One byte past size, so that a longer input is noticed.
		src = io.LimitReader(src, size+1)
	}
	first, err := readPart(src, b.cfg.PartSize, size)
	if err != nil {
		return fmt.Errorf("put %q: read: %w", key, err)
	}
	if int64(len(first)) == b.cfg.PartSize {
		// There may be more: look one byte ahead.
		var one [1]byte
		n, err := io.ReadFull(src, one[:])
		if err != nil && err != io.EOF {
			return fmt.Errorf("put %q: read: %w", key, err)
		}
		if n > 0 {
			return b.putMultipart(ctx, key, first, io.MultiReader(bytes.NewReader(one[:]), src), size)
		}
	}
	if n := int64(len(first)); size >= 0 && n != size {
		return fmt.Errorf("put %q: input has %s bytes, want %d", key, countString(n, size), size)
	}
	return b.putSingle(ctx, key, first)
}

// readPart reads up to n bytes; a short read at the end of r is not an
// error. hint is the expected length (-1: unknown).
func readPart(r io.Reader, n, hint int64) ([]byte, error) {
	if hint < 0 || hint > n {
		hint = n
	}
	buf := bytes.NewBuffer(make([]byte, 0, hint+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, n))
	return buf.Bytes(), err
}

func contentMD5(data []byte) *string {
	sum := md5.Sum(data) //nolint:gosec // integrity, not security
	return aws.String(base64.StdEncoding.EncodeToString(sum[:]))
}

// multipartETag is the ETag S3 gives a completed multipart upload: the MD5
// of the parts' MD5s, a dash and the number of parts.
func multipartETag(partMD5s []byte, parts int) string {
	sum := md5.Sum(partMD5s) //nolint:gosec // integrity, not security
	return fmt.Sprintf("\"%s-%d\"", hex.EncodeToString(sum[:]), parts)
}

func (b *S3) putSingle(ctx context.Context, key string, data []byte) error {
	_, err := b.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(b.cfg.Bucket),
		Key:           aws.String(b.objectKey(key)),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
		ContentMD5:    contentMD5(data),
	})
	if err != nil {
		return mapS3Error("put", key, err)
	}
	return nil
}

// putMultipart uploads first and the rest of src as a multipart upload;
// any failure aborts the upload, so no partial object becomes visible.
func (b *S3) putMultipart(ctx context.Context, key string, first []byte, src io.Reader, size int64) (err error) {
	okey := b.objectKey(key)
	start := time.Now()
	created, err := b.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(okey),
	})
	if err != nil {
		return mapS3Error("put", key, err)
	}
	uploadID := created.UploadId
	if res, ok := retry.GetAttemptResults(created.ResultMetadata); ok && len(res.Results) > 1 {
		// An earlier attempt may have created an upload whose answer was
		// lost: nothing would ever complete or abort it.
		b.abortOrphans(ctx, okey, aws.ToString(uploadID), time.Since(start))
	}
	defer func() {
		if err == nil {
			return
		}
		// Abort even when ctx has ended, so that no parts linger; the
		// object never became visible either way.
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, aerr := b.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(b.cfg.Bucket), Key: aws.String(okey), UploadId: uploadID,
		}); aerr != nil {
			err = fmt.Errorf("%w (abort upload: %v)", err, aerr)
		}
	}()
	var (
		md5s  []byte      // the parts' MD5 sums, for the ETag of the result
		whole = md5.New() //nolint:gosec // integrity: some servers' ETag is the whole object's MD5
		total int64
		part  = first

		// Parts are read in order and sent by up to UploadConcurrency
		// goroutines; the first failure cancels the others.
		uctx, cancel = context.WithCancelCause(ctx)
		wg           sync.WaitGroup
		slots        = make(chan struct{}, b.cfg.UploadConcurrency)
		mu           sync.Mutex
		etags        = map[int32]*string{}
	)
	defer cancel(nil)
	fail := func(err error) error {
		cancel(err)
		wg.Wait()
		return err
	}
	num := int32(0)
	for len(part) > 0 {
		num++
		total += int64(len(part))
		if size >= 0 && total > size {
			return fail(fmt.Errorf("put %q: input has more than %d bytes", key, size))
		}
		sum := md5.Sum(part) //nolint:gosec // integrity, not security
		md5s = append(md5s, sum[:]...)
		whole.Write(part)
		select {
		case slots <- struct{}{}:
		case <-uctx.Done():
			return fail(context.Cause(uctx))
		}
		body, pnum := part, num // part and num change while this part is sent
		wg.Go(func() {
			defer func() { <-slots }()
			out, err := b.client.UploadPart(uctx, &s3.UploadPartInput{
				Bucket: aws.String(b.cfg.Bucket), Key: aws.String(okey), UploadId: uploadID,
				PartNumber: aws.Int32(pnum), Body: bytes.NewReader(body),
				ContentLength: aws.Int64(int64(len(body))),
				ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum[:])),
			})
			if err != nil {
				cancel(mapS3Error(fmt.Sprintf("put part %d of", pnum), key, err))
				return
			}
			mu.Lock()
			etags[pnum] = out.ETag
			mu.Unlock()
		})
		if int64(len(part)) < b.cfg.PartSize {
			break // a short part is the last one
		}
		if part, err = readPart(src, b.cfg.PartSize, -1); err != nil {
			return fail(fmt.Errorf("put %q: read: %w", key, err))
		}
	}
	wg.Wait()
	if err := context.Cause(uctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("put %q: %w", key, ctx.Err())
		}
		return err
	}
	parts := make([]types.CompletedPart, num)
	for i := range parts {
		parts[i] = types.CompletedPart{ETag: etags[int32(i+1)], PartNumber: aws.Int32(int32(i + 1))}
	}
	if size >= 0 && total != size {
		return fmt.Errorf("put %q: input has %d bytes, want %d", key, total, size)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %q: %w", key, err)
	}
	_, err = b.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(okey), UploadId: uploadID,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "NoSuchUpload" {
		// A retry after a lost answer: the first attempt may have
		// completed the upload. It did if the object carries this
		// upload's ETag.
		_, etag, herr := b.head(ctx, "put", key)
		if herr == nil && (etag == multipartETag(md5s, len(parts)) || etag == fmt.Sprintf("%q", hex.EncodeToString(whole.Sum(nil)))) {
			return nil
		}
	}
	if err != nil {
		return mapS3Error("put (complete upload)", key, err)
	}
	return nil
}

// abortOrphans aborts the uploads of okey that earlier attempts of one
// CreateMultipartUpload may have started: those initiated no earlier than
// the call's duration (plus a second of timestamp rounding) before ours.
// It is best effort: a bucket lifecycle rule (AbortIncompleteMultipartUpload)
// is the backstop, and orphans are never visible as objects anyway.
func (b *S3) abortOrphans(ctx context.Context, okey, ours string, took time.Duration) {
	out, err := b.client.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{
		Bucket: aws.String(b.cfg.Bucket), Prefix: aws.String(okey),
	})
	if err != nil {
		return
	}
	var mine time.Time
	for _, u := range out.Uploads {
		if aws.ToString(u.UploadId) == ours && u.Initiated != nil {
			mine = *u.Initiated
		}
	}
	if mine.IsZero() {
		return
	}
	for _, u := range out.Uploads {
		id := aws.ToString(u.UploadId)
		if id == ours || aws.ToString(u.Key) != okey || u.Initiated == nil ||
			u.Initiated.Before(mine.Add(-took-time.Second)) || u.Initiated.After(mine.Add(time.Second)) {
			continue
		}
		_, _ = b.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{
			Bucket: aws.String(b.cfg.Bucket), Key: aws.String(okey), UploadId: aws.String(id),
		})
	}
}

// Get implements [Bucket.Get].
func (b *S3) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	return b.open(ctx, key, 0, -1, "")
}

// GetRange implements [Bucket.GetRange].
func (b *S3) GetRange(ctx context.Context, key string, off, length int64) (io.ReadCloser, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	if off < 0 || length < -1 {
		return nil, fmt.Errorf("get %q range off=%d length=%d: %w", key, off, length, ErrInvalidRange)
	}
	if length == 0 {
		// An empty range has no Range header: check existence and bounds.
		return b.emptyRange(ctx, key, off)
	}
	rc, err := b.open(ctx, key, off, length, "")
	if errors.Is(err, ErrInvalidRange) {
		// S3 answers 416 for a range starting at the end, which the
		// contract allows.
		return b.emptyRange(ctx, key, off)
	}
	return rc, err
}

func (b *S3) emptyRange(ctx context.Context, key string, off int64) (io.ReadCloser, error) {
	size, _, err := b.head(ctx, "get", key)
	if err != nil {
		return nil, err
	}
	if off > size {
		return nil, fmt.Errorf("get %q range off=%d beyond size %d: %w", key, off, size, ErrInvalidRange)
	}
	return io.NopCloser(bytes.NewReader(nil)), nil
}

// open starts a GET of length bytes at off (-1: to the end) and returns a
// reader that resumes a body broken mid-transfer. etag, when set, pins the
// object version.
func (b *S3) open(ctx context.Context, key string, off, length int64, etag string) (io.ReadCloser, error) {
	r := &s3Reader{ctx: ctx, b: b, key: key, pos: off, end: -1, etag: etag}
	if length >= 0 {
		r.end = off + length
	}
	if err := r.request(); err != nil {
		return nil, err
	}
	return r, nil
}

// s3Reader reads one GET response and, when the connection breaks before
// the body is complete, asks for the rest with a ranged GET pinned to the
// same ETag.
type s3Reader struct {
	ctx     context.Context
	b       *S3
	key     string
	pos     int64 // next byte of the object to return
	end     int64 // end of the wanted range, exclusive; -1 until known
	etag    string
	body    io.ReadCloser
	resumes int
}

func (r *s3Reader) request() error {
	in := &s3.GetObjectInput{Bucket: aws.String(r.b.cfg.Bucket), Key: aws.String(r.b.objectKey(r.key))}
	whole := r.pos == 0 && r.end < 0
	if whole {
		in.ChecksumMode = types.ChecksumModeEnabled // the SDK checks a stored full-object checksum
	} else {
		rng := fmt.Sprintf("bytes=%d-", r.pos)
		if r.end >= 0 {
			rng += strconv.FormatInt(r.end-1, 10)
		}
		in.Range = aws.String(rng)
	}
	if r.etag != "" {
		in.IfMatch = aws.String(r.etag)
	}
	out, err := r.b.client.GetObject(r.ctx, in)
	if err != nil {
		return mapS3Error("get", r.key, err)
	}
	if got := aws.ToString(out.ETag); r.etag == "" {
		r.etag = got
	} else if got != "" && got != r.etag {
		// Not every server honours If-Match: check it here too.
		_ = out.Body.Close()
		return fmt.Errorf("get %q: object replaced while read (etag %s, was %s)", r.key, got, r.etag)
	}
	body := out.Body
	if !whole {
		start, total, ok := parseContentRange(aws.ToString(out.ContentRange))
		switch {
		case ok && start != r.pos:
			_ = body.Close()
			return fmt.Errorf("get %q: server returned range at %d, asked for %d", r.key, start, r.pos)
		case !ok:
			// The server ignored Range and sent the whole object.
			if _, err := io.CopyN(io.Discard, body, r.pos); err != nil {
				_ = body.Close()
				return fmt.Errorf("get %q: skip to %d: %w", r.key, r.pos, err)
			}
			total = r.pos + aws.ToInt64(out.ContentLength)
		}
		if r.end < 0 || r.end > total {
			r.end = total
		}
	} else if out.ContentLength != nil {
		r.end = *out.ContentLength
	}
	r.body = body
	return nil
}

// parseContentRange parses "bytes START-END/TOTAL".
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err1 := strconv.ParseInt(first, 10, 64)
	total, err2 := strconv.ParseInt(tot, 10, 64)
	return start, total, err1 == nil && err2 == nil
}

func (r *s3Reader) Read(p []byte) (int, error) {
	for {
		if r.end >= 0 && r.pos >= r.end {
			return 0, io.EOF
		}
		if r.end >= 0 && int64(len(p)) > r.end-r.pos {
			p = p[:r.end-r.pos]
		}
		if r.body == nil {
			if err := r.request(); err != nil {
				return 0, err
			}
		}
		n, err := r.body.Read(p)
		r.pos += int64(n)
		if err == nil || n > 0 {
			return n, nil
		}
		if r.end < 0 || r.pos >= r.end {
			// The whole range arrived: EOF, or an error the body
			// reports at its end, such as a checksum mismatch.
			_ = r.body.Close()
			r.body = nil
			if err != io.EOF {
				return 0, fmt.Errorf("get %q: %w", r.key, err)
			}
			return 0, io.EOF
		}
		// The body broke (or ended early): reopen at pos unless the
		// caller's context is done or the budget is spent.
		_ = r.body.Close()
		r.body = nil
		if cerr := r.ctx.Err(); cerr != nil {
			return 0, fmt.Errorf("get %q: %w", r.key, cerr)
		}
		if r.resumes >= s3BodyResumes || r.etag == "" || r.end < 0 {
			return 0, fmt.Errorf("get %q at byte %d: %w", r.key, r.pos, err)
		}
		r.resumes++
	}
}

func (r *s3Reader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// head returns the size and ETag of an object.
func (b *S3) head(ctx context.Context, op, key string) (int64, string, error) {
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.objectKey(key)),
	})
	if err != nil {
		return 0, "", mapS3Error(op, key, err)
	}
	return aws.ToInt64(out.ContentLength), aws.ToString(out.ETag), nil
}

// Size implements [Bucket.Size] with a HeadObject request.
func (b *S3) Size(ctx context.Context, key string) (int64, error) {
	if err := CheckKey(key); err != nil {
		return 0, err
	}
	size, _, err := b.head(ctx, "size", key)
	return size, err
}

// Delete implements [Bucket.Delete].
func (b *S3) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	_, err := b.client.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.objectKey(key)),
	})
	if err := mapS3Error("delete", key, err); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// List implements [Bucket.List] with paginated ListObjectsV2 requests; S3
// returns keys in UTF-8 binary order, which is byte-wise lexical order.
func (b *S3) List(ctx context.Context, prefix string, fn func(key string, size int64) error) error {
	full := prefix
	strip := 0
	if b.cfg.Prefix != "" {
		full = b.cfg.Prefix + "/" + prefix
		strip = len(b.cfg.Prefix) + 1
	}
	p := s3.NewListObjectsV2Paginator(b.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(b.cfg.Bucket), Prefix: aws.String(full), MaxKeys: aws.Int32(b.cfg.ListPageSize),
	})
	last := ""
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return mapS3Error("list", prefix, err)
		}
		for _, obj := range page.Contents {
			k := aws.ToString(obj.Key)
			if len(k) < strip || !strings.HasPrefix(k, full) {
				continue
			}
			k = k[strip:]
			if k <= last && last != "" {
				continue // a repeated key across pages
			}
			last = k
			if err := fn(k, aws.ToInt64(obj.Size)); err != nil {
				return err
			}
		}
	}
	return nil
}

// OpenFile implements [FileOpener]: the size and ETag come from one
// HeadObject; every ReadAt is a ranged GET pinned to that ETag, so a
// replaced object fails the read instead of mixing versions.
func (b *S3) OpenFile(ctx context.Context, key string) (File, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	size, etag, err := b.head(ctx, "open", key)
	if err != nil {
		return nil, err
	}
	return &s3File{ctx: ctx, b: b, key: key, size: size, etag: etag}, nil
}

type s3File struct {
	ctx  context.Context
	b    *S3
	key  string
	size int64
	etag string
}

func (f *s3File) Size() int64  { return f.size }
func (f *s3File) Close() error { return nil }

func (f *s3File) ReadAt(p []byte, off int64) (int, error) {
	want, done, err := readSpan(f.key, f.size, len(p), off)
	if done {
		return 0, err
	}
	if want == 0 {
		return 0, nil
	}
	rc, err := f.b.open(f.ctx, f.key, off, want, f.etag)
	if err != nil {
		return 0, err
	}
	n, err := io.ReadFull(rc, p[:want])
	_ = rc.Close()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return n, fmt.Errorf("read %q at %d: %w", f.key, off, err)
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}
