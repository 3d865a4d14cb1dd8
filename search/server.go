package search

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"openwit/exec"
	"openwit/internal/grpcserve"
	"openwit/storage/objstore"
)

// Config configures a Server.
type Config struct {
	// Bucket is the object store the fragments' files are read from.
	// Required.
	Bucket objstore.Bucket
	// Logger receives request-level events; nil discards them.
	Logger *slog.Logger
	// Registerer registers the server's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Mem allocates the batches; nil means an exec.Pool, which reuses the
	// buffers of released batches.
	Mem memory.Allocator
	// Parallelism is how many sources of one fragment run at once; 0
	// means 1.
	Parallelism int
	// MemoryLimit bounds the memory of one fragment's aggregation; 0 means
	// none.
	MemoryLimit int64
	// TLS, when set, makes the service speak gRPC over TLS only. With
	// ClientAuth set to tls.RequireAndVerifyClientCert and ClientCAs, only
	// clients holding a certificate from those CAs (coordinators) may
	// call it (mutual TLS).
	TLS *tls.Config
}

// Validate reports whether c can be used to build a Server.
func (c Config) Validate() error {
	switch {
	case c.Bucket == nil:
		return errors.New("search config: bucket is required")
	case c.Parallelism < 0:
		return fmt.Errorf("search config: parallelism %d is negative", c.Parallelism)
	case c.MemoryLimit < 0:
		return fmt.Errorf("search config: memory limit %d is negative", c.MemoryLimit)
	}
	return nil
}

// Server is the search service: an Arrow Flight service whose DoGet runs
// the fragment a ticket carries and streams its batches. It keeps no state
// between calls and is safe for concurrent use.
type Server struct {
	flight.BaseFlightServer

	cfg     Config
	log     *slog.Logger
	met     *serverMetrics
	footers *exec.FooterCache // of the files fragments scan
	reads   *exec.ReadCache   // small decoded reads of those files
	gs      *grpc.Server
	lc      grpcserve.Lifecycle // serve/shutdown of gs

	running atomic.Int64 // fragments running now
}

// Running returns how many fragments run now (the load a worker gossips).
func (s *Server) Running() int { return int(s.running.Load()) }

var _ flight.FlightServer = (*Server)(nil)

// New validates cfg, registers the metrics and builds the gRPC server.
// Call Serve to accept connections.
func New(cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Mem == nil {
		cfg.Mem = exec.NewPool()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, met: newServerMetrics(cfg.Registerer), footers: exec.NewFooterCache(4096),
		reads: exec.NewReadCache(exec.DefaultReadCacheBytes)}
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(2*MaxTicketPart + 64),
		grpcserve.ServerOption(),
		grpc.ChainStreamInterceptor(s.streamGuard),
	}
	if cfg.TLS != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(cfg.TLS)))
	}
	s.gs = grpc.NewServer(opts...)
	flight.RegisterFlightServiceServer(s.gs, s)
	s.lc = grpcserve.Lifecycle{GS: s.gs, Name: "search"}
	return s, nil
}

// Serve accepts connections on l until Shutdown is called or ctx is done
// (which stops the server at once, cancelling running fragments). Serve
// closes l and returns nil after a stop; other accept errors are returned.
func (s *Server) Serve(ctx context.Context, l net.Listener) error { return s.lc.Serve(ctx, l) }

// Shutdown stops accepting calls and waits for running fragments. When ctx
// is done first they are cancelled and ctx.Err() is returned.
func (s *Server) Shutdown(ctx context.Context) error { return s.lc.Shutdown(ctx) }

// DoGet runs the fragment in the ticket and streams its result. The
// stream's context cancels the run.
func (s *Server) DoGet(tkt *flight.Ticket, stream flight.FlightService_DoGetServer) (err error) {
	ctx := stream.Context()
	start := time.Now()
	f, err := DecodeTicket(tkt.GetTicket())
	if err != nil {
		return statusError(err)
	}
	s.met.running.Inc()
	s.running.Add(1)
	defer func() {
		s.met.running.Dec()
		s.running.Add(-1)
	}()
	p := exec.Params{Mem: s.cfg.Mem, Footers: s.footers, Reads: s.reads, Bucket: s.cfg.Bucket, Parallelism: s.cfg.Parallelism, MemoryLimit: s.cfg.MemoryLimit}
	op, err := exec.Run(ctx, p, f)
	if err != nil {
		if !errors.Is(err, exec.ErrUnsupported) {
			// The fragment passed the ticket checks but does not
			// compile against its schema: the caller's mistake.
			err = fmt.Errorf("%w: %v", ErrBadTicket, err)
		}
		return statusError(err)
	}
	defer op.Close()
	w := flight.NewRecordWriter(stream, ipc.WithSchema(op.Schema()), ipc.WithAllocator(s.cfg.Mem))
	var rows int64
	for {
		rec, err := op.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return statusError(err)
		}
		if err := w.Write(rec); err != nil {
			return statusError(fmt.Errorf("send batch: %w", err))
		}
		rows += rec.NumRows()
	}
	// The run's counters travel in the trailer (search/doc.go, "Fragment
	// stats"); they are final once the operator is closed.
	closeErr := op.Close()
	if sr, ok := op.(exec.StatsReporter); ok && closeErr == nil {
		if md := encodeStatsTrailer(sr.Stats(), time.Since(start)); md != nil {
			stream.SetTrailer(md)
		}
	}
	if err := w.Close(); err != nil {
		return statusError(fmt.Errorf("send end of stream: %w", err))
	}
	s.met.rows.Add(float64(rows))
	s.log.Debug("fragment served", "table", f.Table, "sources", len(f.Sources), "rows", rows, "duration", time.Since(start))
	return nil
}

// streamGuard counts fragments by status code and turns panics into
// Internal errors.
func (s *Server) streamGuard(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("search call panicked", "method", path.Base(info.FullMethod), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			err = status.Errorf(codes.Internal, "search: internal error: %v", r)
		}
		if path.Base(info.FullMethod) == "DoGet" {
			s.met.fragments.WithLabelValues(status.Code(err).String()).Inc()
		}
		if code := status.Code(err); code == codes.Internal || code == codes.Unknown {
			s.log.Warn("search call failed", "method", path.Base(info.FullMethod), "err", err)
		}
	}()
	return handler(srv, ss)
}

// statusError maps an error to the gRPC status the client branches on.
func statusError(err error) error {
	if s := pgStatus(err); s != nil {
		return s
	}
	return grpcserve.StatusError(err,
		grpcserve.ErrorCode{Err: ErrBadTicket, Code: codes.InvalidArgument},
		grpcserve.ErrorCode{Err: ErrTicketVersion, Code: codes.Unimplemented},
		grpcserve.ErrorCode{Err: exec.ErrUnsupported, Code: codes.Unimplemented},
		grpcserve.ErrorCode{Err: exec.ErrMemoryLimit, Code: codes.ResourceExhausted},
		grpcserve.ErrorCode{Err: objstore.ErrNotFound, Code: codes.NotFound})
}

type serverMetrics struct {
	fragments *prometheus.CounterVec
	rows      prometheus.Counter
	running   prometheus.Gauge
}

func newServerMetrics(reg prometheus.Registerer) *serverMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	f := promauto.With(reg)
	return &serverMetrics{
		fragments: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_search_fragments_total",
			Help: "Plan fragments run by the search service, by gRPC status code."}, []string{"code"}),
		rows: f.NewCounter(prometheus.CounterOpts{Name: "openwit_search_rows_sent_total",
			Help: "Rows streamed back by the search service."}),
		running: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_search_fragments_running",
			Help: "Plan fragments running in the search service."}),
	}
}
