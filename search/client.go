package search

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/exec"
	"openwit/internal/grpcserve"
	"openwit/internal/retry"
)

// ErrUnavailable reports that a worker could not be reached (gRPC
// Unavailable) after the client's retries.
var ErrUnavailable = errors.New("search worker unavailable")

// ClientConfig configures a Client.
type ClientConfig struct {
	// Attempts is how many times a fragment is tried on one worker while
	// it answers Unavailable before its first batch; 0 means 3. The
	// schedule is internal/retry's policy.
	Attempts int
	// BaseDelay is the backoff before the second attempt, doubled for each
	// further one (with jitter); 0 means 50ms.
	BaseDelay time.Duration
	// MaxDelay caps the backoff; 0 means 2s.
	MaxDelay time.Duration
	// MaxRecvMsgSize bounds one batch message from a worker; 0 means
	// 256 MiB.
	MaxRecvMsgSize int
	// Mem allocates the received batches; nil means
	// memory.DefaultAllocator.
	Mem memory.Allocator
	// TLS, when set, connects to workers over TLS: RootCAs verify the
	// workers' certificates (for the host or IP in the worker address) and
	// Certificates is presented to workers that require a client
	// certificate. Nil means plain text.
	TLS *tls.Config
}

func (c ClientConfig) withDefaults() ClientConfig {
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = 50 * time.Millisecond
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = 2 * time.Second
	}
	if c.MaxRecvMsgSize <= 0 {
		c.MaxRecvMsgSize = 256 << 20
	}
	if c.Mem == nil {
		c.Mem = memory.DefaultAllocator
	}
	return c
}

// Client runs fragments on search workers. It keeps one gRPC connection
// per worker address and is safe for concurrent use.
type Client struct {
	cfg ClientConfig

	conns *grpcserve.Conns

	reruns atomic.Int64
	failed sync.Map // addr -> time.Time of the last Unavailable answer
}

// FailedWithin reports whether the worker at addr was unreachable (an
// Unavailable answer after the retries, or a stream broken mid-way) within
// the last d: a coordinator may skip it until gossip has decided.
func (c *Client) FailedWithin(addr string, d time.Duration) bool {
	v, ok := c.failed.Load(addr)
	return ok && time.Since(v.(time.Time)) < d
}

// Reruns returns how many fragments Distribute ran again on another
// worker (or here) after their worker failed.
func (c *Client) Reruns() int64 { return c.reruns.Load() }

// NewClient returns a client; connections are made on first use.
func NewClient(cfg ClientConfig) *Client {
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, conns: &grpcserve.Conns{Name: "search worker", TLS: cfg.TLS, BaseDelay: cfg.BaseDelay, MaxDelay: cfg.MaxDelay,
		CallOptions: []grpc.CallOption{grpc.MaxCallRecvMsgSize(cfg.MaxRecvMsgSize)}}}
}

// Close closes every connection.
func (c *Client) Close() error { return c.conns.Close() }

func (c *Client) conn(addr string) (flight.FlightServiceClient, error) {
	cc, err := c.conns.Get(addr)
	if err != nil {
		return nil, err
	}
	return flight.NewFlightServiceClient(cc), nil
}

// Run returns an operator that runs f (file sources only) on the worker at
// addr and streams its batches. Nothing is sent before Open. Open retries
// while the worker answers Unavailable and no batch has arrived yet; after
// the first batch an error ends the stream. Errors from the worker wrap
// exec.ErrUnsupported, exec.ErrMemoryLimit, context errors or
// ErrUnavailable where the status code says so.
func (c *Client) Run(addr string, f *exec.Fragment) (exec.Operator, error) {
	sch, err := f.OutputSchema(exec.Params{Mem: c.cfg.Mem})
	if err != nil {
		return nil, err
	}
	tkt, err := EncodeTicket(f)
	if err != nil {
		return nil, err
	}
	return &remote{c: c, addr: addr, ticket: tkt, schema: sch}, nil
}

// remote is the operator Client.Run returns.
type remote struct {
	c      *Client
	addr   string
	ticket []byte
	schema *arrow.Schema

	opened, closed bool
	openErr        error
	cancel         context.CancelFunc
	rdr            *flight.Reader
	stream         flight.FlightService_DoGetClient
	pending        bool // the first batch was read by Open and not returned yet
	done           bool
	stats          FragmentStats // from the trailer, once the stream ended
	reported       bool
}

var _ exec.Operator = (*remote)(nil)

func (r *remote) Schema() *arrow.Schema { return r.schema }

// Open sends the ticket and waits for the first batch (or the end of the
// stream), retrying while the worker is unavailable.
func (r *remote) Open(ctx context.Context) error {
	if r.opened {
		return r.openErr
	}
	r.opened = true
	pol := retry.Policy{Attempts: r.c.cfg.Attempts, Base: r.c.cfg.BaseDelay, Max: r.c.cfg.MaxDelay}
	unavailable := func(err error) bool { return status.Code(err) == codes.Unavailable }
	if err := retry.Do(ctx, pol, unavailable, r.try); err != nil {
		r.openErr = r.mapErr(ctx, err)
	}
	return r.openErr
}

// try makes one DoGet and reads up to the first batch.
func (r *remote) try(ctx context.Context) error {
	fc, err := r.c.conn(r.addr)
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	stream, err := fc.DoGet(sctx, &flight.Ticket{Ticket: r.ticket})
	if err != nil {
		cancel()
		return err
	}
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(r.c.cfg.Mem))
	if err != nil {
		cancel()
		return err
	}
	if !rdr.Schema().Equal(r.schema) {
		rdr.Release()
		cancel()
		return status.Errorf(codes.Internal, "worker sent schema %s, want %s", rdr.Schema(), r.schema)
	}
	if rdr.Next() {
		r.pending = true
	} else if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		rdr.Release()
		cancel()
		return err
	} else {
		r.done = true
		r.stats, r.reported = decodeStatsTrailer(stream.Trailer())
	}
	r.rdr, r.cancel, r.stream = rdr, cancel, stream
	return nil
}

// FragmentStats returns what the worker reported about the run once its
// stream ended cleanly; ok is false before that, and when the worker sent
// no stats (an older release).
func (r *remote) FragmentStats() (st FragmentStats, ok bool) { return r.stats, r.reported }

func (r *remote) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !r.opened {
		if err := r.Open(ctx); err != nil {
			return nil, err
		}
	}
	if r.openErr != nil {
		return nil, r.openErr
	}
	if r.pending {
		r.pending = false
		return r.rdr.RecordBatch(), nil
	}
	if r.done {
		return nil, io.EOF
	}
	if r.rdr.Next() {
		return r.rdr.RecordBatch(), nil
	}
	r.done = true
	if err := r.rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, r.mapErr(ctx, err)
	}
	r.stats, r.reported = decodeStatsTrailer(r.stream.Trailer())
	return nil, io.EOF
}

func (r *remote) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.cancel != nil {
		r.cancel()
	}
	if r.rdr != nil {
		r.rdr.Release()
		r.rdr = nil
	}
	return nil
}

// WorkerError is an error a worker returned (or the failure to reach it).
type WorkerError struct {
	Addr string
	Code codes.Code
	Msg  string
	kind error // sentinel matched by errors.Is, or nil
}

func (e *WorkerError) Error() string {
	return fmt.Sprintf("search worker %s: %s", e.Addr, e.Msg)
}

// Unwrap returns the sentinel the status code maps to.
func (e *WorkerError) Unwrap() error { return e.kind }

func (r *remote) mapErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("search worker %s: %w", r.addr, err)
	}
	if pe := pgFromStatus(st); pe != nil {
		return pe
	}
	we := &WorkerError{Addr: r.addr, Code: st.Code(), Msg: st.Message()}
	switch st.Code() {
	case codes.Unavailable:
		we.kind = ErrUnavailable
		r.c.failed.Store(r.addr, time.Now())
	case codes.Unimplemented:
		we.kind = exec.ErrUnsupported
	case codes.ResourceExhausted:
		we.kind = exec.ErrMemoryLimit
	case codes.Canceled:
		we.kind = context.Canceled
	case codes.DeadlineExceeded:
		we.kind = context.DeadlineExceeded
	}
	return we
}
