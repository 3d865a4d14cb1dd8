package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// s3Counter is a reverse proxy in front of the scratch S3 server that
// counts the requests the openwit-s3 node makes, by kind, so that the
// report can say how many object reads a warm query still sends to the
// object store (issue 8: a warm cache should send none for the bytes it
// holds). It counts at the server's side of the node's client, so a read
// that bypasses the node's read cache is counted whatever path it took.
type s3Counter struct {
	srv      *http.Server
	ln       net.Listener
	endpoint string

	gets, heads, lists, other atomic.Int64
}

// S3Requests are counts of requests to the object store.
type S3Requests struct {
	// Gets are GETs of object bytes (whole or ranged).
	Gets int64 `json:"gets"`
	// Heads are HEAD requests (object size and ETag).
	Heads int64 `json:"heads"`
	// Lists are GETs of the bucket (ListObjectsV2).
	Lists int64 `json:"lists"`
	// Other are the rest (PUT, DELETE, multipart, bucket requests).
	Other int64 `json:"other"`
}

// Reads is the requests that read: GETs, HEADs and LISTs.
func (r S3Requests) Reads() int64 { return r.Gets + r.Heads + r.Lists }

func (r S3Requests) sub(o S3Requests) S3Requests {
	return S3Requests{Gets: r.Gets - o.Gets, Heads: r.Heads - o.Heads, Lists: r.Lists - o.Lists, Other: r.Other - o.Other}
}

// startS3Counter proxies a loopback listener to target.
func startS3Counter(target string) (*s3Counter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c := &s3Counter{ln: ln, endpoint: "http://" + ln.Addr().String()}
	// The Host header the client signed (this proxy's address) is passed
	// on unchanged, so the server checks the signature the client made.
	rp := httputil.NewSingleHostReverseProxy(u)
	c.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.count(r)
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = c.srv.Serve(ln) }()
	return c, nil
}

func (c *s3Counter) count(r *http.Request) {
	// Path style: /bucket is the bucket, /bucket/key an object.
	path := strings.TrimPrefix(r.URL.Path, "/")
	object := strings.Contains(strings.TrimSuffix(path, "/"), "/")
	switch {
	case r.Method == http.MethodGet && object:
		c.gets.Add(1)
	case r.Method == http.MethodHead && object:
		c.heads.Add(1)
	case r.Method == http.MethodGet:
		c.lists.Add(1)
	default:
		c.other.Add(1)
	}
}

// requests returns the counts so far.
func (c *s3Counter) requests() S3Requests {
	if c == nil {
		return S3Requests{}
	}
	return S3Requests{Gets: c.gets.Load(), Heads: c.heads.Load(), Lists: c.lists.Load(), Other: c.other.Load()}
}

func (c *s3Counter) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.srv.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		_ = c.srv.Close()
	}
}

func (r S3Requests) String() string {
	return fmt.Sprintf("%d GET, %d HEAD, %d LIST", r.Gets, r.Heads, r.Lists)
}
