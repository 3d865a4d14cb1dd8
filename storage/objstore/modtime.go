package objstore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// ModTimer is the optional capability of a bucket to tell when an object was
// last written. Garbage collection of orphans needs it: an object younger
// than the grace period may be an upload about to be published.
type ModTimer interface {
	// ModTime returns the time the object under key was last written.
	ModTime(ctx context.Context, key string) (time.Time, error)
}

var (
	_ ModTimer = (*Local)(nil)
	_ ModTimer = (*S3)(nil)
	_ ModTimer = (*Cache)(nil)
)

// ModTime implements [ModTimer] with the file's modification time.
func (l *Local) ModTime(ctx context.Context, key string) (time.Time, error) {
	if err := CheckKey(key); err != nil {
		return time.Time{}, err
	}
	if err := ctx.Err(); err != nil {
		return time.Time{}, fmt.Errorf("mod time %q: %w", key, err)
	}
	fi, err := l.root.Stat(key)
	if err != nil {
		return time.Time{}, fmt.Errorf("mod time %q: %w", key, mapNotFound(err))
	}
	if !fi.Mode().IsRegular() {
		return time.Time{}, fmt.Errorf("mod time %q: %w", key, ErrNotFound)
	}
	return fi.ModTime(), nil
}

// ModTime implements [ModTimer] with the LastModified of a HeadObject
// request.
func (b *S3) ModTime(ctx context.Context, key string) (time.Time, error) {
	if err := CheckKey(key); err != nil {
		return time.Time{}, err
	}
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(b.cfg.Bucket), Key: aws.String(b.objectKey(key)),
	})
	if err != nil {
		return time.Time{}, mapS3Error("mod time", key, err)
	}
	if out.LastModified == nil {
		return time.Time{}, fmt.Errorf("mod time %q: no Last-Modified in the response", key)
	}
	return *out.LastModified, nil
}

// ModTime implements [ModTimer] by asking the cached bucket.
func (c *Cache) ModTime(ctx context.Context, key string) (time.Time, error) {
	mt, ok := c.b.(ModTimer)
	if !ok {
		return time.Time{}, fmt.Errorf("mod time %q: the cached bucket cannot tell", key)
	}
	return mt.ModTime(ctx, key)
}
